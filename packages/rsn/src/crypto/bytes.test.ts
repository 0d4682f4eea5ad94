import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { timingSafeEqualBytes, wipe } from './index.js';
import { hex } from './hex.fixture.js';

void describe('timingSafeEqualBytes', () => {
  const cases = [
    { desc: 'equal MICs', a: hex('6f0489cf7406acf0ae8fcb32bce57c37'), b: hex('6f0489cf7406acf0ae8fcb32bce57c37'), want: true },
    { desc: 'last octet differs', a: hex('6f0489cf7406acf0ae8fcb32bce57c37'), b: hex('6f0489cf7406acf0ae8fcb32bce57c36'), want: false },
    { desc: 'first octet differs', a: hex('6f0489cf7406acf0ae8fcb32bce57c37'), b: hex('ef0489cf7406acf0ae8fcb32bce57c37'), want: false },
    { desc: 'unequal lengths: truncated MIC', a: hex('6f0489cf7406acf0ae8fcb32bce57c37'), b: hex('6f0489cf7406acf0'), want: false },
    { desc: 'unequal lengths: one empty', a: hex(''), b: hex('00'), want: false },
    { desc: 'both empty', a: hex(''), b: hex(''), want: true },
  ];
  for (const c of cases) {
    void it(c.desc, () => {
      assert.equal(timingSafeEqualBytes(c.a, c.b), c.want);
      assert.equal(timingSafeEqualBytes(c.b, c.a), c.want);
    });
  }

  void it('accepts a Uint8Array view into a larger buffer', () => {
    const backing = hex('ffff', '6f0489cf7406acf0ae8fcb32bce57c37', 'ffff');
    const view = new Uint8Array(backing.buffer, backing.byteOffset + 2, 16);
    assert.equal(timingSafeEqualBytes(view, hex('6f0489cf7406acf0ae8fcb32bce57c37')), true);
  });
});

void describe('wipe', () => {
  void it('zeroes every octet of a key buffer', () => {
    const key = hex('9a75ef0bde7c209ccae13f54b1b33ea3');
    wipe(key);
    assert.deepEqual(key, Buffer.alloc(16));
  });

  void it('zeroes only the view it is given', () => {
    const ptk = hex('11111111', '22222222');
    wipe(ptk.subarray(0, 4));
    assert.deepEqual(ptk, hex('00000000', '22222222'));
  });

  void it('ignores undefined', () => {
    assert.doesNotThrow(() => wipe(undefined));
  });
});
