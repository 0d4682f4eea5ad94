// IEEE 802.11-2020 §12.7.6 4-way handshake, station side, against a scripted Authenticator
// built from the @airlock/rsn codecs and crypto.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { AKM, CIPHER, KeyInfo, computePmkid, pbkdf2Psk } from '@airlock/rsn';
import { Supplicant, eapolLogoff, eapolStart, type SupplicantEffect, type SupplicantOptions } from './index.js';
import { ScriptedAuthenticator, parseKeyFrame, rsneFor, seededRandom } from './testing/scripted-authenticator.js';

const AA = Buffer.from('020000000001', 'hex');
const SPA = Buffer.from('020000000002', 'hex');
const PSK = pbkdf2Psk('password', Buffer.from('IEEE'));

interface Pair {
  ap: ScriptedAuthenticator;
  sta: Supplicant;
  opts: SupplicantOptions;
}

function pair(over: Partial<SupplicantOptions> = {}, apOver: { aa?: Buffer; apRsne?: Buffer; eapolVersion?: number } = {}): Pair {
  const akm = over.akm ?? AKM.PSK;
  const rsne = rsneFor(akm, CIPHER.CCMP_128, CIPHER.CCMP_128);
  const opts: SupplicantOptions = {
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
  };
  const ap = new ScriptedAuthenticator({
    aa: apOver.aa ?? AA,
    spa: SPA,
    pmk: PSK,
    akm,
    pairwiseCipher: CIPHER.CCMP_128,
    groupCipher: CIPHER.CCMP_128,
    apRsne: apOver.apRsne ?? rsne,
    random: seededRandom('ap'),
    eapolVersion: apOver.eapolVersion,
  });
  return { ap, sta: new Supplicant(opts), opts };
}

function only<T extends SupplicantEffect['type']>(effects: SupplicantEffect[], type: T): Extract<SupplicantEffect, { type: T }> {
  assert.equal(effects.length, 1, `expected one effect, got ${JSON.stringify(effects.map((e) => e.type))}`);
  const e = effects[0];
  assert.equal(e.type, type, `expected ${type}, got ${JSON.stringify(e)}`);
  return e as Extract<SupplicantEffect, { type: T }>;
}

function assertDropped(effects: SupplicantEffect[], reason: string): void {
  const e = only(effects, 'dropped');
  assert.equal(e.reason, reason, e.detail);
}

/** Runs msg 1/4 .. msg 4/4 and returns the effects of msg 3/4. */
function handshake(p: Pair): SupplicantEffect[] {
  const m2 = only(p.sta.receive(p.ap.msg1()), 'transmit').frame;
  assert.equal(p.ap.acceptMsg2(m2).micOk, true, 'msg 2/4 MIC');
  const effects = p.sta.receive(p.ap.msg3());
  assert.equal(p.ap.acceptMsg4((effects[0] as { frame: Buffer }).frame).micOk, true, 'msg 4/4 MIC');
  return effects;
}

void test('msg 1/4 answered with msg 2/4 whose MIC verifies with the PTK the AP derives from AA and the nonces', () => {
  const p = pair();
  assert.equal(p.sta.state, 'idle');
  const m1 = p.ap.msg1();
  const m2 = only(p.sta.receive(m1), 'transmit').frame;
  const check = p.ap.acceptMsg2(m2);
  assert.equal(check.micOk, true);
  assert.equal(check.eapolVersion, 1, "wpa_supplicant's default eapol_version");
  assert.equal(check.key.keyInfo, 2 | KeyInfo.PAIRWISE | KeyInfo.MIC, 'Key Info 0x010a');
  assert.equal(check.key.keyLength, 0);
  assert.equal(check.key.replayCounter, 1n);
  assert.equal(check.key.nonce.length, 32);
  assert.notDeepEqual(check.key.nonce, Buffer.alloc(32));
  assert.equal(p.sta.state, 'ptk-negotiating');
  assert.equal(p.sta.ptk, undefined, 'nothing installed before msg 3/4');
});

