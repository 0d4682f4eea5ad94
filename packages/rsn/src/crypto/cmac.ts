/**
 * AES-CMAC, RFC 4493 (NIST SP 800-38B) with AES-128, built on node:crypto's AES-ECB and
 * AES-CBC since node:crypto has no CMAC.
 */
import { createCipheriv } from 'node:crypto';

const BLOCK = 16;
const ZERO_BLOCK = Buffer.alloc(BLOCK);

/** RFC 4493 §2.3 subkey step: (L << 1) XOR (msb(L) ? Rb : 0) with Rb = 0x87, in place. */
function doubleInPlace(b: Buffer): void {
  const msb = b[0] & 0x80;
  for (let i = 0; i < BLOCK - 1; i++) b[i] = ((b[i] << 1) | (b[i + 1] >>> 7)) & 0xff;
  b[BLOCK - 1] = ((b[BLOCK - 1] << 1) & 0xff) ^ (msb !== 0 ? 0x87 : 0);
}

/** AES-128-CMAC of RFC 4493: a 16-octet tag of `data` under a 16-octet key. */
export function aesCmac(key: Uint8Array, data: Uint8Array): Buffer {
  if (key.length !== BLOCK) throw new RangeError(`AES-128-CMAC key must be 16 octets, got ${key.length}`);
  // Subkeys (§2.3): L = AES-K(0^128), K1 = dbl(L), K2 = dbl(K1).
  const ecb = createCipheriv('aes-128-ecb', key, null).setAutoPadding(false);
  const subkey = ecb.update(ZERO_BLOCK);
  doubleInPlace(subkey);
  const complete = data.length > 0 && data.length % BLOCK === 0;
  if (!complete) doubleInPlace(subkey);

  // Last block (§2.4 steps 3-4): M_n XOR K1 if complete, else (M_n || 10^i) XOR K2.
  const lastStart = complete ? data.length - BLOCK : data.length - (data.length % BLOCK);
  const last = Buffer.alloc(BLOCK);
  last.set(data.subarray(lastStart));
  if (!complete) last[data.length - lastStart] = 0x80;
  for (let i = 0; i < BLOCK; i++) last[i] ^= subkey[i];

  // CBC-MAC with a zero IV over M_1 .. M_{n-1} || last: the tag is the final ciphertext block.
  const cbc = createCipheriv('aes-128-cbc', key, ZERO_BLOCK).setAutoPadding(false);
  if (lastStart > 0) cbc.update(data.subarray(0, lastStart));
  const tag = cbc.update(last);
  cbc.final();
  subkey.fill(0);
  last.fill(0);
  return tag;
}
