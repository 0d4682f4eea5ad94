/**
 * SAE commit and key derivation for group 19, IEEE 802.11-2020 §12.4.5.3 (construction of a
 * commit) and §12.4.5.4 (processing of the peer's commit):
 *
 *   rand, mask in [2, r);  commit-scalar = (rand + mask) mod r (>= 2);
 *   COMMIT-ELEMENT = inverse(mask * PWE)
 *   K = rand * (peer-commit-scalar * PWE + PEER-COMMIT-ELEMENT), refused if the identity;
 *   k = F(K), the x coordinate (len(p) octets)
 *   keyseed = H(<0>32, k)
 *   KCK || PMK = KDF-SHA-256-512(keyseed, "SAE KCK and PMK",
 *                                (commit-scalar + peer-commit-scalar) mod r)
 *   PMKID = L((commit-scalar + peer-commit-scalar) mod r, 0, 128)
 *
 * The scalar sum is written as len(r) octets, big-endian, for both the KDF context and the
 * PMKID. The salt of keyseed is 32 zero octets for hunting-and-pecking and for H2E without
 * rejected groups; H2E with a Rejected Groups element salts keyseed with that list instead,
 * which this module does not do (that exchange needs the state machine's group negotiation).
 *
 * No frames: the caller takes the scalar and element fields out of the Authentication frame
 * (after the Finite Cyclic Group field) and puts ours in. Scalar multiplications use the
 * library's constant-time `multiply`; rand, mask and the PWE are BigInts and points, which
 * JavaScript cannot wipe: drop the SaeOwnCommit as soon as the exchange ends.
 */
import { createHmac } from 'node:crypto';
import { kdfSha256 } from '../crypto/kdf.js';
import { ok, type Result } from '../result.js';
import {
  GROUP_19,
  bigIntToOctets,
  decodeElement,
  decodeScalar,
  encodeElement,
  encodeScalar,
  isValidElement,
  isValidScalar,
  randomInRange,
  saeFail,
  type SaeElement,
  type SaeError,
  type SaeRandom,
} from './sae-group.js';

/** The label of §12.4.5.4's key derivation. */
export const KCK_AND_PMK_LABEL = 'SAE KCK and PMK';

const KCK_LEN = 32;
const PMK_LEN = 32;
const PMKID_LEN = 16;
/** n for group 19's H (SHA-256): keyseed's zero salt. */
const HASH_LEN = 32;

/** Our side of one exchange once the commit is made: its secrets and the values sent. */
export interface SaeOwnCommit {
  /** The password element (secret). */
  readonly pwe: SaeElement;
  /** rand (secret). */
  readonly rand: bigint;
  /** commit-scalar, sent. */
  readonly scalar: bigint;
  /** COMMIT-ELEMENT, sent. */
  readonly element: SaeElement;
}

/** The peer's commit values, decoded and checked. */
export interface SaePeerCommit {
  /** peer-commit-scalar, 1 < s < r. */
  readonly scalar: bigint;
  /** PEER-COMMIT-ELEMENT, a valid point other than the identity. */
  readonly element: SaeElement;
}

/** What a completed commit exchange yields, with the four values the confirms cover (as sent). */
export interface SaeKeys {
  /** KCK (32 octets): the key of the confirm messages. Wipe after the confirms. */
  readonly kck: Buffer;
  /** PMK (32 octets) for the 4-way handshake. */
  readonly pmk: Buffer;
  /** PMKID (16 octets) for the PMKSA. */
  readonly pmkid: Buffer;
  /** Our commit-scalar, len(r) octets. */
  readonly ownScalar: Buffer;
  /** Our COMMIT-ELEMENT, x || y. */
  readonly ownElement: Buffer;
  /** The peer's commit-scalar, len(r) octets. */
  readonly peerScalar: Buffer;
  /** The peer's COMMIT-ELEMENT, x || y. */
  readonly peerElement: Buffer;
}

/**
 * The commit for given rand and mask (both in [2, r)): for test vectors and for
 * generateCommit. Throws RangeError when a value is out of range or the scalar is below 2.
 */
export function commitFromRandAndMask(pwe: SaeElement, rand: bigint, mask: bigint): SaeOwnCommit {
  if (rand < 2n || rand >= GROUP_19.r || mask < 2n || mask >= GROUP_19.r) throw new RangeError('rand and mask must be in [2, r)');
  const scalar = (rand + mask) % GROUP_19.r;
  if (scalar < 2n) throw new RangeError('commit-scalar below 2: draw rand and mask again');
  const element = pwe.multiply(mask).negate();
  return { pwe, rand, scalar, element };
}

/**
 * A fresh commit for a PWE: rand and mask drawn uniformly from [2, r), drawn again in the
 * (negligible) case that the scalar comes out below 2 (§12.4.5.3).
 */