void test('msg 2/4 carries the (Re)Association Request RSNE byte for byte', () => {
  const assocRsne = Buffer.concat([rsneFor(AKM.PSK, CIPHER.CCMP_128, CIPHER.CCMP_128, 0x0080)]);
  const p = pair({ assocRsne });
  const m2 = only(p.sta.receive(p.ap.msg1()), 'transmit').frame;
  assert.deepEqual(parseKeyFrame(m2).key.keyData, assocRsne);
});

void test('msg 2/4 MIC fails at an AP that derives with another AA (the split-authenticator bug)', () => {
  const p = pair({}, { aa: Buffer.from('040000000009', 'hex') });
  const m2 = only(p.sta.receive(p.ap.msg1()), 'transmit').frame;
  assert.equal(p.ap.acceptMsg2(m2).micOk, false);
  assert.equal(p.ap.acceptMsg2(m2, { aa: AA }).micOk, true, 'the station used opts.aa');
});

void test('msg 1/4 retransmitted: answered again with the same SNonce and its own replay counter', () => {
  const p = pair();
  const a = parseKeyFrame(only(p.sta.receive(p.ap.msg1()), 'transmit').frame).key;
  const b = parseKeyFrame(only(p.sta.receive(p.ap.msg1()), 'transmit').frame).key;
  const c = parseKeyFrame(only(p.sta.receive(p.ap.msg1({ replayCounter: 2n })), 'transmit').frame).key;
  assert.equal(a.replayCounter, 1n);
  assert.equal(b.replayCounter, 2n);
  assert.equal(c.replayCounter, 2n, 'a duplicated copy is answered too');
  assert.deepEqual(b.nonce, a.nonce);
  assert.deepEqual(c.nonce, a.nonce);
});

void test('msg 1/4 with a new ANonce gets a fresh SNonce', () => {
  const p = pair();
  const a = parseKeyFrame(only(p.sta.receive(p.ap.msg1()), 'transmit').frame).key;
  p.ap.newAnonce();
  const m2 = only(p.sta.receive(p.ap.msg1()), 'transmit').frame;
  assert.notDeepEqual(parseKeyFrame(m2).key.nonce, a.nonce);
  assert.equal(p.ap.acceptMsg2(m2).micOk, true);
});

void test('msg 3/4 answered with msg 4/4, then PTK and GTK installed: TK and GTK equal what the AP derived', () => {
  const p = pair();
  const effects = handshake(p);
  assert.deepEqual(
    effects.map((e) => e.type),
    ['transmit', 'install-ptk', 'install-gtk', 'handshake-complete'],
  );
  const m4 = parseKeyFrame((effects[0] as { frame: Buffer }).frame).key;
  assert.equal(m4.keyInfo, 2 | KeyInfo.PAIRWISE | KeyInfo.MIC | KeyInfo.SECURE, 'Key Info 0x030a');
  assert.equal(m4.replayCounter, 2n);
  assert.deepEqual(m4.nonce, Buffer.alloc(32));
  assert.equal(m4.keyData.length, 0);
  const ptkFx = effects[1] as Extract<SupplicantEffect, { type: 'install-ptk' }>;
  const gtkFx = effects[2] as Extract<SupplicantEffect, { type: 'install-gtk' }>;
  assert.deepEqual(ptkFx.tk, p.ap.ptk?.tk);
  assert.equal(ptkFx.cipher, CIPHER.CCMP_128);
  assert.deepEqual(gtkFx.gtk, p.ap.gtk.gtk);
  assert.equal(gtkFx.keyId, p.ap.gtk.keyId);
  assert.equal(p.sta.state, 'established');
  assert.deepEqual(p.sta.ptk?.tk, p.ap.ptk?.tk);
  assert.deepEqual(p.sta.ptk?.kck, p.ap.ptk?.kck);
  assert.deepEqual(p.sta.gtk, p.ap.gtk);
});

void test('msg 3/4 retransmitted after completion: answered with msg 4/4, keys not reinstalled', () => {
  const p = pair();
  handshake(p);
  const again = p.sta.receive(p.ap.msg3());
  const m4 = only(again, 'transmit').frame;
  assert.equal(p.ap.acceptMsg4(m4).micOk, true);
  assert.equal(parseKeyFrame(m4).key.replayCounter, 3n);
  assert.equal(p.sta.state, 'established');
});

