/**
 * SAE confirm for group 19, IEEE 802.11-2020 §12.4.5.5 (construction) and §12.4.5.6
 * (processing the peer's):
 *
 *   CN(key, X, Y, Z, ...) = HMAC-SHA-256(key, D2OS(X) || D2OS(Y) || D2OS(Z) || ...)
 *   confirm  = CN(KCK, send-confirm, commit-scalar, COMMIT-ELEMENT,
 *                 peer-commit-scalar, PEER-COMMIT-ELEMENT)
 *   verifier = CN(KCK, peer-send-confirm, peer-commit-scalar, PEER-COMMIT-ELEMENT,
 *                 commit-scalar, COMMIT-ELEMENT)
 *
 * send-confirm is the 2-octet little-endian Send-Confirm field as it is sent; scalars are
 * len(r) octets and elements x || y, as they were sent in the commits. The verifier is
 * compared with crypto.timingSafeEqual.
 */
import { createHmac } from 'node:crypto';
import { timingSafeEqualBytes } from '../crypto/bytes.js';
import type { SaeKeys } from './commit.js';

/** The largest value of the 2-octet Send-Confirm field. */
export const SEND_CONFIRM_MAX = 0xffff;

/** Length of the Confirm field for group 19 (SHA-256). */
export const CONFIRM_LENGTH = 32;

/** CN(KCK, send-confirm, scalar1, element1, scalar2, element2). */
export function confirmHash(
  kck: Uint8Array,
  sendConfirm: number,
  scalar1: Uint8Array,
  element1: Uint8Array,
  scalar2: Uint8Array,
  element2: Uint8Array,
): Buffer {
  if (!Number.isInteger(sendConfirm) || sendConfirm < 0 || sendConfirm > SEND_CONFIRM_MAX) {
    throw new RangeError(`send-confirm must be 0..${SEND_CONFIRM_MAX}, got ${sendConfirm}`);
  }
  const sc = Uint8Array.of(sendConfirm & 0xff, sendConfirm >>> 8);
  return createHmac('sha256', kck).update(sc).update(scalar1).update(element1).update(scalar2).update(element2).digest();
}

/** Our Confirm field for a Send-Confirm value. */
export function ownConfirm(keys: SaeKeys, sendConfirm: number): Buffer {
  return confirmHash(keys.kck, sendConfirm, keys.ownScalar, keys.ownElement, keys.peerScalar, keys.peerElement);
}

/**
 * True when the peer's Confirm field is the verifier for its Send-Confirm value, compared
 * in constant time. A peer that used another password (so another PWE and another K) fails
 * here, not at the 4-way handshake.
 */
export function verifyPeerConfirm(keys: SaeKeys, peerSendConfirm: number, peerConfirm: Uint8Array): boolean {
  if (!Number.isInteger(peerSendConfirm) || peerSendConfirm < 0 || peerSendConfirm > SEND_CONFIRM_MAX) return false;
  const verifier = confirmHash(keys.kck, peerSendConfirm, keys.peerScalar, keys.peerElement, keys.ownScalar, keys.ownElement);
  const match = timingSafeEqualBytes(verifier, peerConfirm);
  verifier.fill(0);
  return match;
}

/**
 * Zeroes the KCK and PMK of `keys` (the Buffers processPeerCommit returned): call it when the
 * exchange ends, after copying the PMK out to the PMKSA. The PMKID and the commit values are
 * public and left as they are.
 */
export function wipeKeys(keys: SaeKeys): void {
  keys.kck.fill(0);
  keys.pmk.fill(0);
}
