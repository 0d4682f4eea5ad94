// The bounded first-claim table (claim-table.ts).
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { ClaimTable } from './claim-table.js';

void describe('ClaimTable', () => {
  void it("records a Hello's new claims; past the agent's cap its oldest unannounced claims go, and a Hello that still does not fit is refused", () => {
    const t = new ClaimTable({ maxPerAgent: 3, maxTotal: 100, expiryMs: 1000 });
    assert.deepEqual(t.claim('a', ['b1', 'b2']), { ok: true, fresh: ['b1', 'b2'], dropped: [] });
    assert.deepEqual(t.claim('a', ['b3']), { ok: true, fresh: ['b3'], dropped: [] });
    // b4, b5 new: b1 and b2 (oldest, not announced now) make room.
    assert.deepEqual(t.claim('a', ['b3', 'b4', 'b5']), { ok: true, fresh: ['b4', 'b5'], dropped: ['b1', 'b2'] });
    assert.deepEqual(t.claimsOf('a'), ['b3', 'b4', 'b5']);
    assert.equal(t.ownerOf('b1'), undefined);
    const r = t.claim('a', ['b3', 'b4', 'b5', 'b6']);
    assert.equal(r.ok, false);
    assert.deepEqual(t.claimsOf('a'), ['b3', 'b4', 'b5'], 'a refused Hello changes nothing');
  });

  void it('past the total cap a Hello claiming new BSSIDs is refused; known ones still pass; a check records nothing', () => {
    const t = new ClaimTable({ maxPerAgent: 10, maxTotal: 3, expiryMs: 1000 });
    assert.ok(t.claim('a', ['b1', 'b2']).ok);
    assert.ok(t.claim('b', ['b3', 'b4'], (k) => k, false).ok === false);
    assert.ok(t.claim('b', ['b3'], (k) => k, false).ok);
    assert.equal(t.size, 2, 'the check recorded nothing');
    assert.ok(t.claim('b', ['b3']).ok);
    const refused = t.claim('c', ['b9']);
    assert.ok(!refused.ok && /agents\.max_claims/.test(refused.reason));
    assert.ok(t.claim('a', ['b1', 'b2']).ok, 'an agent announcing what it holds still fits');
  });

  void it("an absent agent's claims expire after expiryMs; a present agent's never; coming back stops the clock", () => {
    const t = new ClaimTable({ maxPerAgent: 10, maxTotal: 100, expiryMs: 1000 });
    t.claim('a', ['b1']);
    t.claim('b', ['b2']);
    t.claim('c', ['b3']);
    t.absent('a', 0);
    t.absent('b', 100);
    t.present('b');
    assert.deepEqual(t.expire(999), []);
    assert.deepEqual(t.expire(1000), [{ agent: 'a', bsses: ['b1'] }]);
    assert.deepEqual(t.expire(100_000), [], 'b came back, c never left');
    assert.equal(t.ownerOf('b1'), undefined);
    assert.equal(t.size, 2);
    assert.deepEqual(t.entries(), [['b2', 'b'], ['b3', 'c']]);
  });
});
