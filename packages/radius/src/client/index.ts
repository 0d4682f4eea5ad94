// RADIUS client (RFC 2865, RFC 2866, RFC 3579, RFC 5080 §2.2.1, RFC 5997, RFC 6614): public surface.
export {
  RadiusClient,
  serverConfigOf,
  type AccessDone,
  type AccessOutcome,
  type AccessRequestOptions,
  type AccountingDone,
  type AccountingRequestOptions,
  type RadiusClientOptions,
  type RadiusClock,
  type RadiusServer,
  type RadiusUdpServer,
  type RadsecServer,
} from './radius-client.js';
export { RADSEC_PORT, RADSEC_SECRET, checkRadsecTlsOptions, type RadsecTlsOptions } from './tls-transport.js';
export { RecordReader, type FramingError, type FramingErrorCode } from './record-reader.js';
export {
  RadiusTransactions,
  retransmitTimeout,
  timeoutBudget,
  type AccessResult,
  type AccountingResult,
  type ConnectionCommand,
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
