// Fair handshake admission (fair-admission.ts) and the MAC backoff table (mac-backoff.ts).
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import fc from 'fast-check';
import { admissionReserve, FairAdmission, type Admittable } from './fair-admission.js';
import { MacBackoff } from './mac-backoff.js';

interface E extends Admittable {
  agent: string;
  bss: string;
  id: number;
}

function entry(id: number, agent: string, bss: string): E {
  return { id, agent, bss, admitted: false, waitingAdmission: false };
}

function fair(limit: number): FairAdmission<E> {
  return new FairAdmission<E>(() => limit, (e) => ({ agent: e.agent, bss: e.bss }));
}

void describe('FairAdmission', () => {
  void it('one agent alone fills the window less the reserve; a second agent takes the reserve at once, then the freed slots', () => {
    const f = fair(64);
    const flood = Array.from({ length: 200 }, (_v, i) => entry(i, 'a', 'a1'));
    const admitted = flood.filter((e) => f.request(e));
    assert.equal(admitted.length, 64 - admissionReserve(64));
    assert.equal(f.waiting, 200 - admitted.length);
    const other = Array.from({ length: 20 }, (_v, i) => entry(1000 + i, 'b', 'b1'));
    assert.equal(other.filter((e) => f.request(e)).length, admissionReserve(64));
    // Every slot the flood frees goes to the other agent until it holds its share.
    const started: E[] = [];
    for (const e of admitted.slice(0, 12)) started.push(...f.release(e));
    assert.deepEqual(started.map((e) => e.agent), Array(12).fill('b'));
    assert.equal(f.agentInFlight('b'), 20);
  });

  void it("a slot an agent frees goes to its own BSS below its share when no other agent may take it", () => {
    const f = fair(64);
    const flood = Array.from({ length: 100 }, (_v, i) => entry(i, 'a', 'a1'));
    const held = flood.filter((e) => f.request(e));
    const second = Array.from({ length: 10 }, (_v, i) => entry(500 + i, 'a', 'a2'));
    const at0 = second.filter((e) => f.request(e)).length;
    assert.equal(at0, admissionReserve(64) / 2, 'half the reserve');
    const next = f.release(held[0]);
    assert.deepEqual(next.map((e) => e.bss), ['a2']);
  });

  void it('invariants under random requests and releases: counts add up, the limit holds, nobody waits while a slot is free to them, everyone is served', () => {
    fc.assert(
      fc.property(
        fc.integer({ min: 1, max: 40 }),
        fc.array(fc.tuple(fc.boolean(), fc.integer({ min: 0, max: 3 }), fc.integer({ min: 0, max: 2 }), fc.nat()), { maxLength: 300 }),
        (limit, ops) => {
          const f = fair(limit);
          const live: E[] = [];
          let id = 0;
          const check = (): void => {
            const inFlight = live.filter((e) => e.admitted).length;
            const waiting = live.filter((e) => e.waitingAdmission).length;
            assert.equal(f.inFlight, inFlight);
            assert.equal(f.waiting, waiting);
            assert.ok(inFlight <= limit);
            for (const e of live) assert.ok(!(e.admitted && e.waitingAdmission));
            // Nobody waits while the window has room outside the reserve.
            if (waiting > 0) assert.ok(inFlight + 1 > limit - admissionReserve(limit), `${waiting} wait with ${inFlight}/${limit} in flight`);
          };
          for (const [add, agent, bss, pick] of ops) {
            if (add || live.length === 0) {
              const e = entry(id++, `a${agent}`, `a${agent}-b${bss}`);
              live.push(e);
              f.request(e);
            } else {
              const e = live.splice(pick % live.length, 1)[0];
              f.release(e);
              assert.ok(!e.admitted && !e.waitingAdmission);
            }
            check();
          }
          // Releasing the holders one by one serves every waiting entry.
          for (let guard = 0; live.length > 0 && guard < 10_000; guard++) {
            const holder = live.find((e) => e.admitted);
            assert.ok(holder !== undefined, 'someone holds a slot while others wait');
            live.splice(live.indexOf(holder), 1);
            f.release(holder);
            check();
          }
          assert.equal(live.length, 0);
          assert.equal(f.inFlight + f.waiting, 0);
        },
      ),
      { numRuns: 300 },
    );
  });
});

void describe('MacBackoff', () => {
  void it('refuses after the third failure in a row, doubling up to the maximum; a success forgets; stale entries go', () => {
    const b = new MacBackoff({ afterFailures: 3, initialMs: 1000, maxMs: 4000, maxEntries: 3 });
    assert.equal(b.failed('s', 0), undefined);
    assert.equal(b.failed('s', 10), undefined);
    assert.equal(b.failed('s', 20), 1020);
    assert.equal(b.refusedUntil('s', 500), 1020);
    assert.equal(b.refusedUntil('s', 1020), undefined);
    assert.equal(b.failed('s', 1100), 3100);
    assert.equal(b.failed('s', 3200), 7200);
    assert.equal(b.failed('s', 7300), 11_300, 'at most maxMs');
    b.succeeded('s');
    assert.equal(b.failed('s', 20_000), undefined, 'counting starts afresh');
    // Bounded: the least recently failed goes first.
    for (const k of ['x', 'y', 'z']) b.failed(k, 20_001);
    assert.equal(b.size, 3);
    // Stale: maxMs after the last failure, gone.
    assert.equal(b.refusedUntil('x', 24_001), undefined);
    assert.equal(b.size, 2);
  });
});