void test('replayed msg 3/4 (replay counter not above the last accepted) dropped as replay', () => {
  const p = pair();
  p.sta.receive(p.ap.msg1());
  const m2 = only(p.sta.receive(p.ap.msg1()), 'transmit').frame;
  p.ap.acceptMsg2(m2);
  const m3 = p.ap.msg3();
  assert.equal(p.sta.receive(m3)[0].type, 'transmit');
  assertDropped(p.sta.receive(m3), 'replay');
  assertDropped(p.sta.receive(p.ap.msg3({ replayCounter: 1n })), 'replay');
});

void test('msg 1/4 with an old replay counter after the handshake dropped as replay', () => {
  const p = pair();
  handshake(p);
  assertDropped(p.sta.receive(p.ap.msg1({ replayCounter: 2n })), 'replay');
  assert.equal(p.sta.state, 'established');
});

void test('msg 3/4 with a bad MIC dropped; the machine is unchanged and the real msg 3/4 still completes', () => {
  const p = pair();
  p.ap.acceptMsg2(only(p.sta.receive(p.ap.msg1()), 'transmit').frame);
  assertDropped(p.sta.receive(p.ap.msg3({ corruptMic: true })), 'bad-mic');
  assert.equal(p.sta.state, 'ptk-negotiating');
  assert.equal(p.sta.ptk, undefined);
  const effects = p.sta.receive(p.ap.msg3());
  assert.equal(effects.at(-1)?.type, 'handshake-complete');
});

void test('msg 3/4 whose RSNE differs from the Beacon RSNE dropped as rsne-mismatch (wpa_supplicant would deauthenticate)', () => {
  const p = pair();
  p.ap.acceptMsg2(only(p.sta.receive(p.ap.msg1()), 'transmit').frame);
  const other = rsneFor(AKM.PSK, CIPHER.CCMP_128, CIPHER.CCMP_128, 0x0080);
  assertDropped(p.sta.receive(p.ap.msg3({ rsne: other })), 'rsne-mismatch');
  assert.equal(p.sta.state, 'ptk-negotiating');
  // One octet longer with the same prefix is still a mismatch: the comparison is byte-exact.
  const longer = Buffer.concat([p.opts.apRsne.subarray(0, 1), Buffer.from([p.opts.apRsne[1] + 2]), p.opts.apRsne.subarray(2), Buffer.from([0, 0])]);
  assertDropped(p.sta.receive(p.ap.msg3({ rsne: longer })), 'rsne-mismatch');
});

void test('msg 3/4 with an ANonce other than msg 1/4 dropped as anonce-changed', () => {
  const p = pair();
  p.ap.acceptMsg2(only(p.sta.receive(p.ap.msg1()), 'transmit').frame);
  assertDropped(p.sta.receive(p.ap.msg3({ anonce: Buffer.alloc(32, 7) })), 'anonce-changed');
  assert.equal(p.sta.state, 'ptk-negotiating');
});

void test('msg 3/4 without a GTK KDE dropped as no-gtk', () => {
  const p = pair();
  p.ap.acceptMsg2(only(p.sta.receive(p.ap.msg1()), 'transmit').frame);
  assertDropped(p.sta.receive(p.ap.msg3({ omitGtk: true })), 'no-gtk');
});

void test('msg 3/4 Key Data wrapped with another KEK dropped as unwrap-failed', () => {
  const p = pair();
  p.ap.acceptMsg2(only(p.sta.receive(p.ap.msg1()), 'transmit').frame);
  assertDropped(p.sta.receive(p.ap.msg3({ kek: Buffer.alloc(16, 9) })), 'unwrap-failed');
});

void test('msg 3/4 without Install/Secure/Encrypted Key Data, or with a wrong Key Length, dropped as malformed', () => {
  const p = pair();
  p.ap.acceptMsg2(only(p.sta.receive(p.ap.msg1()), 'transmit').frame);
  assertDropped(p.sta.receive(p.ap.msg3({ keyInfo: 2 | KeyInfo.PAIRWISE | KeyInfo.ACK | KeyInfo.MIC | KeyInfo.ENCRYPTED_KEY_DATA })), 'malformed');
  assertDropped(p.sta.receive(p.ap.msg3({ keyLength: 32 })), 'malformed');
});

