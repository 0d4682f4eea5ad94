/**
 * A full 4-way handshake checked against a key derivation that does not come from
 * packages/rsn (issue 15, "figures anyone can regenerate"): the test reads the nonces and
 * MICs out of the frames on the air by their byte offsets (IEEE 802.11-2020 Figure 12-32),
 * derives PMK, PTK and the MICs itself with node:crypto primitives only, and compares
 * them with what the core installed and sent:
 * - PMK = PBKDF2-HMAC-SHA1(passphrase, SSID, 4096, 256 bits) (§J.4.1);
 * - PTK for AKM 2: PRF-384 = HMAC-SHA1 over "Pairwise key expansion" || 0x00 || data || i
 *   (§12.7.1.2); for AKM 6: KDF-SHA-256-384 = HMAC-SHA256 over i (16 bits, LE) || label ||
 *   data || 384 (16 bits, LE) (§12.7.1.7.2); data = Min(AA,SPA) || Max(AA,SPA) ||
 *   Min(ANonce,SNonce) || Max(ANonce,SNonce);
 * - KCK = PTK[0..16), KEK = PTK[16..32), TK = PTK[32..48) for CCMP-128;
 * - the MIC of msg 3/4 (the core's) and of msg 2/4 (the station's): HMAC-SHA1-128 for key
 *   descriptor version 2, AES-128-CMAC for version 3 (RFC 4493, written out here).
 */
import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { createCipheriv, createHmac, pbkdf2Sync } from 'node:crypto';
import { AKM } from '@airlock/rsn';
import { Air, mac, type AirFrame } from './harness.js';

const SSID = 'independent-keys';
const PASSPHRASE = 'a passphrase of this test';

/** EAPOL-Key frame fields by offset: 4-octet EAPOL header, then descriptor type (1), key information (2), key length (2), replay counter (8), nonce (32), IV (16), RSC (8), reserved (8), MIC (16), key data length (2). */
const NONCE = 4 + 1 + 2 + 2 + 8;
const MIC = NONCE + 32 + 16 + 8 + 8;

/** IEEE 802.11-2020 §12.7.1.2 PRF-384 (HMAC-SHA1). */
function prf384(key: Buffer, label: string, data: Buffer): Buffer {
  const out: Buffer[] = [];
  for (let i = 0; out.length * 20 < 48; i++) out.push(createHmac('sha1', key).update(Buffer.concat([Buffer.from(label, 'latin1'), Buffer.from([0]), data, Buffer.from([i])])).digest());
  return Buffer.concat(out).subarray(0, 48);
}

/** IEEE 802.11-2020 §12.7.1.7.2 KDF-SHA-256-384. */
function kdfSha256384(key: Buffer, label: string, data: Buffer): Buffer {
  const out: Buffer[] = [];
  const length = Buffer.alloc(2);
  length.writeUInt16LE(384);
  for (let i = 1; (i - 1) * 32 < 48; i++) {
    const counter = Buffer.alloc(2);
    counter.writeUInt16LE(i);
    out.push(createHmac('sha256', key).update(Buffer.concat([counter, Buffer.from(label, 'latin1'), data, length])).digest());
  }
  return Buffer.concat(out).subarray(0, 48);
}

/** RFC 4493 AES-128-CMAC. */
function aesCmac(key: Buffer, msg: Buffer): Buffer {
  const aes = (block: Buffer): Buffer => {
    const c = createCipheriv('aes-128-ecb', key, null);
    c.setAutoPadding(false);
    return Buffer.concat([c.update(block), c.final()]);
  };
  const dbl = (b: Buffer): Buffer => {
    const out = Buffer.alloc(16);
    for (let i = 0; i < 16; i++) out[i] = ((b[i] << 1) | (i < 15 ? b[i + 1] >> 7 : 0)) & 0xff;
    if ((b[0] & 0x80) !== 0) out[15] ^= 0x87;
    return out;
  };
  const k1 = dbl(aes(Buffer.alloc(16)));
  const k2 = dbl(k1);
  const n = Math.max(1, Math.ceil(msg.length / 16));
  const complete = msg.length > 0 && msg.length % 16 === 0;
  const last = Buffer.alloc(16);
  msg.copy(last, 0, (n - 1) * 16);
  if (!complete) last[msg.length - (n - 1) * 16] = 0x80;
  const sub = complete ? k1 : k2;
  for (let i = 0; i < 16; i++) last[i] ^= sub[i];
  let x: Buffer = Buffer.alloc(16);
  for (let i = 0; i < n - 1; i++) {
    const block = msg.subarray(i * 16, i * 16 + 16);
    const y = Buffer.alloc(16);
    for (let j = 0; j < 16; j++) y[j] = x[j] ^ block[j];
    x = aes(y);
  }
  for (let j = 0; j < 16; j++) last[j] ^= x[j];
  return aes(last);
}

