/** The authenticator core: machines, events, effects. */
export * from './types.js';
export * from './authenticator.js';
export { Reason } from './reason-codes.js';
export { RSNA_MAX_EAPOL_RETRIES } from './replay-window.js';
export { MAX_AUTH_ROUNDS, type HandshakeRecord, type AuthRecord, type AuthRound, type PtkState, type GroupKeyState, type GtkState } from './records.js';
export { reasonText, REASON_NAMES } from './reason-names.js';
export { fingerprint } from './fingerprint.js';
export type { PmksaEntry } from './pmksa-cache.js';
export { FairAdmission, admissionReserve, type Admittable } from './fair-admission.js';
export { MacBackoff, DEFAULT_MAC_BACKOFF, type MacBackoffOptions } from './mac-backoff.js';
export { DEFAULT_SAE_LIMITS, type SaePolicy, type SaePassword, type SaeLimits, type SaeOutcome } from './sae-responder.js';
