// RADIUS client (RFC 2865, RFC 2866, RFC 5080 §2.2.1, RFC 5997): public surface.
export {
  RadiusClient,
  retransmitTimeout,
  type AccessRequestOptions,
  type AccessResult,
  type AccountingResult,
  type MppeKeys,
  type RadiusClientOptions,
  type RadiusRequestKind,
  type RadiusResultReport,
  type RadiusServer,
  type RadiusServerState,
} from './radius-client.js';
export { RadiusClientError, RadiusTimeoutError, type RadiusClientErrorCode } from './errors.js';