void test('msg 3/4 before any msg 1/4 dropped as unexpected', () => {
  const p = pair();
  const helper = pair();
  helper.ap.acceptMsg2(only(helper.sta.receive(helper.ap.msg1()), 'transmit').frame);
  assertDropped(p.sta.receive(helper.ap.msg3()), 'unexpected');
  assert.equal(p.sta.state, 'idle');
});

void test('EAPOL-Key with the wrong Key Descriptor Version for the AKM dropped', () => {
  const p = pair();
  const m1 = p.ap.msg1();
  m1[4 + 2] = (m1[4 + 2] & ~7) | 3; // Key Info low octet: version 3 with AKM 2
  assertDropped(p.sta.receive(m1), 'malformed');
  assert.equal(p.sta.state, 'idle');
});

void test('EAP packet and EAPOL-Start are not EAPOL-Key: dropped as unexpected', () => {
  const p = pair();
  assertDropped(p.sta.receive(Buffer.from([2, 0, 0, 5, 1, 1, 0, 5, 1])), 'unexpected');
  assertDropped(p.sta.receive(eapolStart(2)), 'unexpected');
});

void test('AKM 6 (PSK-SHA256): descriptor version 3, AES-128-CMAC MICs, KDF-SHA256 PTK', () => {
  const p = pair({ akm: AKM.PSK_SHA256 });
  const m2 = only(p.sta.receive(p.ap.msg1()), 'transmit').frame;
  const check = p.ap.acceptMsg2(m2);
  assert.equal(check.micOk, true);
  assert.equal(check.key.keyInfo & KeyInfo.VERSION_MASK, 3);
  const effects = p.sta.receive(p.ap.msg3());
  assert.deepEqual(effects.map((e) => e.type), ['transmit', 'install-ptk', 'install-gtk', 'handshake-complete']);
  const m4 = (effects[0] as { frame: Buffer }).frame;
  assert.equal(p.ap.acceptMsg4(m4).micOk, true);
  assert.equal(parseKeyFrame(m4).key.keyInfo, 3 | KeyInfo.PAIRWISE | KeyInfo.MIC | KeyInfo.SECURE);
  assert.deepEqual(p.sta.ptk?.tk, p.ap.ptk?.tk);
});

void test('AKM 8 (SAE): Key Descriptor Version 0 in every frame, AES-128-CMAC MICs, KDF-SHA-256 PTK', () => {
  const pmk = seededRandom('sae-pmk')(32);
  const p = pair({ akm: AKM.SAE, pmk });
  (p.ap.o as { pmk: Buffer }).pmk = pmk;
  const m1 = p.ap.msg1();
  assert.equal(parseKeyFrame(m1).key.keyInfo & KeyInfo.VERSION_MASK, 0);
  const m2 = only(p.sta.receive(m1), 'transmit').frame;
  const check = p.ap.acceptMsg2(m2);
  assert.equal(check.micOk, true, 'msg 2/4 MIC: AES-128-CMAC under the KCK of the KDF-SHA-256 PTK');
  assert.equal(check.key.keyInfo, 0 | KeyInfo.PAIRWISE | KeyInfo.MIC, 'Key Info 0x0108');
  const effects = p.sta.receive(p.ap.msg3());
  assert.deepEqual(effects.map((e) => e.type), ['transmit', 'install-ptk', 'install-gtk', 'handshake-complete']);
  const m4 = (effects[0] as { frame: Buffer }).frame;
  assert.equal(p.ap.acceptMsg4(m4).micOk, true);
  assert.equal(parseKeyFrame(m4).key.keyInfo, 0 | KeyInfo.PAIRWISE | KeyInfo.MIC | KeyInfo.SECURE, 'Key Info 0x0308');
  assert.deepEqual(p.sta.ptk?.tk, p.ap.ptk?.tk);
});

