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

void describe('PmksaCache.dropStation (a Disconnect-Request)', () => {
  void it("forgets the station's PMKSAs, its SAE ones of each BSS too, tells the listener of each, and leaves other stations'", () => {
    const told: string[] = [];
    const c = new PmksaCache(16, { cached: () => undefined, forgotten: (sta, ssid, aa) => told.push(`${sta.toString('hex')} ${ssid.toString()} ${aa?.toString('hex') ?? '-'}`) });
    const mine = entry(1);
    const other = entry(2);
    const bssid = Buffer.from('020000000002', 'hex');
    c.add(mine);
    c.add(other);
    c.add({ ...entry(1), akm: AKM.SAE, pmk: Buffer.alloc(32, 7), pmkid: Buffer.alloc(16, 1), aa: bssid });
    assert.equal(c.size, 3);
    assert.equal(c.dropStation(mine.sta), 2);
    assert.equal(c.size, 1);
    assert.deepEqual(told.sort(), [`${mine.sta.toString('hex')} airlock -`, `${mine.sta.toString('hex')} airlock 020000000002`]);
    assert.ok(zero(mine.pmk), 'the PMK is wiped');
    assert.equal(c.dropStation(mine.sta), 0);
    assert.ok(!zero(other.pmk));
  });
});
