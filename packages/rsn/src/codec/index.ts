/** Codecs of the authenticator core: EAPOL (IEEE 802.1X), EAPOL-Key, RSNE, RSNXE and Key Data (IEEE 802.11). */
export * from './eapol.js';
export * from './eapol-key.js';
export * from './rsne.js';
export * from './rsnxe.js';
export * from './kde.js';
export * from './eap.js';
export * from './eap-tls.js';
/** Byte helpers for codecs (shared with the RADIUS codec). */
export { asBuffer, checkInt, checkLength } from './bytes.js';
