/**
 * The EAP peer of the simulated station: RFC 3748 with EAP-TLS (RFC 5216, RFC 9190) and
 * EAP-TTLS/PAP (RFC 5281), on node:tls over memory.
 */
export { EapPeer, type EapMethodConfig, type EapPeerOptions, type EapPeerState } from './eap-peer.js';
export { EapTlsMethod, MSK_LENGTH, EMSK_LENGTH, type EapKeys, type TlsMethodOptions, type TlsMethodOutput } from './eap-tls-method.js';
export { DEFAULT_FRAGMENT_SIZE, MAX_TLS_MESSAGE_LENGTH, TlsReassembly, fragmentTlsData, type ReassemblyResult } from './fragmentation.js';
export { TlsEngine, TlsAlert, fatalAlertRecord, type TlsClientOptions, type TlsServerOptions, type TlsFailure, type TlsStep, type TlsVersion } from './tls-engine.js';
export { TtlsAvpCode, TtlsAvpFlag, decodeTtlsAvps, encodeTtlsAvps, encodePapAvps, type TtlsAvp } from './ttls-avp.js';
