// IEEE 802.11-2020 §12.7.7 group key handshake, station side, against a scripted
// Authenticator built from the @airlock/rsn codecs and crypto.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { AKM, CIPHER, KeyInfo, pbkdf2Psk } from '@airlock/rsn';
import { Supplicant, type SupplicantEffect, type SupplicantOptions } from './index.js';
import { ScriptedAuthenticator, parseKeyFrame, rsneFor, seededRandom } from './testing/scripted-authenticator.js';

const AA = Buffer.from('020000000001', 'hex');
const SPA = Buffer.from('020000000002', 'hex');
const PSK = pbkdf2Psk('password', Buffer.from('IEEE'));

function pair(over: Partial<SupplicantOptions> = {}): { ap: ScriptedAuthenticator; sta: Supplicant } {
  const akm = over.akm ?? AKM.PSK;
  const rsne = rsneFor(akm, CIPHER.CCMP_128, CIPHER.CCMP_128);
  const sta = new Supplicant({
    spa: SPA,
    aa: AA,
    pmk: PSK,
    akm,
    pairwiseCipher: CIPHER.CCMP_128,
    groupCipher: CIPHER.CCMP_128,
    assocRsne: rsne,
    apRsne: rsne,
    random: seededRandom('station'),
    ...over,
  });
  const ap = new ScriptedAuthenticator({
    aa: AA,
    spa: SPA,
    pmk: PSK,
    akm,
    pairwiseCipher: CIPHER.CCMP_128,
    groupCipher: CIPHER.CCMP_128,
    apRsne: rsne,
    random: seededRandom('ap'),
  });
  return { ap, sta };
}

function established(over: Partial<SupplicantOptions> = {}): { ap: ScriptedAuthenticator; sta: Supplicant } {
  const p = pair(over);
  const m2 = p.sta.receive(p.ap.msg1())[0] as { frame: Buffer };
  assert.equal(p.ap.acceptMsg2(m2.frame).micOk, true);
  assert.equal(p.sta.receive(p.ap.msg3()).at(-1)?.type, 'handshake-complete');
  return p;
}

function dropped(effects: SupplicantEffect[]): string {
  assert.equal(effects.length, 1);
  assert.equal(effects[0].type, 'dropped');
  return (effects[0] as { reason: string }).reason;
}

for (const akm of [AKM.PSK, AKM.PSK_SHA256]) {
  const v = akm === AKM.PSK ? 2 : 3;
  void test(`group msg 1/2 installs the new GTK and is answered with group msg 2/2 (AKM ${akm & 0xff})`, () => {
    const p = established({ akm });
    const next = p.ap.rotateGtk();
    const effects = p.sta.receive(p.ap.groupMsg1());
    assert.deepEqual(effects.map((e) => e.type), ['install-gtk', 'transmit', 'group-rekey-complete']);
    const install = effects[0] as Extract<SupplicantEffect, { type: 'install-gtk' }>;
    assert.equal(install.keyId, next.keyId);
    assert.deepEqual(install.gtk, next.gtk);
    const m22 = (effects[1] as { frame: Buffer }).frame;
    const check = p.ap.acceptGroupMsg2(m22);
    assert.equal(check.micOk, true);
    assert.equal(check.key.keyInfo, v | KeyInfo.MIC | KeyInfo.SECURE, 'group msg 2/2 Key Info');
    assert.equal(check.key.replayCounter, p.ap.replayCounter);
    assert.equal(check.key.keyData.length, 0);
    assert.deepEqual((effects[2] as { keyId: number }).keyId, next.keyId);
    assert.deepEqual(p.sta.gtk, next);
    assert.equal(p.sta.state, 'established');
  });
}

void test('group msg 1/2 retransmitted with the GTK in use: answered, not reinstalled', () => {
  const p = established();
  p.ap.rotateGtk();
  p.sta.receive(p.ap.groupMsg1());
  const again = p.sta.receive(p.ap.groupMsg1());
  assert.deepEqual(again.map((e) => e.type), ['transmit']);
  assert.equal(p.ap.acceptGroupMsg2((again[0] as { frame: Buffer }).frame).micOk, true);
});

void test('replayed group msg 1/2 dropped as replay', () => {
  const p = established();
  p.ap.rotateGtk();
  const g1 = p.ap.groupMsg1();
  p.sta.receive(g1);
  assert.equal(dropped(p.sta.receive(g1)), 'replay');
});

void test('group msg 1/2 with a bad MIC dropped; the GTK is unchanged', () => {
  const p = established();
  const before = p.sta.gtk;
  p.ap.rotateGtk();
  assert.equal(dropped(p.sta.receive(p.ap.groupMsg1({ corruptMic: true }))), 'bad-mic');
  assert.deepEqual(p.sta.gtk, before);
  // The replay counter of a rejected frame is not taken: the genuine next one is accepted.
  assert.equal(p.sta.receive(p.ap.groupMsg1({ replayCounter: p.ap.replayCounter })).at(-1)?.type, 'group-rekey-complete');
});

void test('group msg 1/2 before the 4-way handshake completed dropped as unexpected', () => {
  const p = established();
  const fresh = pair();
  assert.equal(dropped(fresh.sta.receive(p.ap.groupMsg1())), 'unexpected');
});

void test('group msg 1/2 without a GTK KDE dropped as no-gtk', () => {
  const p = established();
  assert.equal(dropped(p.sta.receive(p.ap.groupMsg1({ omitGtk: true }))), 'no-gtk');
});

void test('group msg 1/2 without Encrypted Key Data dropped as malformed', () => {
  const p = established();
  assert.equal(dropped(p.sta.receive(p.ap.groupMsg1({ keyInfo: 2 | KeyInfo.ACK | KeyInfo.MIC | KeyInfo.SECURE }))), 'malformed');
});

void test('group msg 1/2 during a PTK rekey is protected with the PTK in use', () => {
  const p = established();
  const oldPtk = p.ap.ptk;
  p.ap.newAnonce();
  const m2 = p.sta.receive(p.ap.msg1())[0] as { frame: Buffer };
  assert.equal(p.sta.state, 'ptk-negotiating');
  assert.equal(p.ap.acceptMsg2(m2.frame).micOk, true);
  const newPtk = p.ap.ptk;
  p.ap.ptk = oldPtk;
  p.ap.rotateGtk();
  assert.equal(p.sta.receive(p.ap.groupMsg1()).at(-1)?.type, 'group-rekey-complete');
  p.ap.ptk = newPtk;
  assert.equal(p.sta.receive(p.ap.msg3()).at(-1)?.type, 'handshake-complete');
});

void test('misbehave.ignoreGroupMsg1: group msg 1/2 is never answered', () => {
  const p = established({ misbehave: { ignoreGroupMsg1: true } });
  const before = p.sta.gtk;
  p.ap.rotateGtk();
  assert.equal(dropped(p.sta.receive(p.ap.groupMsg1())), 'unexpected');
  assert.deepEqual(p.sta.gtk, before);
});

void test('group msg 2/2 echoes the Key Index of group msg 1/2, as wpa_supplicant does', () => {
  const p = established();
  p.ap.rotateGtk();
  const effects = p.sta.receive(p.ap.groupMsg1({ keyInfo: 2 | KeyInfo.ACK | KeyInfo.MIC | KeyInfo.SECURE | KeyInfo.ENCRYPTED_KEY_DATA | 0x20 }));
  const m22 = effects.find((e) => e.type === 'transmit') as { frame: Buffer };
  assert.equal(parseKeyFrame(m22.frame).key.keyInfo & 0x30, 0x20);
});
