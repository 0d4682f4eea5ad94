/**
 * Hash-to-element (H2E) password element for SAE group 19, IEEE 802.11-2020 §12.4.4.2.3:
 *
 *   pwd-seed  = HKDF-Extract(SSID, password [|| identifier])
 *   pwd-value = HKDF-Expand(pwd-seed, "SAE Hash to Element u1 P1", len)   (and "... u2 P2")
 *   u1, u2    = pwd-value mod p;  P1 = SSWU(u1), P2 = SSWU(u2);  PT = P1 + P2
 *   val       = H(0^n, MAX(STA-A-MAC, STA-B-MAC) || MIN(...)) mod (r - 1) + 1
 *   PWE       = val * PT
 *
 * with len = len(p) + ceil(len(p) / 2) = 48 octets and n = 32 (SHA-256) for group 19. PT
 * depends only on the SSID, password and identifier: an authenticator computes it once per
 * password and keeps it; PWE is per pair of stations.
 *
 * SSWU is the simplified Shallue-van de Woestijne-Ulas map of RFC 9380 §6.6.2 with the
 * P-256 parameter Z = -10 (RFC 9380 §8.2; the same Z §12.4.4.2.3 gives for group 19), here
 * @noble/curves' simplified SWU (the map_to_curve of its P256_XMD:SHA-256_SSWU_RO_ suite)
 * applied to our own u: SAE derives u with HKDF, not with RFC 9380's hash_to_field.
 *
 * Timing: unlike hunting-and-pecking there is no loop whose length depends on the password;
 * SSWU is straight-line code with conditional moves (RFC 9380 §4, §6.6.2), and the library
 * follows that. It is constant-time by construction at the algorithm level only: the field
 * operations are JavaScript BigInt, whose running time can depend on the operands' sizes.
 */
import { mapToCurveSimpleSWU } from '@noble/curves/abstract/hash-to-curve.js';
import { GROUP_19, P256, octetsToBigInt, type SaeElement } from './sae-group.js';
import { hkdfExpand, hkdfExtract, macsMaxMin } from './sae-hash.js';

/** HKDF-Expand label for u1 (§12.4.4.2.3). */
export const H2E_LABEL_U1 = 'SAE Hash to Element u1 P1';
/** HKDF-Expand label for u2 (§12.4.4.2.3). */
export const H2E_LABEL_U2 = 'SAE Hash to Element u2 P2';

/** len = len(p) + ceil(len(p) / 2): 48 octets for group 19, so u is close to uniform mod p. */
export const H2E_PWD_VALUE_LENGTH = GROUP_19.primeLength + Math.ceil(GROUP_19.primeLength / 2);

/** n, the length of H's output for group 19 (SHA-256): the length of the zero salt for val. */
const HASH_LEN = 32;

/** pwd-seed = HKDF-Extract(salt = SSID, ikm = password [|| identifier]). */
export function h2ePwdSeed(ssid: Uint8Array, password: Uint8Array, identifier?: Uint8Array): Buffer {
  return identifier === undefined ? hkdfExtract(ssid, password) : hkdfExtract(ssid, password, identifier);
}

/** pwd-value = HKDF-Expand(pwd-seed, label, len): 48 octets. */
export function h2ePwdValue(pwdSeed: Uint8Array, label: typeof H2E_LABEL_U1 | typeof H2E_LABEL_U2): Buffer {
  return hkdfExpand(pwdSeed, label, H2E_PWD_VALUE_LENGTH);
}

/** u = pwd-value mod p. */
export function h2eFieldElement(pwdValue: Uint8Array): bigint {
  return octetsToBigInt(pwdValue) % GROUP_19.p;
}

/** RFC 9380 §6.6.2 for P-256: A = a, B = b, Z = -10. */
const mapSswu = mapToCurveSimpleSWU(P256.Fp, { A: GROUP_19.a, B: GROUP_19.b, Z: P256.Fp.neg(10n) });

/** SSWU(u) for P-256 (RFC 9380 §6.6.2, Z = -10): a point of group 19 for any u in GF(p). */
export function sswu(u: bigint): SaeElement {
  if (u < 0n || u >= GROUP_19.p) throw new RangeError('SSWU input must be an element of GF(p)');
  const point = P256.fromAffine(mapSswu(u));
  point.assertValidity();
  return point;
}

/**
 * PT, the password's secret element (§12.4.4.2.3), for an SSID, a password and, when the
 * station uses one, its password identifier (all octet strings as configured, no terminator).
 * Intermediate octets are wiped before returning.
 */
export function derivePt(ssid: Uint8Array, password: Uint8Array, identifier?: Uint8Array): SaeElement {
  const pwdSeed = h2ePwdSeed(ssid, password, identifier);
  const value1 = h2ePwdValue(pwdSeed, H2E_LABEL_U1);
  const value2 = h2ePwdValue(pwdSeed, H2E_LABEL_U2);
  const p1 = sswu(h2eFieldElement(value1));
  const p2 = sswu(h2eFieldElement(value2));
  pwdSeed.fill(0);
  value1.fill(0);
  value2.fill(0);
  const pt = p1.add(p2);
  // P1 = -P2 would need HKDF outputs related by the map: not reachable in practice.
  if (pt.is0()) throw new Error('SAE H2E: PT is the point at infinity');
  return pt;
}

/** val = H(0^n, MAX(mac1, mac2) || MIN(mac1, mac2)) mod (r - 1) + 1, in [1, r - 1]. */
export function h2ePweScalar(mac1: Uint8Array, mac2: Uint8Array): bigint {
  const digest = hkdfExtract(Buffer.alloc(HASH_LEN), macsMaxMin(mac1, mac2));
  const val = (octetsToBigInt(digest) % (GROUP_19.r - 1n)) + 1n;
  digest.fill(0);
  return val;
}

/**
 * PWE = val * PT for the pair of stations (order of the two addresses does not matter), by
 * @noble/curves' generic multiplication: for test vectors. Exchanges use h2ePwe
 * (password-element.ts), which never builds this point.
 */
export function pweFromPt(pt: SaeElement, mac1: Uint8Array, mac2: Uint8Array): SaeElement {
  return pt.multiply(h2ePweScalar(mac1, mac2));
}
