/**
 * SAE finite cyclic group 19 (IEEE 802.11-2020 §12.4.4.2): the NIST P-256 curve
 * (y^2 = x^3 - 3x + b over GF(p), prime order r, cofactor 1), with the octet encodings SAE
 * uses on the air (§12.4.7.2, data type conversion) and the validity checks a
 * receiver makes on them (§12.4.5.4).
 *
 * Points are @noble/curves' P-256 points; the scalar multiplications of an exchange are
 * OpenSSL's (pwe-base.ts). Field arithmetic is JavaScript BigInt, which is not constant-time
 * at the machine level (see SECURITY.md and the notes in pwe-base.ts, hunt-and-peck.ts and
 * h2e.ts).
 */
import { p256 } from '@noble/curves/nist.js';
import type { WeierstrassPoint } from '@noble/curves/abstract/weierstrass.js';
import { fail, ok, type DecodeError, type Result } from '../result.js';

/** An element of group 19: a point on P-256 (affine coordinates via `.x`, `.y`). */
export type SaeElement = WeierstrassPoint<bigint>;

/** Why SAE refused a value or a message (codes named after the check that failed). */
export type SaeErrorCode =
  /** A scalar or element field of the wrong length. */
  | 'bad-length'
  /** A scalar outside 1 < s < r (§12.4.5.4). */
  | 'invalid-scalar'
  /** An element with a coordinate >= p, not on the curve, or the point at infinity (§12.4.5.4). */
  | 'invalid-element'
  /** The peer's commit scalar and element are ours sent back (§12.4.8: discarded silently). */
  | 'reflection'
  /** K = rand * (peer-scalar * PWE + PEER-ELEMENT) is the point at infinity (§12.4.5.4). */
  | 'k-infinity';

/** A refusal: a named code and a detail for the log (never secret values). */
export interface SaeError {
  code: SaeErrorCode;
  detail: string;
}

/** A failed SAE step. */
export function saeFail(code: SaeErrorCode, detail: string): { ok: false; error: SaeError } {
  return { ok: false, error: { code, detail } };
}

/** The point constructor of P-256 (BASE, ZERO, fromAffine, and the fields Fp and Fn). */
export const P256 = p256.Point;

/** Group 19's parameters: the prime p of GF(p), the order r, and their lengths in octets. */
export const GROUP_19 = {
  /** The IANA group number SAE carries in the Finite Cyclic Group field. */
  id: 19,
  /** The prime p (§12.4.4.2.1). */
  p: P256.Fp.ORDER,
  /** The order r of the group (§12.4.4.2.1). */
  r: P256.Fn.ORDER,
  /** len(p) in octets: the length of each element coordinate on the air. */
  primeLength: 32,
  /** len(r) in octets: the length of a scalar on the air. */
  orderLength: 32,
  /** Curve coefficient a (= p - 3). */
  a: P256.CURVE().a,
  /** Curve coefficient b. */
  b: P256.CURVE().b,
} as const;

/** The prime p as len(p) octets, big-endian (the KDF context of §12.4.4.2.2). */
export const PRIME_OCTETS: Buffer = bigIntToOctets(GROUP_19.p, GROUP_19.primeLength);

/** Unsigned big-endian octets -> integer (the empty string is 0). */
export function octetsToBigInt(b: Uint8Array): bigint {
  if (b.length === 0) return 0n;
  return BigInt('0x' + Buffer.from(b.buffer, b.byteOffset, b.byteLength).toString('hex'));
}

/** Integer -> `length` unsigned big-endian octets; throws RangeError when it does not fit. */
export function bigIntToOctets(n: bigint, length: number): Buffer {
  if (n < 0n) throw new RangeError('negative integer');
  const hexDigits = n.toString(16);
  if (hexDigits.length > 2 * length) throw new RangeError(`integer does not fit in ${length} octets`);
  return Buffer.from(hexDigits.padStart(2 * length, '0'), 'hex');
}

