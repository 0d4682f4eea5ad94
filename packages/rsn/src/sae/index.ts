/**
 * SAE (Simultaneous Authentication of Equals), IEEE 802.11-2020 §12.4, for finite cyclic
 * group 19 (NIST P-256): the password element by hash-to-element (PT once per password, then
 * the PWE of each exchange) or by hunting-and-pecking, the commit, the peer commit's checks
 * and the KCK / PMK / PMKID derivation, the confirm, and the Authentication frame bodies.
 * Pure functions: randomness is passed in, no state machine. Scalar multiplications are
 * OpenSSL's (node:crypto ECDH, pwe-base.ts); the other point arithmetic is @noble/curves'.
 *
 * An exchange: h2ePwe(SaePasswordElement.derive(...), ...) or huntAndPeckPwe(...) ->
 * generateCommit -> encodeCommit / encodeCommitBody; decodeCommitBody -> decodePeerCommit ->
 * processPeerCommit -> ownConfirm / verifyPeerConfirm -> wipeKeys.
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
export { SaePasswordElement, h2ePwe, huntAndPeckPwe, pweElement, type SaePwe, type SaePweMethod } from './password-element.js';
export { derivePt, pweFromPt } from './h2e.js';
export { HUNT_AND_PECK_ITERATIONS, huntAndPeck, type HuntAndPeckInput } from './hunt-and-peck.js';
export {
  commitFromRandAndMask,
  decodePeerCommit,
  encodeCommit,
  generateCommit,
  processPeerCommit,
  type SaeKeys,
  type SaeOwnCommit,
  type SaePeerCommit,
} from './commit.js';
export { CONFIRM_LENGTH, SEND_CONFIRM_MAX, ownConfirm, verifyPeerConfirm, wipeKeys } from './confirm.js';
export {
  ELEMENT_ID_EXTENSION,
  EXT_ANTI_CLOGGING_TOKEN,
  EXT_PASSWORD_IDENTIFIER,
  EXT_REJECTED_GROUPS,
  SAE_AUTH_ALGORITHM,
  SaeStatus,
  decodeAntiCloggingRequest,
  decodeCommitBody,
  decodeConfirmBody,
  encodeAntiCloggingRequest,
  encodeCommitBody,
  encodeConfirmBody,
  encodeUnsupportedGroupBody,
  readCommitGroup,
  type SaeAntiCloggingRequest,
  type SaeCommitDecodeOptions,
  type SaeCommitFields,
  type SaeConfirmFields,
  type SaeStatusCode,
} from './frames.js';
