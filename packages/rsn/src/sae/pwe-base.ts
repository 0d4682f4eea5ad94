/**
 * Scalar multiplication in SAE group 19 (P-256) through node:crypto's ECDH on prime256v1,
 * that is OpenSSL, some twenty times faster than the BigInt arithmetic of @noble/curves:
 *
 *   x(k * P) = ECDH with private key k and public key P  (SEC 1 §3.3.1, ECSVDP-DH: x only)
 *   k * P    = (x, y) with x = x(k * P), x' = x((k + 1) * P) and
 *              y = ((x + xP)(a + x xP) + 2b - x' (x - xP)^2) / (2 yP)
 *
 * The second line is the y-coordinate recovery of Okeya and Sakurai (CHES 2001) for a short
 * Weierstrass curve: from x(Q), x(Q + P) and P one gets y(Q). It holds for Q != ±P, so k = 1
 * and k = r - 1 are answered directly (P and -P), which also keeps k + 1 below r. 1 / (2 yP)
 * is computed once per base point; a full multiple then costs two ECDH computations and a few
 * field multiplications, and needs no table of precomputed multiples (so no memory per password).
 *
 * Timing: OpenSSL multiplies a single scalar by a variable point with a constant-time method
 * whatever the flags on the key (crypto/ec/ec_mult.c routes it to ossl_ec_scalar_mul_ladder,
 * "a Montgomery ladder, with various timing attack defenses"; the x86-64 P-256 code uses a
 * constant-time windowed multiplication with masked table gathers). The point is treated as
 * public by OpenSSL, as it is in hostapd, which hands its secret PWE to the same calls. The
 * y recovery is BigInt field arithmetic on the result, like the rest of this package. Node's
 * setPrivateKey compares the key with the order (variable-time BN_cmp) before use. Inverses
 * of values derived from the password (1 / (2 yP), the Z of a point made affine) are taken by
 * Fermat's little theorem, v^(p-2), whose sequence of operations is fixed by the public
 * exponent, not by @noble/curves' Fp.inv, a Euclidean algorithm whose loop count depends on v.
 *
 * The one ECDH object is reused: each setPrivateKey replaces (and OpenSSL clears) the
 * previous key, so the last scalar stays in OpenSSL's memory until the next multiplication.
 */
import { createECDH } from 'node:crypto';
import { GROUP_19, P256, bigIntToOctets, isValidElement, octetsToBigInt, type SaeElement } from './sae-group.js';

const Fp = P256.Fp;
const TWO_B = Fp.add(GROUP_19.b, GROUP_19.b);
const P_MINUS_2 = GROUP_19.p - 2n;
const ecdh = createECDH('prime256v1');

/** 1 / v mod p as v^(p-2) (v not 0 mod p): the same operations whatever v is. */
export function invertFermat(v: bigint): bigint {
  return Fp.pow(v, P_MINUS_2);
}

/** The affine coordinates of a point other than the identity, its Z inverted by invertFermat. */
export function affineOf(point: SaeElement): { x: bigint; y: bigint } {
  if (point.is0()) throw new RangeError('the point at infinity has no affine coordinates');
  return point.toAffine(Fp.eql(point.Z, Fp.ONE) ? Fp.ONE : invertFermat(point.Z));
}

/** SEC 1 uncompressed encoding (04 || x || y) of a point other than the identity. */
export function uncompressedOctets(point: SaeElement): Buffer {
  const { x, y } = affineOf(point);
  const out = Buffer.alloc(1 + 2 * GROUP_19.primeLength);
  out[0] = 0x04;
  bigIntToOctets(x, GROUP_19.primeLength).copy(out, 1);
  bigIntToOctets(y, GROUP_19.primeLength).copy(out, 1 + GROUP_19.primeLength);
  return out;
}

/**
 * x(k * P) as len(p) octets, big-endian (OpenSSL pads on the left), for 1 <= k < r and P given
 * as 04 || x || y; undefined when OpenSSL refuses to compute it, which for a point of the
 * group happens only when k * P is the point at infinity (ecdh_ossl.c: "If point tmp is at
 * infinity then clear intermediate values and exit"), impossible in a group of prime order.
 * Throws RangeError for k out of range.
 */
export function ecdhX(k: bigint, point: Uint8Array): Buffer | undefined {
  if (k < 1n || k >= GROUP_19.r) throw new RangeError('ECDH scalar must be in [1, r)');
  const key = bigIntToOctets(k, GROUP_19.orderLength);
  try {
    ecdh.setPrivateKey(key);
    return ecdh.computeSecret(point);
  } catch {
    return undefined;
  } finally {
    key.fill(0);
  }
}

/**
 * A point of group 19 prepared for multiplication by any scalar: PT for H2E (one per
 * password, kept), or the PWE itself for hunting-and-pecking (one per exchange). Secret:
 * whoever holds it can test password guesses offline.
 */
export class PweBase {
  /** The point P. */
  readonly point: SaeElement;
  /** 04 || x || y, the form OpenSSL takes. */
  private readonly octets: Buffer;
  private readonly x: bigint;
  /** 1 / (2 yP) mod p (yP is never 0: the group has no point of order 2). */
  private readonly inverseTwoY: bigint;

  /** Prepares `point`; throws RangeError when it is not a point of the group or is the identity. */
  constructor(point: SaeElement) {
    if (!isValidElement(point)) throw new RangeError('SAE: not a valid element of group 19');
    const { x, y } = affineOf(point);
    this.point = P256.fromAffine({ x, y });
    this.octets = uncompressedOctets(this.point);
    this.x = x;
    this.inverseTwoY = invertFermat(Fp.add(y, y));
  }

  /** k * P for 1 <= k < r (RangeError otherwise): two ECDH computations and the y recovery. */
  multiple(k: bigint): SaeElement {
    if (k < 1n || k >= GROUP_19.r) throw new RangeError('scalar must be in [1, r)');
    // The only branches on k: it is ±1 with probability 2 / r for a random k.
    if (k === 1n) return this.point;
    if (k === GROUP_19.r - 1n) return this.point.negate();
    const xOctets = ecdhX(k, this.octets);
    const nextOctets = ecdhX(k + 1n, this.octets);
    // Neither k nor k + 1 is 0 mod r here, so neither multiple is the identity.
    if (xOctets === undefined || nextOctets === undefined) throw new Error('SAE: OpenSSL refused to multiply a valid point');
    const x = octetsToBigInt(xOctets);
    const xNext = octetsToBigInt(nextOctets);
    xOctets.fill(0);
    nextOctets.fill(0);
    const xP = this.x;
    const d = Fp.sub(x, xP);
    const numerator = Fp.sub(Fp.add(Fp.mul(Fp.add(x, xP), Fp.add(GROUP_19.a, Fp.mul(x, xP))), TWO_B), Fp.mul(xNext, Fp.sqr(d)));
    const q = P256.fromAffine({ x, y: Fp.mul(numerator, this.inverseTwoY) });
    // On the curve, or the recovery is wrong: a bug, never a property of the inputs.
    q.assertValidity();
    return q;
  }
}