void test('AKM 8 (SAE): an EAPOL-Key with Key Descriptor Version 2 or 3 dropped as malformed', () => {
  const p = pair({ akm: AKM.SAE });
  for (const version of [2, 3]) {
    const m1 = p.ap.msg1();
    m1[4 + 2] = (m1[4 + 2] & ~7) | version;
    assertDropped(p.sta.receive(m1), 'malformed');
  }
  assert.equal(p.sta.state, 'idle');
});

void test('AKM 8 (SAE) with the PMK and PMKID of an SAE exchange (IEEE 802.11-2020 Annex J.10, group 19): msg 1/4 carries the PMKID, the PMK drives the PTK', () => {
  // Annex J.10 hunting-and-pecking values, as in hostap src/common/common_module_tests.c sae_tests.
  const pmk = Buffer.from('4e4dfab1a2dd8ac1a91790f953faaa452ae5c6873ab75b63605ba663f8a7fe59', 'hex');
  const pmkid = Buffer.from('8747a600eea3f9f22475df58ca1e5498', 'hex');
  const p = pair({ akm: AKM.SAE, pmk });
  (p.ap.o as { pmk: Buffer }).pmk = pmk;
  const m2 = only(p.sta.receive(p.ap.msg1({ pmkid })), 'transmit').frame;
  assert.deepEqual(p.sta.pmkidSeen, pmkid);
  assert.equal(p.ap.acceptMsg2(m2).micOk, true);
  assert.equal(p.sta.receive(p.ap.msg3()).at(-1)?.type, 'handshake-complete');
  assert.deepEqual(p.sta.ptk?.tk, p.ap.ptk?.tk);
});

void test('AKM 1 (802.1X) with a PMK from EAP and the PMKID KDE in msg 1/4', () => {
  const pmk = seededRandom('msk')(32);
  const p = pair({ akm: AKM.IEEE8021X, pmk });
  (p.ap.o as { pmk: Buffer }).pmk = pmk;
  const pmkid = computePmkid(pmk, AA, SPA, AKM.IEEE8021X);
  const m2 = only(p.sta.receive(p.ap.msg1({ pmkid })), 'transmit').frame;
  assert.deepEqual(p.sta.pmkidSeen, pmkid);
  assert.equal(p.ap.acceptMsg2(m2).micOk, true);
  assert.equal(p.sta.receive(p.ap.msg3()).at(-1)?.type, 'handshake-complete');
  // A later msg 1/4 without the KDE clears it.
  only(p.sta.receive(p.ap.msg1()), 'transmit');
  assert.equal(p.sta.pmkidSeen, undefined);
});

void test('PTK rekey: msg 1/4 while established starts a new handshake with a fresh SNonce and the Secure bit', () => {
  const p = pair();
  handshake(p);
  const oldTk = Buffer.from(p.sta.ptk?.tk ?? []);
  const oldSnonce = parseKeyFrame(only(p.sta.receive(p.ap.msg1()), 'transmit').frame).key.nonce;
  p.ap.newAnonce();
  const m2 = only(p.sta.receive(p.ap.msg1()), 'transmit').frame;
  const check = p.ap.acceptMsg2(m2);
  assert.equal(check.micOk, true);
  assert.notDeepEqual(check.key.nonce, oldSnonce);
  assert.equal(check.key.keyInfo & KeyInfo.SECURE, KeyInfo.SECURE, "wpa_supplicant's msg 2/4 of a rekey");
  assert.equal(p.sta.state, 'ptk-negotiating');
  assert.deepEqual(p.sta.ptk?.tk, oldTk, 'the old PTK stays in use until msg 3/4');
  const effects = p.sta.receive(p.ap.msg3());
  assert.deepEqual(effects.map((e) => e.type), ['transmit', 'install-ptk', 'handshake-complete'], 'same GTK: not reinstalled');
  assert.notDeepEqual(p.sta.ptk?.tk, oldTk);
  assert.deepEqual(p.sta.ptk?.tk, p.ap.ptk?.tk);
});

