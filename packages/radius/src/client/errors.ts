// Errors of the RADIUS client (RFC 2865 §2.4 / RFC 5080 §2.2.1 timeouts, local refusals).
//
// A bad response never becomes an error: it is dropped, reported through onResult, and the
// retransmission goes on. These errors are what a caller's promise rejects with.

/** Every server was tried (with all its retransmissions) and none answered validly. */
export class RadiusTimeoutError extends Error {
  /** Names of the servers that were tried, in the order they were tried. */
  readonly servers: readonly string[];

  constructor(servers: readonly string[]) {
    super(`RADIUS request timed out: no valid answer from ${servers.length === 0 ? 'any server' : servers.join(', ')}`);
    this.name = 'RadiusTimeoutError';
    this.servers = servers;
  }
}

/** Why the client refused or abandoned a request without trying every server. */
export type RadiusClientErrorCode =
  /** More than maxInFlight requests were outstanding. */
  | 'in-flight-cap'
  /** close() was called (before or while the request was outstanding). */
  | 'closed'
  /** start() has not completed. */
  | 'not-started';

/** A request refused or abandoned by the client itself (not by a server). */
export class RadiusClientError extends Error {
  /** The named reason. */
  readonly code: RadiusClientErrorCode;

  constructor(code: RadiusClientErrorCode, message: string) {
    super(message);
    this.name = 'RadiusClientError';
    this.code = code;
  }
}
