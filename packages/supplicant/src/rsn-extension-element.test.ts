// The RSNXE (IEEE 802.11-2020 §9.4.2.241) in the 4-way handshake, station side: msg 2/4
// carries the station's RSNXE after its RSNE (§12.7.6.3), and msg 3/4 must carry the AP's
// Beacon RSNXE byte for byte, or none when the Beacon has none (§12.7.6.4: a downgrade of
// SAE H2E to hunting-and-pecking shows there). RSNXEs from hostap tests/hwsim/test_sae.py.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { AKM, CIPHER, RSNE_ID, RSNXE_ID, RsnCapability, decodeKeyData, encodeRsnxe, findElement, pbkdf2Psk } from '@airlock/rsn';
import { Supplicant, type SupplicantEffect, type SupplicantOptions } from './index.js';
import { ScriptedAuthenticator, parseKeyFrame, rsneFor, seededRandom } from './testing/scripted-authenticator.js';

const AA = Buffer.from('020000000001', 'hex');
const SPA = Buffer.from('020000000002', 'hex');
const PMK = pbkdf2Psk('password', Buffer.from('IEEE'));
const RSNE = rsneFor(AKM.SAE, CIPHER.CCMP_128, CIPHER.CCMP_128, 0x000c | RsnCapability.MFPC | RsnCapability.MFPR);
/** SAE Hash-to-Element: F40120, as hostapd and wpa_supplicant send it with sae_pwe=1. */
const H2E = Buffer.from('f40120', 'hex');
/** No RSNXE (the scripted AP's and the station's options take an empty Buffer as none). */
const NONE = Buffer.alloc(0);

function pair(sta: Partial<SupplicantOptions> = {}, apRsnxe: Buffer = H2E): { ap: ScriptedAuthenticator; sta: Supplicant } {
  return {
    sta: new Supplicant({
      spa: SPA,
      aa: AA,
      pmk: PMK,
      akm: AKM.SAE,
      pairwiseCipher: CIPHER.CCMP_128,
      groupCipher: CIPHER.CCMP_128,
      assocRsne: RSNE,
      apRsne: RSNE,
      assocRsnxe: H2E,
      apRsnxe: H2E,
      random: seededRandom('station'),
      ...sta,
    }),
    ap: new ScriptedAuthenticator({
      aa: AA,
      spa: SPA,
      pmk: PMK,
      akm: AKM.SAE,
      pairwiseCipher: CIPHER.CCMP_128,
      groupCipher: CIPHER.CCMP_128,
      apRsne: RSNE,
      apRsnxe,
      random: seededRandom('ap'),
      pmf: { groupMgmtCipher: CIPHER.BIP_CMAC_128 },
    }),
  };
}

function msg2(p: { ap: ScriptedAuthenticator; sta: Supplicant }): Buffer {
  const effects = p.sta.receive(p.ap.msg1());
  assert.equal(effects[0].type, 'transmit');
  const frame = (effects[0] as { frame: Buffer }).frame;
  assert.equal(p.ap.acceptMsg2(frame).micOk, true);
  return frame;
}

function dropped(effects: SupplicantEffect[], reason: string): void {
  assert.equal(effects.length, 1);
  assert.equal(effects[0].type, 'dropped');
  assert.equal((effects[0] as { reason: string }).reason, reason, (effects[0] as { detail: string }).detail);
}

void test('msg 2/4 Key Data: the (Re)Association Request RSNE, then its RSNXE', () => {
  const p = pair();
  const keyData = parseKeyFrame(msg2(p)).key.keyData;
  assert.deepEqual(keyData, Buffer.concat([RSNE, H2E]));
  const els = decodeKeyData(keyData);
  assert.ok(els.ok);
  assert.deepEqual(findElement(els.value, RSNE_ID), RSNE);
  assert.deepEqual(findElement(els.value, RSNXE_ID), H2E);
});

void test('msg 2/4 without an RSNXE when the station has none (empty Buffer or absent)', () => {
  for (const assocRsnxe of [undefined, NONE]) {
    const p = pair({ assocRsnxe });
    assert.deepEqual(parseKeyFrame(msg2(p)).key.keyData, RSNE);
  }
});

