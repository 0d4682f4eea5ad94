// Hostile input to the station (IEEE 802.11-2020 §12.7.2 EAPOL-Key frames): receive() never
// throws, answers a rejected frame with exactly one 'dropped' effect, and a rejected frame
// leaves the station as it was. Run for a WPA2-PSK station and for a WPA3-Personal one (SAE,
// PMF required, Beacon protection, H2E RSNXE).
import { test } from 'node:test';
import assert from 'node:assert/strict';
import fc from 'fast-check';
import { AKM, CIPHER, RsnCapability, encodeRsnxe, pbkdf2Psk } from '@airlock/rsn';
import { Supplicant, type SupplicantEffect } from './index.js';
import { ScriptedAuthenticator, rsneFor, seededRandom } from './testing/scripted-authenticator.js';

const AA = Buffer.from('020000000001', 'hex');
const SPA = Buffer.from('020000000002', 'hex');
const PSK = pbkdf2Psk('password', Buffer.from('IEEE'));

type Profile = 'WPA2-PSK' | 'WPA3-Personal';

const PROFILES = {
  'WPA2-PSK': { akm: AKM.PSK, rsne: rsneFor(AKM.PSK, CIPHER.CCMP_128, CIPHER.CCMP_128), rsnxe: undefined, pmf: false },
  'WPA3-Personal': {
    akm: AKM.SAE,
    rsne: rsneFor(AKM.SAE, CIPHER.CCMP_128, CIPHER.CCMP_128, 0x000c | RsnCapability.MFPC | RsnCapability.MFPR),
    rsnxe: encodeRsnxe({ h2e: true }),
    pmf: true,
  },
} as const;

function station(profile: Profile): Supplicant {
  const c = PROFILES[profile];
  return new Supplicant({
    spa: SPA,
    aa: AA,
    pmk: PSK,
    akm: c.akm,
    pairwiseCipher: CIPHER.CCMP_128,
    groupCipher: CIPHER.CCMP_128,
    assocRsne: c.rsne,
    apRsne: c.rsne,
    assocRsnxe: c.rsnxe,
    apRsnxe: c.rsnxe,
    beaconProtection: c.pmf,
    random: seededRandom('station'),
  });
}

function authenticator(profile: Profile): ScriptedAuthenticator {
  const c = PROFILES[profile];
  return new ScriptedAuthenticator({
    aa: AA,
    spa: SPA,
    pmk: PSK,
    akm: c.akm,
    pairwiseCipher: CIPHER.CCMP_128,
    groupCipher: CIPHER.CCMP_128,
    apRsne: c.rsne,
    apRsnxe: c.rsnxe,
    pmf: c.pmf ? { groupMgmtCipher: CIPHER.BIP_CMAC_128, beaconProtection: true } : undefined,
    random: seededRandom('ap'),
  });
}

/** What a rejected frame must not change, as seen from outside. */
function snapshot(s: Supplicant): string {
  return JSON.stringify({
    state: s.state,
    ptk: s.ptk?.tk.toString('hex'),
    gtk: s.gtk?.gtk.toString('hex'),
    igtk: s.igtk?.key.toString('hex'),
    bigtk: s.bigtk?.key.toString('hex'),
    pmkid: s.pmkidSeen?.toString('hex'),
  });
}

function checkShape(effects: SupplicantEffect[]): void {
  const drops = effects.filter((e) => e.type === 'dropped');
  if (drops.length > 0) assert.equal(effects.length, 1, 'a rejected frame yields exactly one effect, the drop');
}

/** Valid frames of each kind from one scripted exchange. */
function frames(profile: Profile): { msg1: Buffer; msg3: Buffer; group1: Buffer } {
  const ap = authenticator(profile);
  const sta = station(profile);
  const msg1 = ap.msg1();
  ap.acceptMsg2((sta.receive(msg1)[0] as { frame: Buffer }).frame);
  const msg3 = ap.msg3();
  assert.equal(sta.receive(msg3).at(-1)?.type, 'handshake-complete');
  ap.rotateGtk();
  const group1 = ap.groupMsg1();
  assert.equal(sta.receive(group1).at(-1)?.type, 'group-rekey-complete');
  return { msg1, msg3, group1 };
}

