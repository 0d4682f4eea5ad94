// Tests for hidden values: User-Password (RFC 2865 §5.2) and MS-MPPE keys (RFC 2548 §2.4.2, §2.4.3).
import assert from 'node:assert/strict';
import { createHash } from 'node:crypto';
import { describe, it } from 'node:test';
import fc from 'fast-check';
import { hex } from '@airlock/bytes/testing';
import { decryptMppeKey, encryptMppeKey, encryptTunnelPassword, hideUserPassword, readMppeKey, readTunnelPassword, unhideUserPassword } from './hiding.js';
import { decodeRadius } from './packet.js';
import {
  OPENBSD_MPPE,
  RFC2865_7_1_HIDDEN_PASSWORD,
  RFC2865_SECRET,
  WIRESHARK_EAP_MD5_RESPONSE,
  WIRESHARK_PAP_REQUEST,
  WIRESHARK_SECRET,
} from './testdata/vectors.js';

const RFC_RA = hex('0f403f9473978057bd83d5cb98f4227a');
const RFC_SECRET = Buffer.from(RFC2865_SECRET);

void describe('User-Password hiding (RFC 2865 §5.2)', () => {
  void it('hides "arctangent" as published in RFC 2865 §7.1 (secret "xyzzy5461")', () => {
    const hidden = hideUserPassword(Buffer.from('arctangent'), RFC_SECRET, RFC_RA);
    assert.equal(hidden.toString('hex'), RFC2865_7_1_HIDDEN_PASSWORD);
  });

  void it('reveals the RFC 2865 §7.1 hidden password as "arctangent"', () => {
    assert.equal(unhideUserPassword(hex(RFC2865_7_1_HIDDEN_PASSWORD), RFC_SECRET, RFC_RA)?.toString(), 'arctangent');
  });

  void it('reveals "testing" from the Wireshark radius_localhost.pcapng Access-Requests #7 and #9 (secret testing123)', () => {
    for (const lines of [WIRESHARK_EAP_MD5_RESPONSE, WIRESHARK_PAP_REQUEST]) {
      const p = decodeRadius(hex(lines));
      assert.ok(p.ok);
      const hidden = p.value.attributes.find((a) => a.type === 2)!.value;
      assert.equal(unhideUserPassword(hidden, Buffer.from(WIRESHARK_SECRET), p.value.authenticator)?.toString(), 'testing');
    }
  });

  void it('an empty password hides as one 16-octet block and reveals as empty', () => {
    const hidden = hideUserPassword(Buffer.alloc(0), RFC_SECRET, RFC_RA);
    assert.equal(hidden.length, 16);
    assert.equal(unhideUserPassword(hidden, RFC_SECRET, RFC_RA)?.length, 0);
  });

  void it('hidden lengths: 16 -> 16, 17 -> 32, 128 -> 128', () => {
    assert.equal(hideUserPassword(Buffer.alloc(16, 0x61), RFC_SECRET, RFC_RA).length, 16);
    assert.equal(hideUserPassword(Buffer.alloc(17, 0x61), RFC_SECRET, RFC_RA).length, 32);
    assert.equal(hideUserPassword(Buffer.alloc(128, 0x61), RFC_SECRET, RFC_RA).length, 128);
  });

  void it('the second block chains on the first ciphertext block (re-statement of the §5.2 formula)', () => {
    const password = Buffer.from('0123456789abcdefXYZ');
    const hidden = hideUserPassword(password, RFC_SECRET, RFC_RA);
    const b1 = createHash('md5').update(RFC_SECRET).update(RFC_RA).digest();
    const b2 = createHash('md5').update(RFC_SECRET).update(hidden.subarray(0, 16)).digest();
    const padded = Buffer.alloc(32);
    password.copy(padded);
    for (let i = 0; i < 16; i++) {
      assert.equal(hidden[i], padded[i] ^ b1[i]);
      assert.equal(hidden[16 + i], padded[16 + i] ^ b2[i]);
    }
  });

  void it('round trip: any password of 1..128 octets without trailing NUL', () => {
    fc.assert(
      fc.property(
        fc.uint8Array({ minLength: 1, maxLength: 128 }).filter((b) => b[b.length - 1] !== 0),
        fc.uint8Array({ minLength: 1, maxLength: 32 }),
        fc.uint8Array({ minLength: 16, maxLength: 16 }),
        (pw, secret, ra) => {
          const s = Buffer.from(secret);
          const a = Buffer.from(ra);
          const back = unhideUserPassword(hideUserPassword(Buffer.from(pw), s, a), s, a);
          assert.deepEqual(back, Buffer.from(pw));
        },
      ),
      { numRuns: 200 },
    );
  });

  void it('unhide refuses hidden values that are not 16..128 octets in whole blocks', () => {
    for (const n of [0, 15, 17, 31, 144]) {
      assert.equal(unhideUserPassword(Buffer.alloc(n), RFC_SECRET, RFC_RA), undefined, `${n} octets`);
    }
  });

  void it('throws RangeError on a 129-octet password, a 15-octet authenticator or an empty secret', () => {
    assert.throws(() => hideUserPassword(Buffer.alloc(129), RFC_SECRET, RFC_RA), RangeError);
    assert.throws(() => hideUserPassword(Buffer.from('a'), RFC_SECRET, Buffer.alloc(15)), RangeError);
    assert.throws(() => hideUserPassword(Buffer.from('a'), Buffer.alloc(0), RFC_RA), RangeError);
  });
});

