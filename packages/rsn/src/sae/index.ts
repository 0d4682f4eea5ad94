/**
 * SAE (Simultaneous Authentication of Equals) cryptography, IEEE 802.11-2020 §12.4, for
 * finite cyclic group 19 (NIST P-256): the password element by hash-to-element (PT, then PWE)
 * or by hunting-and-pecking, the commit, the peer commit's checks and the KCK / PMK / PMKID
 * derivation, and the confirm. Pure functions: randomness is passed in, no state machine, no
 * frames. Point arithmetic from @noble/curves.
 */
export {
  GROUP_19,
  decodeElement,
  decodeScalar,
  encodeElement,
  encodeScalar,
  isValidElement,
  isValidScalar,
  type SaeElement,
  type SaeError,
  type SaeErrorCode,
  type SaeRandom,
} from './sae-group.js';
export { derivePt, pweFromPt } from './h2e.js';
export { HUNT_AND_PECK_ITERATIONS, huntAndPeck, type HuntAndPeckInput } from './hunt-and-peck.js';
export {
  decodePeerCommit,
  encodeCommit,
  generateCommit,
  processPeerCommit,
  type SaeKeys,
  type SaeOwnCommit,
  type SaePeerCommit,
} from './commit.js';
export { CONFIRM_LENGTH, SEND_CONFIRM_MAX, ownConfirm, verifyPeerConfirm } from './confirm.js';
