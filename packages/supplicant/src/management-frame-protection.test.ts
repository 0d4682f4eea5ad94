// IEEE 802.11-2020 management frame protection on the station side: the IGTK KDE (and with
// Beacon protection the BIGTK KDE) in msg 3/4 (§12.7.6.4) and group msg 1/2 (§12.7.7.2),
// against a scripted Authenticator that lays out Key Data as hostapd does.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import {
  AKM,
  CIPHER,
  KdeType,
  RSNE_ID,
  RSNXE_ID,
  RsnCapability,
  aesKeyUnwrap,
  decodeKeyData,
  encodeBigtkKde,
  encodeGtkKde,
  encodeIgtkKde,
  encodeRsne,
  pbkdf2Psk,
} from '@airlock/rsn';
import { Supplicant, type SupplicantEffect, type SupplicantOptions } from './index.js';
import { ScriptedAuthenticator, parseKeyFrame, rsneFor, seededRandom, type ScriptedAuthenticatorOptions } from './testing/scripted-authenticator.js';

const AA = Buffer.from('020000000001', 'hex');
const SPA = Buffer.from('020000000002', 'hex');
const PSK = pbkdf2Psk('password', Buffer.from('IEEE'));
/** PTKSA Replay Counter 16 (hostapd with WMM), MFPC, and MFPR where asked. */
const MFPC = 0x000c | RsnCapability.MFPC;
const MFPR = MFPC | RsnCapability.MFPR;
const NO_PMF = 0x000c;

interface Pair {
  ap: ScriptedAuthenticator;
  sta: Supplicant;
}

function pair(
  sta: Partial<SupplicantOptions> & { caps?: number; apCaps?: number } = {},
  ap: Partial<ScriptedAuthenticatorOptions> = {},
): Pair {
  const { caps, apCaps, ...over } = sta;
  const akm = over.akm ?? AKM.SAE;
  const apRsne = over.apRsne ?? rsneFor(akm, CIPHER.CCMP_128, CIPHER.CCMP_128, apCaps ?? MFPR);
  return {
    sta: new Supplicant({
      spa: SPA,
      aa: AA,
      pmk: PSK,
      akm,
      pairwiseCipher: CIPHER.CCMP_128,
      groupCipher: CIPHER.CCMP_128,
      assocRsne: rsneFor(akm, CIPHER.CCMP_128, CIPHER.CCMP_128, caps ?? MFPC),
      apRsne,
      random: seededRandom('station'),
      ...over,
    }),
    ap: new ScriptedAuthenticator({
      aa: AA,
      spa: SPA,
      pmk: PSK,
      akm,
      pairwiseCipher: CIPHER.CCMP_128,
      groupCipher: CIPHER.CCMP_128,
      apRsne,
      random: seededRandom('ap'),
      pmf: { groupMgmtCipher: CIPHER.BIP_CMAC_128 },
      ...ap,
    }),
  };
}

function types(effects: SupplicantEffect[]): string[] {
  return effects.map((e) => e.type);
}

function effect<T extends SupplicantEffect['type']>(effects: SupplicantEffect[], type: T): Extract<SupplicantEffect, { type: T }> {
  const e = effects.find((x) => x.type === type);
  assert.ok(e !== undefined, `no ${type} in ${JSON.stringify(types(effects))}`);
  return e as Extract<SupplicantEffect, { type: T }>;
}

function dropped(effects: SupplicantEffect[], reason: string): void {
  assert.equal(effects.length, 1, JSON.stringify(types(effects)));
  const e = effects[0];
  assert.equal(e.type, 'dropped');
  assert.equal((e as { reason: string }).reason, reason, (e as { detail: string }).detail);
}

/** Msg 1/4 and 2/4: the AP holds the PTK, the station waits for msg 3/4. */
function toMsg3(p: Pair): void {
  const m2 = p.sta.receive(p.ap.msg1())[0] as { frame: Buffer };
  assert.equal(p.ap.acceptMsg2(m2.frame).micOk, true);
}

function established(p: Pair): Pair {
  toMsg3(p);
  const effects = p.sta.receive(p.ap.msg3());
  assert.equal(effects.at(-1)?.type, 'handshake-complete', JSON.stringify(types(effects)));
  return p;
}