/** A station at the point of the exchange where `which` is expected (same seeded SNonce as in frames()). */
function stationFor(profile: Profile, which: 'msg1' | 'msg3' | 'group1', f: { msg1: Buffer; msg3: Buffer }): Supplicant {
  const s = station(profile);
  if (which !== 'msg1') s.receive(f.msg1);
  if (which === 'group1') s.receive(f.msg3);
  return s;
}

/** A mutation of a valid frame: flipped bits, overwritten bytes, truncation, extension. */
const mutation = fc.oneof(
  fc.record({ kind: fc.constant('flip' as const), at: fc.nat(), bit: fc.integer({ min: 0, max: 7 }) }),
  fc.record({ kind: fc.constant('set' as const), at: fc.nat(), value: fc.integer({ min: 0, max: 255 }) }),
  fc.record({ kind: fc.constant('truncate' as const), at: fc.nat() }),
  fc.record({ kind: fc.constant('extend' as const), extra: fc.uint8Array({ minLength: 1, maxLength: 40 }) }),
);

type Mutation = typeof mutation extends fc.Arbitrary<infer M> ? M : never;

function mutate(frame: Buffer, ms: Mutation[]): Buffer {
  let out = Buffer.from(frame);
  for (const m of ms) {
    switch (m.kind) {
      case 'flip':
        if (out.length > 0) out[m.at % out.length] ^= 1 << m.bit;
        break;
      case 'set':
        if (out.length > 0) out[m.at % out.length] = m.value;
        break;
      case 'truncate':
        out = out.subarray(0, m.at % (out.length + 1));
        break;
      case 'extend':
        out = Buffer.concat([out, m.extra]);
        break;
    }
  }
  return out;
}

for (const profile of ['WPA2-PSK', 'WPA3-Personal'] as const) {
  void test(`${profile}: receive() never throws on arbitrary bytes, idle and established`, () => {
    const f = frames(profile);
    const established = stationFor(profile, 'group1', f);
    const idle = station(profile);
    fc.assert(
      fc.property(fc.uint8Array({ minLength: 0, maxLength: 300 }), (bytes) => {
        for (const s of [idle, established]) {
          const before = snapshot(s);
          const effects = s.receive(bytes);
          checkShape(effects);
          if (effects.length === 1 && effects[0].type === 'dropped') assert.equal(snapshot(s), before);
        }
      }),
      { numRuns: 2000 },
    );
  });

  void test(`${profile}: receive() never throws on EAPOL-Key-shaped arbitrary bytes (valid header, random body)`, () => {
    const idle = station(profile);
    fc.assert(
      fc.property(fc.integer({ min: 0, max: 4 }), fc.uint8Array({ minLength: 95, maxLength: 200 }), (version, body) => {
        const frame = Buffer.concat([Buffer.from([version, 3, body.length >> 8, body.length & 0xff]), body]);
        frame[4] = 2; // RSN descriptor, so the key parser gets past the descriptor type
        checkShape(idle.receive(frame));
      }),
      { numRuns: 2000 },
    );
  });

  void test(`${profile}: receive() never throws on mutated msg 1/4, msg 3/4 and group msg 1/2; rejected ones change nothing`, () => {
    const f = frames(profile);
    fc.assert(
      fc.property(fc.constantFrom('msg1' as const, 'msg3' as const, 'group1' as const), fc.array(mutation, { minLength: 1, maxLength: 4 }), (which, ms) => {
        const frame = f[which];
        const mutated = mutate(frame, ms);
        if (mutated.equals(frame)) return;
        const target = stationFor(profile, which, f);
        const before = snapshot(target);
        const effects = target.receive(mutated);
        checkShape(effects);
        if (effects.length === 1 && effects[0].type === 'dropped') {
          assert.equal(snapshot(target), before);
        } else {
          // A msg 1/4 has no MIC; a MIC-protected frame is accepted only when the bytes the MIC
          // covers are intact (what was added after the declared length is ignored).
          assert.ok(which === 'msg1' || mutated.subarray(0, frame.length).equals(frame), `accepted a mutated ${which}`);
        }
      }),
      { numRuns: 3000 },
    );
  });
}
