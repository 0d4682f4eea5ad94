/**
 * SAE commit and key derivation for group 19, IEEE 802.11-2020 §12.4.5.3 (construction of a
 * commit) and §12.4.5.4 (processing of the peer's commit):
 *
 *   rand, mask in [2, r);  commit-scalar = (rand + mask) mod r (>= 2);
 *   COMMIT-ELEMENT = inverse(mask * PWE)
 *   K = rand * (peer-commit-scalar * PWE + PEER-COMMIT-ELEMENT), refused if the identity;
 *   k = F(K), the x coordinate (len(p) octets)
 *   keyseed = H(salt, k)
 *   KCK || PMK = KDF-SHA-256-512(keyseed, "SAE KCK and PMK",
 *                                (commit-scalar + peer-commit-scalar) mod r)
 *   PMKID = L((commit-scalar + peer-commit-scalar) mod r, 0, 128)
 *
 * The scalar sum is written as len(r) octets, big-endian, for both the KDF context and the
 * PMKID. The salt of keyseed is 32 zero octets, except with H2E when the exchange carried a
 * Rejected Groups element (§12.4.5.4): then it is that list of groups, each as 2 octets
 * little-endian, in the element's order.
 *
 * How it is computed (password-element.ts, pwe-base.ts): PWE = factor * base (val * PT for
 * H2E, 1 * PWE for hunting-and-pecking), so mask * PWE = ((mask * factor) mod r) * base and
 * peer-commit-scalar * PWE likewise; both are full points from OpenSSL's constant-time ECDH
 * multiplication plus a y recovery, and K's x coordinate is one more ECDH computation with
 * rand as the private key, which is all F(K) needs. rand and mask are BigInts, which
 * JavaScript cannot wipe: drop the SaeOwnCommit as soon as the exchange ends.
 *
 * No frames: frames.ts cuts the scalar and element fields out of the Authentication frame
 * body and puts ours in.
 */
import { createHmac } from 'node:crypto';
import { kdfSha256 } from '../crypto/kdf.js';
import { ok, type Result } from '../result.js';
import type { SaePwe } from './password-element.js';
import { ecdhX, uncompressedOctets } from './pwe-base.js';
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
  readonly pwe: SaePwe;
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
export function commitFromRandAndMask(pwe: SaePwe, rand: bigint, mask: bigint): SaeOwnCommit {
  if (rand < 2n || rand >= GROUP_19.r || mask < 2n || mask >= GROUP_19.r) throw new RangeError('rand and mask must be in [2, r)');
  const scalar = (rand + mask) % GROUP_19.r;
  if (scalar < 2n) throw new RangeError('commit-scalar below 2: draw rand and mask again');
  // mask * PWE = ((mask * factor) mod r) * base; the product is not 0 (r is prime, neither factor is 0 mod r).
  const element = pwe.base.multiple((mask * pwe.factor) % GROUP_19.r).negate();
  return { pwe, rand, scalar, element };
}

/**
 * A fresh commit for a PWE: rand and mask drawn uniformly from [2, r), drawn again in the
 * (negligible) case that the scalar comes out below 2 (§12.4.5.3).
 */
export function generateCommit(pwe: SaePwe, random: SaeRandom): SaeOwnCommit {
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
 * and PMKID. `rejectedGroups`, for H2E only: the groups of the Rejected Groups element of this
 * exchange (the station's list: on the AP the peer's element, on the station its own), which
 * become keyseed's salt; undefined or empty for none. Never throws for any peer values;
 * throws RangeError for rejected groups with hunting-and-pecking (whose commits carry no such
 * element) or a group outside 0..65535.
 */
export function processPeerCommit(own: SaeOwnCommit, peer: SaePeerCommit, rejectedGroups?: readonly number[]): Result<SaeKeys, SaeError> {
  const salt = keyseedSalt(own.pwe, rejectedGroups);
  if (!isValidScalar(peer.scalar)) return saeFail('invalid-scalar', 'peer scalar not in 1 < s < r');
  if (!isValidElement(peer.element)) return saeFail('invalid-element', 'peer element is not a valid point');
  // Public values on both sides: an ordinary comparison.
  if (peer.scalar === own.scalar && peer.element.equals(own.element)) {
    return saeFail('reflection', "peer's commit is our own commit reflected");
  }
  const k = sharedSecret(own, peer);
  if (k === undefined) return saeFail('k-infinity', 'K is the point at infinity');
  const keyseed = keyseedFrom(k, salt);
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
 * when that point is the identity. The peer's scalar and element must be valid (1 < s < r, a
 * point other than the identity).
 */
export function sharedSecret(own: SaeOwnCommit, peer: SaePeerCommit): Buffer | undefined {
  // peer-scalar * factor mod r is in [1, r - 1] (r prime); a peer that knows val can make it ±1.
  const sum = own.pwe.base.multiple((peer.scalar * own.pwe.factor) % GROUP_19.r).add(peer.element);
  // A peer element of -(peer-scalar * PWE) makes the sum the identity; rand * identity too.
  if (sum.is0()) return undefined;
  // rand in [2, r) and a group of prime order: rand * sum is not the identity, but OpenSSL's
  // refusal is mapped all the same.
  return ecdhX(own.rand, uncompressedOctets(sum));
}

/** The salt of keyseed: 32 zero octets, or the rejected groups (2 octets LE each) with H2E. */
export function keyseedSalt(pwe: SaePwe, rejectedGroups: readonly number[] | undefined): Buffer {
  if (rejectedGroups === undefined || rejectedGroups.length === 0) return Buffer.alloc(HASH_LEN);
  if (pwe.method !== 'h2e') throw new RangeError('rejected groups salt keyseed with H2E only');
  const salt = Buffer.alloc(2 * rejectedGroups.length);
  rejectedGroups.forEach((group, i) => {
    if (!Number.isInteger(group) || group < 0 || group > 0xffff) throw new RangeError(`rejected group ${group} is not a 2-octet value`);
    salt.writeUInt16LE(group, 2 * i);
  });
  return salt;
}

/** keyseed = HMAC-SHA-256(salt, k), the salt 32 zero octets unless given. */
export function keyseedFrom(k: Uint8Array, salt: Uint8Array = Buffer.alloc(HASH_LEN)): Buffer {
  return createHmac('sha256', salt).update(k).digest();
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