void test('PMF negotiated (MFPC at both ends): msg 3/4 installs the PTK, the GTK, then the IGTK with its Key ID and IPN', () => {
  const p = pair({}, { pmf: { groupMgmtCipher: CIPHER.BIP_CMAC_128 } });
  assert.equal(p.sta.pmf, true);
  p.ap.igtk = { keyId: 5, ipn: 0x0123456789n, key: Buffer.alloc(16, 0x77) };
  toMsg3(p);
  const effects = p.sta.receive(p.ap.msg3());
  assert.deepEqual(types(effects), ['transmit', 'install-ptk', 'install-gtk', 'install-igtk', 'handshake-complete']);
  const igtk = effect(effects, 'install-igtk');
  assert.equal(igtk.keyId, 5);
  assert.equal(igtk.ipn, 0x0123456789n);
  assert.deepEqual(igtk.igtk, Buffer.alloc(16, 0x77));
  assert.deepEqual(p.sta.igtk, { keyId: 5, ipn: 0x0123456789n, key: Buffer.alloc(16, 0x77) });
  assert.equal(p.sta.bigtk, undefined);
  assert.equal(p.ap.acceptMsg4((effects[0] as { frame: Buffer }).frame).micOk, true);
});

void test('PMF with Beacon protection: msg 3/4 installs the BIGTK after the IGTK', () => {
  const p = pair({ beaconProtection: true }, { pmf: { groupMgmtCipher: CIPHER.BIP_CMAC_128, beaconProtection: true } });
  toMsg3(p);
  const effects = p.sta.receive(p.ap.msg3());
  assert.deepEqual(types(effects), ['transmit', 'install-ptk', 'install-gtk', 'install-igtk', 'install-bigtk', 'handshake-complete']);
  const bigtk = effect(effects, 'install-bigtk');
  assert.equal(bigtk.keyId, p.ap.bigtk?.keyId);
  assert.equal(bigtk.keyId, 6);
  assert.deepEqual(bigtk.bigtk, p.ap.bigtk?.key);
  assert.deepEqual(p.sta.bigtk?.key, p.ap.bigtk?.key);
});

void test('msg 3/4 without an IGTK KDE while PMF is negotiated dropped as no-igtk (wpa_supplicant accepts it: hostap test_ap_wpa2_psk_supp_proto_no_igtk); the real msg 3/4 still completes', () => {
  const p = pair();
  toMsg3(p);
  dropped(p.sta.receive(p.ap.msg3({ omitIgtk: true })), 'no-igtk');
  assert.equal(p.sta.state, 'ptk-negotiating');
  assert.equal(p.sta.ptk, undefined);
  assert.equal(p.sta.gtk, undefined);
  assert.equal(p.sta.receive(p.ap.msg3()).at(-1)?.type, 'handshake-complete');
});

void test('Beacon protection in use: msg 3/4 without a BIGTK KDE dropped as no-bigtk', () => {
  const p = pair({ beaconProtection: true }, { pmf: { groupMgmtCipher: CIPHER.BIP_CMAC_128, beaconProtection: true } });
  toMsg3(p);
  dropped(p.sta.receive(p.ap.msg3({ omitBigtk: true })), 'no-bigtk');
  assert.equal(p.sta.igtk, undefined, 'nothing installed');
});

void test('Beacon protection not used by the station: a BIGTK KDE in msg 3/4 is ignored (wpa_supplicant with beacon_prot=0)', () => {
  const p = pair({}, { pmf: { groupMgmtCipher: CIPHER.BIP_CMAC_128, beaconProtection: true } });
  toMsg3(p);
  const effects = p.sta.receive(p.ap.msg3());
  assert.deepEqual(types(effects), ['transmit', 'install-ptk', 'install-gtk', 'install-igtk', 'handshake-complete']);
  assert.equal(p.sta.bigtk, undefined);
});

const malformedIgtk = [
  { desc: 'an IGTK of 32 octets for BIP-CMAC-128', kde: encodeIgtkKde({ keyId: 4, ipn: 0n, key: Buffer.alloc(32, 1) }) },
  { desc: 'a byte-swapped Key ID 0x0400 (hostap test_ap_wpa2_psk_supp_proto_igtk_keyid_swap)', kde: Buffer.from('dd1c000fac09' + '0004' + '000000000000' + '77'.repeat(16), 'hex') },
  { desc: 'Key ID 0x0600 (hostap test_ap_wpa2_psk_supp_proto_igtk_keyid_unexpected)', kde: Buffer.from('dd1c000fac09' + '0006' + '000000000000' + '77'.repeat(16), 'hex') },
  { desc: 'an IGTK KDE of 7 data octets', kde: Buffer.from('dd0b000fac09' + '0400' + '0000000000', 'hex') },
];
for (const c of malformedIgtk) {
  void test(`msg 3/4 with ${c.desc} dropped as malformed; nothing installed`, () => {
    const p = pair();
    toMsg3(p);
    const rsne = rsneFor(AKM.SAE, CIPHER.CCMP_128, CIPHER.CCMP_128, MFPR);
    const keyData = Buffer.concat([rsne, encodeGtkKde({ keyId: 1, tx: false, gtk: p.ap.gtk.gtk }), c.kde]);
    dropped(p.sta.receive(p.ap.msg3({ keyData })), 'malformed');
    assert.equal(p.sta.ptk, undefined);
    assert.equal(p.sta.igtk, undefined);
  });
}

