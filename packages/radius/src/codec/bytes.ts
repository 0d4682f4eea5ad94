/**
 * Byte and hash helpers shared by the RADIUS codec files (not part of the public API).
 * MD5 and HMAC-MD5 are what RFC 2865 §3, RFC 2866 §3 and RFC 3579 §3.2 prescribe.
 */
import { createHash, createHmac, timingSafeEqual } from 'node:crypto';

export { asBuffer, checkInt, checkLength } from '@airlock/bytes';

/** Throws RangeError on an empty shared secret (RFC 2865 §3: the secret MUST NOT be empty). */
export function checkSecret(secret: Uint8Array): void {
  if (secret.length === 0) throw new RangeError('the RADIUS shared secret must not be empty');
}

/** MD5 over the concatenation of `parts`. */
export function md5(...parts: Uint8Array[]): Buffer {
  const h = createHash('md5');
  for (const p of parts) h.update(p);
  return h.digest();
}

/** HMAC-MD5 keyed with `key` over `data`. */
export function hmacMd5(key: Uint8Array, data: Uint8Array): Buffer {
  return createHmac('md5', key).update(data).digest();
}

/** HMAC-MD5 keyed with `key` over the concatenation of `parts` (no joined copy is made). */
export function hmacMd5Parts(key: Uint8Array, parts: readonly Uint8Array[]): Buffer {
  const h = createHmac('md5', key);
  for (const p of parts) h.update(p);
  return h.digest();
}

/** Constant-time equality of two byte strings; unequal lengths (not secret) compare false at once. */
export function equalConstantTime(a: Uint8Array, b: Uint8Array): boolean {
  return a.length === b.length && timingSafeEqual(a, b);
}