/** The MIC of an EAPOL-Key frame as sent: computed over the frame with its MIC field zeroed. */
function micOf(frame: Buffer, kck: Buffer, descriptorVersion: number): Buffer {
  const zeroed = Buffer.from(frame);
  zeroed.fill(0, MIC, MIC + 16);
  return descriptorVersion === 2 ? createHmac('sha1', kck).update(zeroed).digest().subarray(0, 16) : aesCmac(kck, zeroed);
}

void describe('a full 4-way handshake against a derivation independent of packages/rsn', () => {
  void it('RFC 4493 AES-CMAC as written here gives the RFC\'s example 2 (16 octets)', () => {
    const key = Buffer.from('2b7e151628aed2a6abf7158809cf4f3c', 'hex');
    assert.equal(aesCmac(key, Buffer.from('6bc1bee22e409f96e93d7e117393172a', 'hex')).toString('hex'), '070a16b46b4d4144f79bdd9dd04a287c');
    assert.equal(aesCmac(key, Buffer.alloc(0)).toString('hex'), 'bb1d6929e95937287fa37d129b756746');
  });

  for (const c of [
    { name: 'PSK (AKM 2): PRF-384, HMAC-SHA1 MICs', akm: AKM.PSK, descriptorVersion: 2, ptk: prf384 },
    { name: 'PSK-SHA256 (AKM 6): KDF-SHA-256, AES-CMAC MICs', akm: AKM.PSK_SHA256, descriptorVersion: 3, ptk: kdfSha256384 },
  ]) {
    void it(`${c.name}: the installed TK and both MICs match`, () => {
      const air = new Air({ commandDelayMs: 2 });
      const bssid = mac(0xc0, 1);
      const sta = mac(0x5c, 1);
      air.addBss({ bssid, ssid: SSID, akms: [c.akm], passphrases: [PASSPHRASE] });
      const frames: AirFrame[] = [];
      air.intercept = (f) => {
        frames.push(f);
        return 'deliver';
      };
      air.addStation({ mac: sta }, bssid);
      air.associate(sta);
      air.run();

      const kinds = frames.map((f) => `${f.dir} ${f.info.kind}`);
      assert.deepEqual(kinds, ['down msg1/4', 'up msg2/4', 'down msg3/4', 'up msg4/4']);
      const [m1, m2, m3, m4] = frames.map((f) => f.frame);
      const anonce = m1.subarray(NONCE, NONCE + 32);
      const snonce = m2.subarray(NONCE, NONCE + 32);
      assert.ok(m3.subarray(NONCE, NONCE + 32).equals(anonce), 'msg 3/4 repeats the ANonce');

      const pmk = pbkdf2Sync(PASSPHRASE, SSID, 4096, 32, 'sha1');
      const [lowMac, highMac] = Buffer.compare(bssid, sta) < 0 ? [bssid, sta] : [sta, bssid];
      const [lowNonce, highNonce] = Buffer.compare(anonce, snonce) < 0 ? [anonce, snonce] : [snonce, anonce];
      const ptk = c.ptk(pmk, 'Pairwise key expansion', Buffer.concat([lowMac, highMac, lowNonce, highNonce]));
      const kck = ptk.subarray(0, 16);
      const tk = ptk.subarray(32, 48);

      assert.equal(m2.subarray(MIC, MIC + 16).toString('hex'), micOf(m2, kck, c.descriptorVersion).toString('hex'), 'the station\'s msg 2/4 MIC, under the KCK derived here');
      assert.equal(m3.subarray(MIC, MIC + 16).toString('hex'), micOf(m3, kck, c.descriptorVersion).toString('hex'), 'the core\'s msg 3/4 MIC, under the KCK derived here');
      assert.equal(m4.subarray(MIC, MIC + 16).toString('hex'), micOf(m4, kck, c.descriptorVersion).toString('hex'), 'msg 4/4 MIC');
      const installs = air.effects('install-pairwise-key', (e) => e.sta.equals(sta));
      assert.equal(installs.length, 1);
      assert.equal(installs[0].effect.key.toString('hex'), tk.toString('hex'), 'the TK the core installs is PTK[32..48) derived here');
    });
  }
});