/** True for a scalar SAE accepts: 1 < s < r (§12.4.5.4). */
export function isValidScalar(s: bigint): boolean {
  return s > 1n && s < GROUP_19.r;
}

/** A scalar as it is sent: len(r) octets, big-endian (§12.4.7.2). */
export function encodeScalar(s: bigint): Buffer {
  return bigIntToOctets(s, GROUP_19.orderLength);
}

/**
 * Reads a received scalar: exactly len(r) octets ('bad-length') and 1 < s < r ('invalid').
 * No trailing octets: the caller cuts the field out of the frame. Never throws.
 */
export function decodeScalar(b: Uint8Array): Result<bigint, DecodeError> {
  if (b.length !== GROUP_19.orderLength) return fail('bad-length', `scalar of ${b.length} octets, want ${GROUP_19.orderLength}`);
  const s = octetsToBigInt(b);
  if (!isValidScalar(s)) return fail('invalid', 'scalar not in 1 < s < r');
  return ok(s);
}

/** True when `e` is a point of group 19 other than the point at infinity. */
export function isValidElement(e: SaeElement): boolean {
  if (e.is0()) return false;
  try {
    e.assertValidity();
    return true;
  } catch {
    return false;
  }
}

/** An element as it is sent: x || y, each len(p) octets big-endian (§12.4.7.2). */
export function encodeElement(e: SaeElement): Buffer {
  if (e.is0()) throw new RangeError('the point at infinity has no SAE encoding');
  const out = Buffer.allocUnsafe(2 * GROUP_19.primeLength); // both halves written below
  bigIntToOctets(e.x, GROUP_19.primeLength).copy(out, 0);
  bigIntToOctets(e.y, GROUP_19.primeLength).copy(out, GROUP_19.primeLength);
  return out;
}

/**
 * Reads a received element: exactly 2 * len(p) octets ('bad-length'); x < p and y < p, on the
 * curve, not the point at infinity ('invalid', §12.4.5.4). No trailing octets. Never throws.
 */
export function decodeElement(b: Uint8Array): Result<SaeElement, DecodeError> {
  const len = GROUP_19.primeLength;
  if (b.length !== 2 * len) return fail('bad-length', `element of ${b.length} octets, want ${2 * len}`);
  const x = octetsToBigInt(b.subarray(0, len));
  const y = octetsToBigInt(b.subarray(len));
  if (x >= GROUP_19.p || y >= GROUP_19.p) return fail('invalid', 'element coordinate not below p');
  let e: SaeElement;
  try {
    e = P256.fromAffine({ x, y });
  } catch {
    return fail('invalid', 'element is not a point');
  }
  if (!isValidElement(e)) return fail('invalid', 'element is not on the curve or is the point at infinity');
  return ok(e);
}

/**
 * Randomness for SAE, injected like the core's other randomness: `length` octets from a
 * cryptographically secure source (the glue passes node:crypto's randomBytes).
 */
export type SaeRandom = (length: number) => Uint8Array;

/** Draws that may fall outside the range before randomInRange gives up (each is < 2^-32 likely). */
const MAX_DRAWS = 64;

/**
 * A uniformly random integer in [min, max) for max <= 2^256, by rejection: 32 random octets
 * at a time, kept when they fall in the range. Throws when the source keeps returning values
 * outside it (a broken source, not bad luck: for ranges near p or r a draw falls outside
 * with probability below 2^-32).
 */
export function randomInRange(random: SaeRandom, min: bigint, max: bigint): bigint {
  for (let i = 0; i < MAX_DRAWS; i++) {
    const octets = random(32);
    if (octets.length !== 32) throw new RangeError(`random source returned ${octets.length} octets, want 32`);
    const n = octetsToBigInt(octets);
    if (n >= min && n < max) return n;
  }
  throw new Error('SAE: the random source returned no value in range');
}
