import { test } from 'node:test';
import assert from 'node:assert/strict';
import fc from 'fast-check';
import { formatMac, macKey, parseMac } from './mac.js';

void test('formatMac and macKey agree with the plain hex of the octets, for any length', () => {
  fc.assert(
    fc.property(fc.uint8Array({ maxLength: 10 }), (u) => {
      const hex = Buffer.from(u).toString('hex');
      assert.equal(macKey(u), hex);
      assert.equal(formatMac(u), hex.match(/../g)?.join(':') ?? '');
    }),
    { numRuns: 2000 },
  );
  const view = Buffer.from('ff025a00010203ff', 'hex').subarray(1, 7);
  assert.equal(macKey(view), '025a00010203');
  assert.equal(formatMac(view), '02:5a:00:01:02:03');
  assert.deepEqual(parseMac(formatMac(view)), Buffer.from(view));
});
