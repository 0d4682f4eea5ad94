/**
 * Key derivation functions of IEEE 802.11-2020 §12.7.1.2 (PRF-n, HMAC-SHA1) and
 * §12.7.1.7.2 (KDF-Hash-Length with SHA-256).
 */
import { createHmac } from 'node:crypto';

const SHA1_LEN = 20;
const SHA256_LEN = 32;

function outputBytes(bits: number, maxBits: number): number {
  if (!Number.isInteger(bits) || bits <= 0 || bits % 8 !== 0 || bits > maxBits) {
    throw new RangeError(`output length must be a positive multiple of 8 bits up to ${maxBits}, got ${bits}`);
  }
  return bits / 8;
}

/** PRF-n of §12.7.1.2: HMAC-SHA1(K, A || 0x00 || B || i) for i = 0, 1, ..., truncated to `bits`. */
export function prf(key: Uint8Array, label: string, data: Uint8Array, bits: number): Buffer {
  // The counter is a single octet, so at most 256 blocks.
  const len = outputBytes(bits, 256 * SHA1_LEN * 8);
  const labelLen = Buffer.byteLength(label, 'latin1');
  // One input buffer, label || 0x00 || data || i, whose last octet is the counter.
  // Every octet is written below (allocUnsafe: a pooled slice, not an ArrayBuffer per call).
  const input = Buffer.allocUnsafe(labelLen + 1 + data.length + 1);
  input.write(label, 0, 'latin1');
  input[labelLen] = 0;
  input.set(data, labelLen + 1);
  const counterAt = input.length - 1;
  const out = Buffer.allocUnsafe(len); // filled block by block below
  for (let i = 0, pos = 0; pos < len; i++, pos += SHA1_LEN) {
    input[counterAt] = i;
    const block = createHmac('sha1', key).update(input).digest();
    block.copy(out, pos, 0, Math.min(SHA1_LEN, len - pos));
    block.fill(0);
  }
  return out;
}

/**
 * KDF-SHA-256-Length of §12.7.1.7.2: HMAC-SHA256(K, i || label || context || Length) for
 * i = 1, 2, ..., with i and Length as 16-bit little-endian integers, truncated to `bits`.
 */
export function kdfSha256(key: Uint8Array, label: string, context: Uint8Array, bits: number): Buffer {
  const len = outputBytes(bits, 0xffff);
  const labelBytes = Buffer.from(label, 'latin1');
  // Pooled slices, every octet written (Buffer.alloc would make an ArrayBuffer each).
  const counter = Buffer.allocUnsafe(2);
  const length = Buffer.allocUnsafe(2);
  length.writeUInt16LE(bits, 0);
  const out = Buffer.allocUnsafe(len); // filled block by block below
  for (let i = 1, pos = 0; pos < len; i++, pos += SHA256_LEN) {
    counter.writeUInt16LE(i, 0);
    const block = createHmac('sha256', key).update(counter).update(labelBytes).update(context).update(length).digest();
    block.copy(out, pos, 0, Math.min(SHA256_LEN, len - pos));
    block.fill(0);
  }
  return out;
}