void test('msg 3/4 with the Beacon RSNXE after the RSNE: handshake completes', () => {
  const p = pair();
  msg2(p);
  const effects = p.sta.receive(p.ap.msg3());
  assert.deepEqual(effects.map((e) => e.type), ['transmit', 'install-ptk', 'install-gtk', 'install-igtk', 'handshake-complete']);
});

const mismatches = [
  { desc: 'no RSNXE while the Beacon has one (downgrade)', rsnxe: NONE },
  { desc: 'RSNXE F40100: no H2E (hostap test_sae.py sae_h2e_rsnxe_mismatch_ap)', rsnxe: Buffer.from('f40100', 'hex') },
  { desc: 'RSNXE F400: Length 0 (hostap test_sae.py sae_h2e_rsnxe_mismatch_ap)', rsnxe: Buffer.from('f400', 'hex') },
  { desc: 'RSNXE with H2E and SAE-PK', rsnxe: encodeRsnxe({ h2e: true, saePk: true }) },
  { desc: 'RSNXE F40320EEEE: the same capabilities in more octets (compared byte for byte)', rsnxe: Buffer.from('f40320eeee', 'hex') },
];
for (const c of mismatches) {
  void test(`msg 3/4 with ${c.desc} dropped as rsnxe-mismatch; the real msg 3/4 still completes`, () => {
    const p = pair();
    msg2(p);
    dropped(p.sta.receive(p.ap.msg3({ rsnxe: c.rsnxe })), 'rsnxe-mismatch');
    assert.equal(p.sta.state, 'ptk-negotiating');
    assert.equal(p.sta.ptk, undefined);
    assert.equal(p.sta.receive(p.ap.msg3()).at(-1)?.type, 'handshake-complete');
  });
}

void test('msg 3/4 with an RSNXE while the Beacon has none dropped as rsnxe-mismatch', () => {
  const p = pair({ apRsnxe: undefined, assocRsnxe: undefined }, H2E);
  msg2(p);
  dropped(p.sta.receive(p.ap.msg3()), 'rsnxe-mismatch');
});

void test('neither the Beacon nor msg 3/4 has an RSNXE (SAE hunting-and-pecking): handshake completes', () => {
  const p = pair({ apRsnxe: undefined, assocRsnxe: undefined }, NONE);
  msg2(p);
  assert.equal(p.sta.receive(p.ap.msg3()).at(-1)?.type, 'handshake-complete');
});

void test('the RSNE is checked before the RSNXE: a msg 3/4 with both wrong is an rsne-mismatch', () => {
  const p = pair();
  msg2(p);
  dropped(p.sta.receive(p.ap.msg3({ rsne: rsneFor(AKM.SAE, CIPHER.CCMP_128, CIPHER.CCMP_128, 0x000c), rsnxe: NONE })), 'rsne-mismatch');
});

void test('misbehave.msg2Rsnxe: msg 2/4 carries another RSNXE (the AP must disconnect the station)', () => {
  const other = Buffer.from('f40100', 'hex');
  const p = pair({ misbehave: { msg2Rsnxe: other } });
  assert.deepEqual(parseKeyFrame(msg2(p)).key.keyData, Buffer.concat([RSNE, other]));
  const q = pair({ misbehave: { msg2Rsnxe: NONE } });
  assert.deepEqual(parseKeyFrame(msg2(q)).key.keyData, RSNE, 'an empty Buffer: no RSNXE');
});

void test('reset with an empty apRsnxe (a roam to an AP without H2E): msg 3/4 must then carry none', () => {
  const p = pair();
  p.sta.reset({ apRsnxe: NONE, assocRsnxe: NONE });
  const q = pair({}, NONE);
  const m2 = p.sta.receive(q.ap.msg1())[0] as { frame: Buffer };
  assert.deepEqual(parseKeyFrame(m2.frame).key.keyData, RSNE);
  assert.equal(q.ap.acceptMsg2(m2.frame).micOk, true);
  assert.equal(p.sta.receive(q.ap.msg3()).at(-1)?.type, 'handshake-complete');
});