void describe('MS-MPPE key encryption (RFC 2548 §2.4.2, §2.4.3)', () => {
  const secret = Buffer.from(OPENBSD_MPPE.secret);
  const ra = hex(OPENBSD_MPPE.requestAuthenticator);
  const value = hex(OPENBSD_MPPE.value);
  const key = hex(OPENBSD_MPPE.key);

  void it('decrypts the OpenBSD regress/lib/libradius/test25.c vector', () => {
    assert.equal(decryptMppeKey(value, secret, ra)?.toString('hex'), OPENBSD_MPPE.key);
  });

  void it('encrypts to the OpenBSD test25.c vector with its Salt 0x8036', () => {
    assert.equal(encryptMppeKey(key, secret, ra, hex('8036')).toString('hex'), value.toString('hex'));
  });

  void it('a 32-octet key: Salt || E(32 || key || 15 NULs), re-statement of the RFC 2548 formula (not a published vector)', () => {
    const key32 = Buffer.from(Array.from({ length: 32 }, (_, i) => i * 7 + 1));
    const salt = hex('9a5c');
    const got = encryptMppeKey(key32, secret, ra, salt);
    assert.equal(got.length, 2 + 48);
    const plain = Buffer.concat([Buffer.of(32), key32, Buffer.alloc(15)]);
    let chain: Buffer = Buffer.concat([ra, salt]);
    for (let i = 0; i < 48; i += 16) {
      const b = createHash('md5').update(secret).update(chain).digest();
      const c = got.subarray(2 + i, 2 + i + 16);
      for (let j = 0; j < 16; j++) assert.equal(c[j], plain[i + j] ^ b[j]);
      chain = c;
    }
    assert.deepEqual(decryptMppeKey(got, secret, ra), key32);
  });

  void it('round trip: keys of 1..239 octets with any high-bit Salt', () => {
    fc.assert(
      fc.property(
        fc.uint8Array({ minLength: 1, maxLength: 239 }),
        fc.integer({ min: 0x8000, max: 0xffff }),
        (k, saltN) => {
          const salt = Buffer.alloc(2);
          salt.writeUInt16BE(saltN);
          const enc = encryptMppeKey(Buffer.from(k), secret, ra, salt);
          assert.equal((enc.length - 2) % 16, 0);
          assert.deepEqual(decryptMppeKey(enc, secret, ra), Buffer.from(k));
        },
      ),
      { numRuns: 200 },
    );
  });

  void it('refuses a Salt without its high bit (bad salt)', () => {
    const bad = Buffer.from(value);
    bad[0] = 0x00;
    assert.equal(decryptMppeKey(bad, secret, ra), undefined);
    const r = readMppeKey(bad, secret, ra);
    assert.ok(!r.ok);
    assert.equal(r.error.code, 'invalid');
  });

  void it('refuses values that are not 2 + a positive multiple of 16 octets (bad length)', () => {
    for (const n of [0, 2, 17, 33, 35]) {
      const r = readMppeKey(Buffer.alloc(n, 0x80), secret, ra);
      assert.ok(!r.ok, `${n} octets`);
      assert.equal(r.error.code, 'bad-length');
      assert.equal(decryptMppeKey(Buffer.alloc(n, 0x80), secret, ra), undefined);
    }
  });

  void it('refuses a Key-Length beyond the decrypted data (a wrong secret shows up so)', () => {
    // With this wrong secret the decrypted Key-Length is 0x73 (115): beyond the 31 octets there.
    const r = readMppeKey(value, Buffer.from('not the secret'), ra);
    assert.ok(!r.ok);
    assert.equal(r.error.code, 'length-overflow');
  });

  void it('refuses a Key-Length of 0', () => {
    // Encrypt Key-Length 0 by hand: zero plaintext blocks give the bare keystream.
    const salt = hex('8001');
    const b1 = createHash('md5').update(secret).update(ra).update(salt).digest();
    assert.equal(decryptMppeKey(Buffer.concat([salt, b1]), secret, ra), undefined);
  });

  void it('throws RangeError on a Salt without its high bit, an empty key, or a 240-octet key', () => {
    assert.throws(() => encryptMppeKey(key, secret, ra, hex('0036')), RangeError);
    assert.throws(() => encryptMppeKey(key, secret, ra, hex('80')), RangeError);
    assert.throws(() => encryptMppeKey(Buffer.alloc(0), secret, ra, hex('8036')), RangeError);
    assert.throws(() => encryptMppeKey(Buffer.alloc(240), secret, ra, hex('8036')), RangeError);
  });
});

