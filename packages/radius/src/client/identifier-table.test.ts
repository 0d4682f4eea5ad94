// Identifier space of one source port (RFC 2865 §3 "Identifier", RFC 5080 §2.2.1).
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';

import { IDENTIFIER_SPACE, IdentifierTable } from './identifier-table.js';

describe('IdentifierTable', () => {
  it('hands out 256 distinct identifiers, then none', () => {
    const t = new IdentifierTable<number>(200);
    const ids = Array.from({ length: IDENTIFIER_SPACE }, (_, i) => t.take(i));
    assert.equal(new Set(ids).size, 256);
    assert.ok(ids.every((id) => id !== undefined && id >= 0 && id <= 255));
    assert.equal(ids[0], 200, 'starts at the given identifier');
    assert.ok(t.full);
    assert.equal(t.take(999), undefined);
  });

  it('round-robin: a freed identifier is reused last', () => {
    const t = new IdentifierTable<string>(0);
    assert.equal(t.take('a'), 0);
    assert.equal(t.take('b'), 1);
    assert.ok(t.release(0, 'a'));
    assert.equal(t.take('c'), 2, 'not the just-freed 0');
    assert.equal(t.get(2), 'c');
    assert.equal(t.get(0), undefined);
  });

  it('wraps past 255 to the free identifiers at the start', () => {
    const t = new IdentifierTable<number>(255);
    assert.equal(t.take(1), 255);
    assert.equal(t.take(2), 0);
  });

  it('a stale release (identifier held by another request) is a no-op', () => {
    const t = new IdentifierTable<string>(7);
    const id = t.take('new')!;
    assert.equal(t.release(id, 'old'), false);
    assert.equal(t.get(id), 'new');
    assert.equal(t.size, 1);
    assert.deepEqual(t.entries(), ['new']);
  });
});
