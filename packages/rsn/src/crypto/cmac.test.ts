import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { aesCmac } from './index.js';
import { hex } from './hex.fixture.js';

// RFC 4493 §4 test vectors (the same as NIST SP 800-38B D.1, AES-128).
const key = hex('2b7e1516 28aed2a6 abf71588 09cf4f3c');
const message = hex(
  '6bc1bee2 2e409f96 e93d7e11 7393172a',
  'ae2d8a57 1e03ac9c 9eb76fac 45af8e51',
  '30c81c46 a35ce411 e5fbc119 1a0a52ef',
  'f69f2445 df4f9b17 ad2b417b e66c3710',
);

const vectors = [
  { desc: 'RFC 4493 §4 Example 1: len = 0', len: 0, tag: hex('bb1d6929 e9593728 7fa37d12 9b756746') },
  { desc: 'RFC 4493 §4 Example 2: len = 16', len: 16, tag: hex('070a16b4 6b4d4144 f79bdd9d d04a287c') },
  { desc: 'RFC 4493 §4 Example 3: len = 40', len: 40, tag: hex('dfa66747 de9ae630 30ca3261 1497c827') },
  { desc: 'RFC 4493 §4 Example 4: len = 64', len: 64, tag: hex('51f0bebf 7e3b9d92 fc497417 79363cfe') },
];

void describe('aesCmac (RFC 4493)', () => {
  for (const v of vectors) {
    void it(v.desc, () => {
      assert.deepEqual(aesCmac(key, message.subarray(0, v.len)), v.tag);
    });
  }

  void it('RFC 4493 §4 Example 3 from a Uint8Array view at a non-zero offset', () => {
    const backing = hex('ffffff', message.subarray(0, 40).toString('hex'));
    assert.deepEqual(aesCmac(key, new Uint8Array(backing.buffer, backing.byteOffset + 3, 40)), vectors[2].tag);
  });

  for (const len of [0, 15, 24, 32]) {
    void it(`throws RangeError for a ${len}-octet key`, () => {
      assert.throws(() => aesCmac(Buffer.alloc(len), message), RangeError);
    });
  }
});