export function generateCommit(pwe: SaeElement, random: SaeRandom): SaeOwnCommit {
  for (let i = 0; i < 8; i++) {
    const rand = randomInRange(random, 2n, GROUP_19.r);
    const mask = randomInRange(random, 2n, GROUP_19.r);
    if ((rand + mask) % GROUP_19.r >= 2n) return commitFromRandAndMask(pwe, rand, mask);
  }
  throw new Error('SAE: the random source gave no usable rand and mask');
}

/** Our commit-scalar and COMMIT-ELEMENT as they go on the air. */
export function encodeCommit(commit: SaeOwnCommit | SaePeerCommit): { scalar: Buffer; element: Buffer } {
  return { scalar: encodeScalar(commit.scalar), element: encodeElement(commit.element) };
}

/**
 * Reads the peer's commit-scalar (len(r) octets) and COMMIT-ELEMENT (2 * len(p) octets):
 * 1 < scalar < r, both coordinates below p, on the curve, not the identity (§12.4.5.4).
 * Never throws.
 */
export function decodePeerCommit(scalar: Uint8Array, element: Uint8Array): Result<SaePeerCommit, SaeError> {
  const s = decodeScalar(scalar);
  if (!s.ok) return saeFail(s.error.code === 'bad-length' ? 'bad-length' : 'invalid-scalar', s.error.detail);
  const e = decodeElement(element);
  if (!e.ok) return saeFail(e.error.code === 'bad-length' ? 'bad-length' : 'invalid-element', e.error.detail);
  return ok({ scalar: s.value, element: e.value });
}

/**
 * Processes the peer's commit against ours: refuses a reflected commit (our own scalar and
 * element sent back, discarded silently by §12.4.8) and an identity K, else derives KCK, PMK
 * and PMKID. Never throws for any peer values.
 */
export function processPeerCommit(own: SaeOwnCommit, peer: SaePeerCommit): Result<SaeKeys, SaeError> {
  if (!isValidScalar(peer.scalar)) return saeFail('invalid-scalar', 'peer scalar not in 1 < s < r');
  if (!isValidElement(peer.element)) return saeFail('invalid-element', 'peer element is not a valid point');
  // Public values on both sides: an ordinary comparison.
  if (peer.scalar === own.scalar && peer.element.equals(own.element)) {
    return saeFail('reflection', "peer's commit is our own commit reflected");
  }
  const k = sharedSecret(own, peer);
  if (k === undefined) return saeFail('k-infinity', 'K is the point at infinity');
  const keyseed = keyseedFrom(k);
  k.fill(0);
  const keys = kckAndPmk(keyseed, own.scalar, peer.scalar);
  keyseed.fill(0);
  const encodedOwn = encodeCommit(own);
  const encodedPeer = encodeCommit(peer);
  return ok({
    ...keys,
    ownScalar: encodedOwn.scalar,
    ownElement: encodedOwn.element,
    peerScalar: encodedPeer.scalar,
    peerElement: encodedPeer.element,
  });
}

/**
 * k = F(rand * (peer-commit-scalar * PWE + PEER-COMMIT-ELEMENT)), len(p) octets, or undefined
 * when that point is the identity.
 */
export function sharedSecret(own: SaeOwnCommit, peer: SaePeerCommit): Buffer | undefined {
  const sum = own.pwe.multiply(peer.scalar).add(peer.element);
  // A peer element of -(peer-scalar * PWE) makes the sum the identity; rand * identity too.
  if (sum.is0()) return undefined;
  const K = sum.multiply(own.rand);
  if (K.is0()) return undefined;
  return bigIntToOctets(K.x, GROUP_19.primeLength);
}

/** keyseed = HMAC-SHA-256(<0>32, k). */
export function keyseedFrom(k: Uint8Array): Buffer {
  return createHmac('sha256', Buffer.alloc(HASH_LEN)).update(k).digest();
}

/** KCK, PMK and PMKID from keyseed and the two commit scalars (§12.4.5.4). */
export function kckAndPmk(keyseed: Uint8Array, ownScalar: bigint, peerScalar: bigint): { kck: Buffer; pmk: Buffer; pmkid: Buffer } {
  const context = bigIntToOctets((ownScalar + peerScalar) % GROUP_19.r, GROUP_19.orderLength);
  const okm = kdfSha256(keyseed, KCK_AND_PMK_LABEL, context, 8 * (KCK_LEN + PMK_LEN));
  const kck = Buffer.from(okm.subarray(0, KCK_LEN));
  const pmk = Buffer.from(okm.subarray(KCK_LEN, KCK_LEN + PMK_LEN));
  okm.fill(0);
  const pmkid = Buffer.from(context.subarray(0, PMKID_LEN));
  return { kck, pmk, pmkid };
}
