import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { aesKeyUnwrap, aesKeyWrap } from './index.js';
import { hex } from './hex.fixture.js';

const kek128 = hex('00010203 04050607 08090a0b 0c0d0e0f');
const kek192 = hex('00010203 04050607 08090a0b 0c0d0e0f 10111213 14151617');
const kek256 = hex('00010203 04050607 08090a0b 0c0d0e0f 10111213 14151617 18191a1b 1c1d1e1f');

// RFC 3394 §4 test vectors.
const vectors = [
  {
    desc: 'RFC 3394 §4.1: 128 bits of key data with a 128-bit KEK',
    kek: kek128,
    plaintext: hex('00112233 44556677 8899aabb ccddeeff'),
    ciphertext: hex('1fa68b0a 8112b447 aef34bd8 fb5a7b82 9d3e8623 71d2cfe5'),
  },
  {
    desc: 'RFC 3394 §4.2: 128 bits of key data with a 192-bit KEK',
    kek: kek192,
    plaintext: hex('00112233 44556677 8899aabb ccddeeff'),
    ciphertext: hex('96778b25 ae6ca435 f92b5b97 c050aed2 468ab8a1 7ad84e5d'),
  },
  {
    desc: 'RFC 3394 §4.3: 128 bits of key data with a 256-bit KEK',
    kek: kek256,
    plaintext: hex('00112233 44556677 8899aabb ccddeeff'),
    ciphertext: hex('64e8c3f9 ce0f5ba2 63e97779 05818a2a 93c8191e 7d6e8ae7'),
  },
  {
    desc: 'RFC 3394 §4.4: 192 bits of key data with a 192-bit KEK',
    kek: kek192,
    plaintext: hex('00112233 44556677 8899aabb ccddeeff 00010203 04050607'),
    ciphertext: hex('031d3326 4e15d332 68f24ec2 60743edc e1c6c7dd ee725a93 6ba81491 5c6762d2'),
  },
  {
    desc: 'RFC 3394 §4.5: 192 bits of key data with a 256-bit KEK',
    kek: kek256,
    plaintext: hex('00112233 44556677 8899aabb ccddeeff 00010203 04050607'),
    ciphertext: hex('a8f9bc16 12c68b3f f6e6f4fb e30e71e4 769c8b80 a32cb895 8cd5d17d 6b254da1'),
  },
  {
    desc: 'RFC 3394 §4.6: 256 bits of key data with a 256-bit KEK',
    kek: kek256,
    plaintext: hex('00112233 44556677 8899aabb ccddeeff 00010203 04050607 08090a0b 0c0d0e0f'),
    ciphertext: hex(
      '28c9f404 c4b810f4 cbccb35c fb87f826 3f5786e2 d80ed326',
      'cbc7f0e7 1a99f43b fb988b9b 7a02dd21',
    ),
  },
];

void describe('aesKeyWrap (RFC 3394)', () => {
  for (const v of vectors) {
    void it(v.desc, () => {
      assert.deepEqual(aesKeyWrap(v.kek, v.plaintext), v.ciphertext);
    });
  }

  const invalid = [
    { desc: 'key data of 8 octets (below the 16-octet minimum)', kek: kek128, plaintext: hex('00112233 44556677') },
    { desc: 'key data of 20 octets (not a multiple of 8)', kek: kek128, plaintext: Buffer.alloc(20) },
    { desc: 'empty key data', kek: kek128, plaintext: hex('') },
    { desc: 'a 15-octet KEK', kek: kek128.subarray(0, 15), plaintext: Buffer.alloc(16) },
  ];
  for (const c of invalid) {
    void it(`throws RangeError: ${c.desc}`, () => {
      assert.throws(() => aesKeyWrap(c.kek, c.plaintext), RangeError);
    });
  }
});

void describe('aesKeyUnwrap (RFC 3394)', () => {
  for (const v of vectors) {
    void it(v.desc, () => {
      assert.deepEqual(aesKeyUnwrap(v.kek, v.ciphertext), v.plaintext);
    });
  }

  const v41 = vectors[0];
  const tampered = (at: number): Buffer => {
    const c = Buffer.from(v41.ciphertext);
    c[at] ^= 0x01;
    return c;
  };
  const rejected = [
    { desc: 'RFC 3394 §4.1 with the first octet (integrity block) flipped', kek: kek128, ciphertext: tampered(0) },
    { desc: 'RFC 3394 §4.1 with the last octet flipped', kek: kek128, ciphertext: tampered(23) },
    { desc: 'RFC 3394 §4.1 unwrapped with the wrong KEK', kek: kek256.subarray(16), ciphertext: v41.ciphertext },
    { desc: 'RFC 3394 §4.1 unwrapped with a 192-bit KEK', kek: kek192, ciphertext: v41.ciphertext },
    { desc: 'ciphertext truncated to 23 octets (not a multiple of 8)', kek: kek128, ciphertext: v41.ciphertext.subarray(0, 23) },
    { desc: 'ciphertext of 16 octets (below the 24-octet minimum)', kek: kek128, ciphertext: v41.ciphertext.subarray(0, 16) },
    { desc: 'empty ciphertext', kek: kek128, ciphertext: hex('') },
    { desc: 'a 15-octet KEK', kek: kek128.subarray(0, 15), ciphertext: v41.ciphertext },
    { desc: 'an empty KEK', kek: hex(''), ciphertext: v41.ciphertext },
  ];
  for (const c of rejected) {
    void it(`returns undefined: ${c.desc}`, () => {
      assert.equal(aesKeyUnwrap(c.kek, c.ciphertext), undefined);
    });
  }
});
