/**
 * @airlock/supplicant: the sans-I/O station side of IEEE 802.11-2020 §12.7.6 (4-way
 * handshake) and §12.7.7 (group key handshake), for the sim driver, scenario tests and the
 * load generator.
 */
export {
  Supplicant,
  type GroupKey,
  type IntegrityGroupKey,
  type PtkKeys,
  type SupplicantAssociation,
  type SupplicantDropReason,
  type SupplicantEffect,
  type SupplicantMisbehaviour,
  type SupplicantOptions,
  type SupplicantState,
} from './supplicant.js';
export { eapolLogoff, eapolStart } from './eapol-frames.js';
export * from './eap/index.js';
export { SaeStation, type SaeFrame, type SaeStationOptions, type SaeStationResult, type SaeStationState } from './sae-station.js';
