import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { AKM } from '../suites.js';
import { PmksaCache, type PmksaEntry } from './pmksa-cache.js';

const SSID = Buffer.from('airlock');
const AA = Buffer.from('020000000001', 'hex');

function entry(n: number, expiresAt = 1000): PmksaEntry {
  return {
    sta: Buffer.from([0x02, 0, 0, 0, 1, n]),
    ssid: SSID,
    pmk: Buffer.alloc(32, n + 1),
    akm: AKM.IEEE8021X,
    expiresAt,
    identity: '',
    classes: [],
    vlanId: 0,
    sessionTimeoutS: 0,
    terminationAction: 0,
    acctMultiSessionId: '',
  };
}

const zero = (b: Buffer): boolean => b.every((x) => x === 0);

void describe('PmksaCache key hygiene', () => {
  const cases: { desc: string; run: (c: PmksaCache, e: PmksaEntry) => void }[] = [
    { desc: 'replaced by a new PMKSA of the station', run: (c) => c.add({ ...entry(0), pmk: Buffer.alloc(32, 9) }) },
    { desc: 'evicted (least recently used, cache full)', run: (c) => c.add(entry(1)) },
    { desc: 'forgotten', run: (c, e) => c.forget(e.sta, e.ssid) },
    { desc: 'expired (expire())', run: (c) => assert.equal(c.expire(1000), 1) },
    { desc: 'expired (found on lookup)', run: (c, e) => assert.equal(c.lookup(e.sta, e.ssid, AA, [Buffer.alloc(16)], 1000), undefined) },
  ];
  for (const tc of cases) {
    void it(`the PMK reads zeros once the entry is ${tc.desc}`, () => {
      const c = new PmksaCache(1);
      const e = entry(0);
      c.add(e);
      tc.run(c, e);
      assert.ok(zero(e.pmk));
    });
  }

  void it('a live entry keeps its PMK', () => {
    const c = new PmksaCache(2);
    const e = entry(0);
    c.add(e);
    c.add(entry(1));
    assert.equal(c.expire(999), 0);
    assert.ok(!zero(e.pmk));
  });
});
