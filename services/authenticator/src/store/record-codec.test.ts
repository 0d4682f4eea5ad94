// The shared store's records in octets (record-codec.ts): round trips, and refusal of anything truncated or altered.
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import type { BssSnapshot, StationSnapshot } from '@airlock/rsn';
import { decodeBss, decodePmksa, decodeStation, encodeBss, encodePmksa, encodeStation, type WallClock } from './record-codec.js';

// Two processes with different core clocks: A's core time 1000 is Unix 1_700_000_001_000, B's core time is 500 ms behind A's.
const A: WallClock = { toWall: (t) => 1_700_000_000_000 + t, toCore: (w) => w - 1_700_000_000_000 };
const B: WallClock = { toWall: (t) => 1_700_000_000_500 + t, toCore: (w) => w - 1_700_000_000_500 };

const bss: BssSnapshot = { bssid: Buffer.from('020000000001', 'hex'), GN: 2, GM: 1, txKeyId: 2, rekeying: false, gtk1: Buffer.alloc(16, 1), gtk2: Buffer.alloc(16, 2), rekeyAt: 3_601_000 };
const sta: StationSnapshot = {
  bssid: bss.bssid,
  sta: Buffer.from('020000000002', 'hex'),
  assocRsne: Buffer.from('30140100000fac040100000fac040100000fac010000', 'hex'),
  akm: 0x000fac01,
  pairwiseCipher: 0x000fac04,
  associatedAt: 1000,
  pmk: Buffer.alloc(32, 7),
  ptk: Buffer.alloc(48, 9),
  replayCounter: 64,
  gtkKeyId: 2,
  lastEapId: 17,
  acctSessionId: '5A3C0001-00000001',
  acctStartedAt: 1200,
  sessionEndAt: Infinity,
  authz: {
    identity: 'alice',
    classes: [Buffer.from('class-1')],
    vlanId: 20,
    sessionTimeoutS: 3600,
    terminationAction: 1,
    acctMultiSessionId: 'm-1',
    pmkid: Buffer.alloc(16, 3),
    record: { identity: 'alice', method: 13, rounds: [{ server: 'r1', rttMs: 1.5 }], roundsTotal: 1, result: 'accept', pmksaCached: false, vlanId: 20, sessionTimeoutS: 3600 },
  },
};

void describe('record codec', () => {
  void it('a BSS round-trips, its rekey time carried on the wall clock into the other core clock', () => {
    const back = decodeBss(encodeBss(bss, A), B);
    assert.deepEqual(back, { ...bss, rekeyAt: bss.rekeyAt - 500 });
  });

  void it('a station round-trips (802.1X grant included); Infinity stays Infinity', () => {
    const back = decodeStation(encodeStation(sta, A), B);
    assert.deepEqual(back, { ...sta, associatedAt: 500, acctStartedAt: 700 });
    const psk = { ...sta, authz: undefined, acctStartedAt: undefined };
    assert.deepEqual(decodeStation(encodeStation(psk, A), A), psk);
    const wiredPort = { ...sta, ptk: Buffer.alloc(0), pmk: undefined };
    assert.deepEqual(decodeStation(encodeStation(wiredPort, A), A), wiredPort, 'a port without key management has no PTK');
    assert.equal(decodeStation(encodeStation({ ...sta, ptk: Buffer.alloc(20) }, A), A), undefined, 'a PTK too short');
  });

  void it('a PMKSA round-trips with its remaining lifetime', () => {
    const e = { sta: sta.sta, ssid: Buffer.from('corp'), pmk: Buffer.alloc(32, 5), akm: 1, remainingMs: 60_000, identity: 'alice', classes: [], vlanId: 0, sessionTimeoutS: 0, terminationAction: 0, acctMultiSessionId: '' };
    assert.deepEqual(decodePmksa(encodePmksa(e, 1000), 11_000), { ...e, remainingMs: 50_000 });
  });

  void it('WPA3 (version 2): a BSS with IGTKs and BIGTKs, a station with its RSNXE, an SAE PMKSA with its PMKID and BSSID', () => {
    const pmfBss: BssSnapshot = { ...bss, igtk1: Buffer.alloc(16, 4), igtk2: Buffer.alloc(16, 5), bigtk1: undefined, bigtk2: Buffer.alloc(16, 6) };
    const b = encodeBss(pmfBss, A);
    assert.equal(b[0], 2);
    assert.deepEqual(decodeBss(b, A), pmfBss);
    const saeSta: StationSnapshot = { ...sta, akm: 0x000fac08, assocRsnxe: Buffer.from('f40120', 'hex') };
    const s2 = encodeStation(saeSta, A);
    assert.equal(s2[0], 2);
    assert.deepEqual(decodeStation(s2, A), saeSta);
    const e = { sta: sta.sta, ssid: Buffer.from('corp'), pmk: Buffer.alloc(32, 5), akm: 0x000fac08, remainingMs: 60_000, identity: '', classes: [], vlanId: 0, sessionTimeoutS: 0, terminationAction: 0, acctMultiSessionId: '', pmkid: Buffer.alloc(16, 8), aa: bss.bssid };
    const p = encodePmksa(e, 1000);
    assert.equal(p[0], 2);
    assert.deepEqual(decodePmksa(p, 1000), e);
    assert.equal(decodePmksa(encodePmksa({ ...e, pmkid: Buffer.alloc(15) }, 1000), 1000), undefined, 'a PMKID of 15 octets');
    // Without the WPA3 fields a record is still version 1: the release before reads it during a rolling upgrade.
    assert.equal(encodeBss(bss, A)[0], 1);
    assert.equal(encodeStation(sta, A)[0], 1);
  });

  void it('every truncation, and trailing octets, decode to undefined (never throw)', () => {
    for (const [enc, dec] of [
      [encodeBss(bss, A), (b: Buffer) => decodeBss(b, A)],
      [encodeStation(sta, A), (b: Buffer) => decodeStation(b, A)],
    ] as const) {
      for (let n = 0; n < enc.length; n++) assert.equal(dec(enc.subarray(0, n)), undefined, `truncated to ${n}`);
      assert.equal(dec(Buffer.concat([enc, Buffer.from([0])])), undefined);
      const v = Buffer.from(enc);
      v[0] = 9;
      assert.equal(dec(v), undefined, 'unknown version');
    }
  });
});