void test('PMF not negotiated (the AP does not set MFPC): no IGTK is expected and an IGTK KDE is ignored', () => {
  const p = pair({ apCaps: NO_PMF });
  assert.equal(p.sta.pmf, false);
  toMsg3(p);
  const effects = p.sta.receive(p.ap.msg3());
  assert.deepEqual(types(effects), ['transmit', 'install-ptk', 'install-gtk', 'handshake-complete']);
  assert.equal(p.sta.igtk, undefined);
});

void test('PMF not negotiated (the station does not set MFPC, the AP does): a msg 3/4 without IGTK completes', () => {
  const p = pair({ caps: NO_PMF, apCaps: MFPC }, { pmf: undefined });
  assert.equal(p.sta.pmf, false);
  toMsg3(p);
  assert.equal(p.sta.receive(p.ap.msg3()).at(-1)?.type, 'handshake-complete');
});

void test('BIP-GMAC-256 as the AP RSNE group management cipher: the IGTK is 32 octets', () => {
  const apRsne = encodeRsne({
    version: 1,
    groupCipher: CIPHER.CCMP_128,
    pairwiseCiphers: [CIPHER.CCMP_128],
    akms: [AKM.SAE],
    capabilities: MFPR,
    pmkids: [],
    groupMgmtCipher: CIPHER.BIP_GMAC_256,
  });
  const p = pair({ apRsne }, { pmf: { groupMgmtCipher: CIPHER.BIP_GMAC_256 } });
  assert.equal(p.ap.igtk?.key.length, 32);
  toMsg3(p);
  const effects = p.sta.receive(p.ap.msg3());
  assert.equal(effect(effects, 'install-igtk').igtk.length, 32);

  const q = pair({ apRsne }, { pmf: { groupMgmtCipher: CIPHER.BIP_CMAC_128 } });
  toMsg3(q);
  dropped(q.sta.receive(q.ap.msg3()), 'malformed');
});

void test('msg 3/4 retransmitted after completion: answered, the IGTK and BIGTK in use not reinstalled (KRACK guard)', () => {
  const p = established(pair({ beaconProtection: true }, { pmf: { groupMgmtCipher: CIPHER.BIP_CMAC_128, beaconProtection: true } }));
  const igtk = p.sta.igtk;
  const again = p.sta.receive(p.ap.msg3());
  assert.deepEqual(types(again), ['transmit']);
  assert.equal(p.sta.igtk, igtk);
});

void test('group msg 1/2 with a new GTK and IGTK: both installed, then group msg 2/2', () => {
  const p = established(pair());
  p.ap.rotateGtk();
  const next = p.ap.rotateIgtk();
  next.ipn = 42n;
  const effects = p.sta.receive(p.ap.groupMsg1());
  assert.deepEqual(types(effects), ['install-gtk', 'install-igtk', 'transmit', 'group-rekey-complete']);
  assert.equal(effect(effects, 'install-igtk').keyId, 5);
  assert.equal(effect(effects, 'install-igtk').ipn, 42n);
  assert.deepEqual(p.sta.igtk?.key, next.key);
  assert.equal(p.ap.acceptGroupMsg2(effect(effects, 'transmit').frame).micOk, true);
});

void test('group msg 1/2 with only a new IGTK: the IGTK installed, the GTK in use not reinstalled', () => {
  const p = established(pair());
  p.ap.rotateIgtk();
  const effects = p.sta.receive(p.ap.groupMsg1());
  assert.deepEqual(types(effects), ['install-igtk', 'transmit', 'group-rekey-complete']);
});

void test('group msg 1/2 with the GTK and IGTK in use: answered, nothing reinstalled', () => {
  const p = established(pair());
  assert.deepEqual(types(p.sta.receive(p.ap.groupMsg1())), ['transmit']);
});

void test('group msg 1/2 without an IGTK KDE while PMF is negotiated dropped as no-igtk; the keys are unchanged', () => {
  const p = established(pair());
  const before = p.sta.gtk;
  p.ap.rotateGtk();
  dropped(p.sta.receive(p.ap.groupMsg1({ omitIgtk: true })), 'no-igtk');
  assert.deepEqual(p.sta.gtk, before);
});

