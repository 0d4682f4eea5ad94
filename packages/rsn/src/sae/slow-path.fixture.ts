/**
 * Test fixture: the SAE commit, K and keys computed the plain way, straight from the formulas
 * of IEEE 802.11-2020 §12.4.5.3 and §12.4.5.4 with @noble/curves' generic multiplication on
 * the PWE point (the implementation this package had before the fast path). The fast path
 * must give the same octets. Not part of the package API.
 */
import { createHmac } from 'node:crypto';
import { kckAndPmk } from './commit.js';
import { confirmHash } from './confirm.js';
import { GROUP_19, bigIntToOctets, encodeElement, encodeScalar, type SaeElement } from './sae-group.js';

/** What one side of an exchange sends and derives, the plain way. */
export interface SlowExchange {
  scalar: Buffer;
  element: Buffer;
  /** undefined when K (or the sum before it) is the identity. */
  keys?: { k: Buffer; kck: Buffer; pmk: Buffer; pmkid: Buffer; confirm: Buffer };
}

/** commit-scalar and COMMIT-ELEMENT = -(mask * PWE). */
export function slowCommit(pwe: SaeElement, rand: bigint, mask: bigint): { scalar: Buffer; element: Buffer } {
  return { scalar: encodeScalar((rand + mask) % GROUP_19.r), element: encodeElement(pwe.multiply(mask).negate()) };
}

/**
 * One side's commit, and its keys and Confirm (Send-Confirm 1) against the peer's scalar and
 * element; `salt` for keyseed (32 zero octets unless given).
 */
export function slowExchange(pwe: SaeElement, rand: bigint, mask: bigint, peerScalar: bigint, peerElement: SaeElement, salt?: Uint8Array): SlowExchange {
  const own = slowCommit(pwe, rand, mask);
  const sum = pwe.multiply(peerScalar).add(peerElement);
  if (sum.is0()) return own;
  const K = sum.multiply(rand);
  if (K.is0()) return own;
  const k = bigIntToOctets(K.x, GROUP_19.primeLength);
  const keyseed = createHmac('sha256', salt ?? Buffer.alloc(32)).update(k).digest();
  const scalar = (rand + mask) % GROUP_19.r;
  const { kck, pmk, pmkid } = kckAndPmk(keyseed, scalar, peerScalar);
  const confirm = confirmHash(kck, 1, own.scalar, own.element, encodeScalar(peerScalar), encodeElement(peerElement));
  return { ...own, keys: { k, kck, pmk, pmkid, confirm } };
}