void test('EAPOL header version 2 and 3 accepted; eapolVersion sets the version octet the station sends', () => {
  for (const v of [2, 3]) {
    const p = pair({ eapolVersion: 2 }, { eapolVersion: v });
    const m2 = only(p.sta.receive(p.ap.msg1()), 'transmit').frame;
    assert.equal(m2[0], 2);
    assert.equal(p.ap.acceptMsg2(m2).micOk, true);
  }
});

void test('bytes after the declared EAPOL body (Ethernet padding) are ignored', () => {
  const p = pair();
  const m1 = Buffer.concat([p.ap.msg1(), Buffer.alloc(20, 0xee)]);
  const m2 = only(p.sta.receive(m1), 'transmit').frame;
  assert.equal(p.ap.acceptMsg2(m2).micOk, true);
  const m3 = Buffer.concat([p.ap.msg3(), Buffer.alloc(7, 0xee)]);
  assert.equal(p.sta.receive(m3).at(-1)?.type, 'handshake-complete');
});

void test('reset: a new association forgets keys, nonces and the replay counter', () => {
  const p = pair();
  handshake(p);
  p.sta.reset();
  assert.equal(p.sta.state, 'idle');
  assert.equal(p.sta.ptk, undefined);
  assert.equal(p.sta.gtk, undefined);
  const q = pair();
  assert.equal(handshake({ ...q, sta: p.sta }).at(-1)?.type, 'handshake-complete', 'replay counter 1 accepted again');
});

void test('reset with a new AA (roam): msg 2/4 is derived with the new BSSID', () => {
  const p = pair();
  handshake(p);
  const bssid2 = Buffer.from('020000000077', 'hex');
  p.sta.reset({ aa: bssid2 });
  const q = pair({}, { aa: bssid2 });
  const m2 = only(p.sta.receive(q.ap.msg1()), 'transmit').frame;
  assert.equal(q.ap.acceptMsg2(m2).micOk, true);
});

void test('misbehave.msg2Rsne: msg 2/4 carries the other RSNE (the AP must disconnect with reason 17)', () => {
  const other = rsneFor(AKM.PSK, CIPHER.CCMP_128, CIPHER.CCMP_128, 0x0080);
  const p = pair({ misbehave: { msg2Rsne: other } });
  const m2 = only(p.sta.receive(p.ap.msg1()), 'transmit').frame;
  const check = p.ap.acceptMsg2(m2);
  assert.equal(check.micOk, true);
  assert.deepEqual(check.key.keyData, other);
});

void test('misbehave.dropAll: a mute station answers nothing', () => {
  const p = pair({ misbehave: { dropAll: true } });
  assertDropped(p.sta.receive(p.ap.msg1()), 'unexpected');
  assert.equal(p.sta.state, 'idle');
});

void test('wrong passphrase: msg 2/4 MIC fails at the AP', () => {
  const p = pair({ pmk: pbkdf2Psk('wrong-password', Buffer.from('IEEE')) });
  const m2 = only(p.sta.receive(p.ap.msg1()), 'transmit').frame;
  assert.equal(p.ap.acceptMsg2(m2).micOk, false);
});

void test('EAPOL-Start and EAPOL-Logoff frames (IEEE 802.1X-2010 §11.3)', () => {
  assert.deepEqual(eapolStart(1), Buffer.from([1, 1, 0, 0]));
  assert.deepEqual(eapolStart(2), Buffer.from([2, 1, 0, 0]));
  assert.deepEqual(eapolLogoff(1), Buffer.from([1, 2, 0, 0]));
  assert.deepEqual(eapolLogoff(3), Buffer.from([3, 2, 0, 0]));
});

void test('constructor rejects programmer errors', () => {
  const base = pair().opts;
  assert.throws(() => new Supplicant({ ...base, aa: Buffer.alloc(5) }), RangeError);
  assert.throws(() => new Supplicant({ ...base, akm: 0x000fac04 }), RangeError, 'FT-PSK');
  assert.throws(() => new Supplicant({ ...base, akm: 0x000fac18 }), RangeError, 'SAE-EXT-KEY');
  assert.throws(() => new Supplicant({ ...base, pairwiseCipher: CIPHER.TKIP }), RangeError);
  assert.throws(() => new Supplicant({ ...base, eapolVersion: 0 }), RangeError);
});
