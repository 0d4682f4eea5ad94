// RADIUS client (RFC 2865, RFC 2866, RFC 3579, RFC 5080 §2.2.1, RFC 5997): public surface.
export {
  RadiusClient,
  type AccessDone,
  type AccessOutcome,
  type AccessRequestOptions,
  type AccountingDone,
  type AccountingRequestOptions,
  type RadiusClientOptions,
  type RadiusClock,
  type RadiusServer,
} from './radius-client.js';
export {
  RadiusTransactions,
  retransmitTimeout,
  type AccessResult,
  type AccountingResult,
  type MppeKeys,
  type OutgoingDatagram,
  type RadiusAnswer,
  type RadiusOutcome,
  type RadiusRequestKind,
  type RadiusResultReport,
  type RadiusServerConfig,
  type RadiusServerState,
  type RequestOptions,
  type TransactionEvent,
  type TransactionOptions,
} from './radius-transactions.js';
export { reservedSlots, type RequestOwner } from './fair-queue.js';
export {
  failureError,
  RadiusClientError,
  RadiusTimeoutError,
  type RadiusClientErrorCode,
  type RadiusFailure,
  type RadiusFailureReason,
} from './errors.js';
export { DeadlineTimer } from './deadline-timer.js';
