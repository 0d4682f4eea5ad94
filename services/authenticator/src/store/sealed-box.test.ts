// The KEK seal of the shared store's values (sealed-box.ts).
import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import { describe, it } from 'node:test';
import { SealedBox } from './sealed-box.js';

void describe('SealedBox', () => {
  const kek = randomBytes(32);
  const box = new SealedBox(kek);
  const plain = Buffer.from('a PTK: 0123456789abcdef0123456789abcdef');

  void it('opens what it sealed under the same name; the sealed value does not contain the plaintext', () => {
    const sealed = box.seal(plain, 'airlock:bss:020000000001#s:020000000002');
    assert.equal(sealed.includes(plain.subarray(7, 23)), false);
    assert.deepEqual(box.open(sealed, 'airlock:bss:020000000001#s:020000000002'), plain);
    // Random nonce: the same plaintext seals differently each time.
    assert.notDeepEqual(box.seal(plain, 'n'), box.seal(plain, 'n'));
  });

  void it('refuses a value moved to another name, altered, truncated, or sealed under another KEK', () => {
    const sealed = box.seal(plain, 'airlock:bss:020000000001#s:020000000002');
    assert.equal(box.open(sealed, 'airlock:bss:020000000001#s:020000000003'), undefined, 'another station');
    const altered = Buffer.from(sealed);
    altered[20] ^= 1;
    assert.equal(box.open(altered, 'airlock:bss:020000000001#s:020000000002'), undefined);
    assert.equal(box.open(sealed.subarray(0, 20), 'airlock:bss:020000000001#s:020000000002'), undefined);
    assert.equal(new SealedBox(randomBytes(32)).open(sealed, 'airlock:bss:020000000001#s:020000000002'), undefined);
  });

  void it('after a KEK rotation, opens values sealed under the previous KEK (by its id) and seals under the new one', () => {
    const old = box.seal(plain, 'x');
    const rotated = new SealedBox(randomBytes(32), 2, new Map([[1, [kek]]]));
    assert.deepEqual(rotated.open(old, 'x'), plain);
    assert.equal(box.open(rotated.seal(plain, 'x'), 'x'), undefined, 'the old box has no KEK 2');
  });

  void it('refuses a KEK that is not 32 octets', () => {
    assert.throws(() => new SealedBox(randomBytes(16)), /32 octets/);
  });
});
