/**
 * Byte helpers for key material: constant-time comparison (IEEE 802.11-2020 §12.7.2 MIC
 * checks, RFC 2865 authenticators) and wiping of released key buffers.
 */
import { timingSafeEqual } from 'node:crypto';

/** Constant-time equality of two byte strings; false (without comparing) on length mismatch. */
export function timingSafeEqualBytes(a: Uint8Array, b: Uint8Array): boolean {
  // The length of a MIC or authenticator is public; only the contents need constant time.
  if (a.length !== b.length) return false;
  return timingSafeEqual(a, b);
}

/** Zeroes a key buffer that is being released; undefined is ignored. */
export function wipe(b: Uint8Array | undefined): void {
  b?.fill(0);
}