void describe('Tunnel-Password (RFC 2868 §3.5)', () => {
  const secret = Buffer.from('testing123');
  const ra = hex('00112233445566778899aabbccddeeff');
  const salt = Buffer.from([0x8a, 0x5e]);
  /** The RFC's cipher written out by hand, for two blocks: Tag, Salt, c1 = p1 xor MD5(S+RA+Salt), c2 = p2 xor MD5(S+c1). */
  function byHand(tag: number, password: string): Buffer {
    const plain = Buffer.alloc(32);
    plain[0] = password.length;
    Buffer.from(password).copy(plain, 1);
    const b1 = createHash('md5').update(secret).update(ra).update(salt).digest();
    const c1 = Buffer.from(plain.subarray(0, 16).map((x, i) => x ^ b1[i]));
    const b2 = createHash('md5').update(secret).update(c1).digest();
    const c2 = Buffer.from(plain.subarray(16, 32).map((x, i) => x ^ b2[i]));
    return Buffer.concat([Buffer.of(tag), salt, c1, c2]);
  }

  void it('decrypts a value built by hand (a 20-octet passphrase in two blocks, tag 1)', () => {
    const r = readTunnelPassword(byHand(1, 'station-one-passw0rd'), secret, ra);
    assert.ok(r.ok);
    assert.equal(r.value.tag, 1);
    assert.equal(r.value.password.toString(), 'station-one-passw0rd');
  });

  void it('encrypts to the value built by hand', () => {
    assert.deepEqual(encryptTunnelPassword(1, Buffer.from('station-one-passw0rd'), secret, ra, salt), byHand(1, 'station-one-passw0rd'));
  });

  void it('names what is wrong with a bad value and never throws', () => {
    const good = byHand(0, 'abcdefgh');
    const cases: [Buffer, string][] = [
      [Buffer.alloc(0), 'bad-length'],
      [good.subarray(0, 20), 'bad-length'],
      [Buffer.concat([Buffer.of(0x20), good.subarray(1)]), 'invalid'],
      [Buffer.concat([good.subarray(0, 1), Buffer.of(0x0a), good.subarray(2)]), 'invalid'],
    ];
    for (const [value, code] of cases) {
      const r = readTunnelPassword(value, secret, ra);
      assert.ok(!r.ok);
      assert.equal(r.error.code, code);
    }
    const wrongSecret = readTunnelPassword(good, Buffer.from('other'), ra);
    assert.ok(!wrongSecret.ok || wrongSecret.value.password.toString() !== 'abcdefgh');
    fc.assert(fc.property(fc.uint8Array({ maxLength: 80 }), (v) => {
      readTunnelPassword(Buffer.from(v), secret, ra);
    }));
  });
});