void test('group msg 1/2 with Beacon protection: a new BIGTK installed after the IGTK; without one dropped as no-bigtk', () => {
  const p = established(pair({ beaconProtection: true }, { pmf: { groupMgmtCipher: CIPHER.BIP_CMAC_128, beaconProtection: true } }));
  dropped(p.sta.receive(p.ap.groupMsg1({ omitBigtk: true })), 'no-bigtk');
  p.ap.bigtk = { keyId: 7, ipn: 3n, key: Buffer.alloc(16, 0xbb) };
  const effects = p.sta.receive(p.ap.groupMsg1());
  assert.deepEqual(types(effects), ['install-bigtk', 'transmit', 'group-rekey-complete']);
  assert.deepEqual(p.sta.bigtk, { keyId: 7, ipn: 3n, key: Buffer.alloc(16, 0xbb) });
});

void test('reset forgets (and wipes) the IGTK and BIGTK', () => {
  const p = established(pair({ beaconProtection: true }, { pmf: { groupMgmtCipher: CIPHER.BIP_CMAC_128, beaconProtection: true } }));
  const igtk = p.sta.igtk?.key;
  p.sta.reset();
  assert.equal(p.sta.igtk, undefined);
  assert.equal(p.sta.bigtk, undefined);
  assert.deepEqual(igtk, Buffer.alloc(16));
});

void test('reset to an AP without MFPC (a roam): PMF no longer negotiated', () => {
  const p = pair();
  assert.equal(p.sta.pmf, true);
  p.sta.reset({ apRsne: rsneFor(AKM.SAE, CIPHER.CCMP_128, CIPHER.CCMP_128, NO_PMF) });
  assert.equal(p.sta.pmf, false);
});

void test('PMF with WPA2-PSK (AKM 2) and with PSK-SHA256 (AKM 6) as well', () => {
  for (const akm of [AKM.PSK, AKM.PSK_SHA256]) {
    const p = pair({ akm });
    toMsg3(p);
    assert.deepEqual(types(p.sta.receive(p.ap.msg3())), ['transmit', 'install-ptk', 'install-gtk', 'install-igtk', 'handshake-complete']);
  }
});

void test('WPA3-Personal msg 3/4 Key Data as hostapd lays it out (SAE, PMF, H2E, Beacon protection): RSNE, RSNXE, GTK KDE, IGTK KDE, BIGTK KDE, padding', () => {
  const rsnxe = Buffer.from('f40120', 'hex');
  const p = pair({ beaconProtection: true, assocRsnxe: rsnxe, apRsnxe: rsnxe }, { apRsnxe: rsnxe, pmf: { groupMgmtCipher: CIPHER.BIP_CMAC_128, beaconProtection: true } });
  toMsg3(p);
  const m3 = p.ap.msg3();
  const kek = p.ap.ptk?.kek;
  assert.ok(kek);
  const plain = aesKeyUnwrap(kek, parseKeyFrame(m3).key.keyData);
  assert.ok(plain);
  const els = decodeKeyData(plain);
  assert.ok(els.ok);
  assert.deepEqual(
    els.value.map((e) => (e.kind === 'ie' ? `element ${e.id}` : `KDE ${e.dataType}`)),
    [`element ${RSNE_ID}`, `element ${RSNXE_ID}`, `KDE ${KdeType.GTK}`, `KDE ${KdeType.IGTK}`, `KDE ${KdeType.BIGTK}`],
  );
  assert.equal(p.sta.receive(m3).at(-1)?.type, 'handshake-complete');
});

void test('the order of the KDEs in Key Data does not matter to the station (BIGTK, IGTK, GTK)', () => {
  const p = pair({ beaconProtection: true }, { pmf: { groupMgmtCipher: CIPHER.BIP_CMAC_128, beaconProtection: true } });
  toMsg3(p);
  const { igtk, bigtk } = p.ap;
  assert.ok(igtk && bigtk);
  const keyData = Buffer.concat([
    rsneFor(AKM.SAE, CIPHER.CCMP_128, CIPHER.CCMP_128, MFPR),
    encodeBigtkKde(bigtk),
    encodeIgtkKde(igtk),
    encodeGtkKde({ keyId: p.ap.gtk.keyId, tx: false, gtk: p.ap.gtk.gtk }),
  ]);
  const effects = p.sta.receive(p.ap.msg3({ keyData }));
  assert.deepEqual(types(effects), ['transmit', 'install-ptk', 'install-gtk', 'install-igtk', 'install-bigtk', 'handshake-complete']);
});
