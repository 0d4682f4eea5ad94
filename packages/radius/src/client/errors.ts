// Errors of the RADIUS client (RFC 2865 §2.4 / RFC 5080 §2.2.1 timeouts, local refusals).
//
// A bad response never becomes an error: it is dropped, reported through onResult, and the
// retransmission goes on. A request that ends without a usable answer ends with a
// RadiusFailure (the callback form); the promise form rejects with the errors below.

/** Why a request ended without a usable answer. */
export type RadiusFailureReason =
  /** Every server was tried (with all its retransmissions) and none answered validly. */
  | 'timeout'
  /**
   * An Access-Reject from a server other than the one holding the EAP conversation (its
   * State): after a failover the new server never saw the conversation, so its Reject says
   * nothing about the credentials. Callers treat it as a timeout.
   */
  | 'conversation-lost'
  /** Refused, or displaced from the queue, with maxInFlight in flight and maxQueued waiting. */
  | 'in-flight-cap'
  /** A newer request of the same conversation took its place in the queue before it was sent. */
  | 'superseded'
  /** forget() of its conversation while it waited in the queue. */
  | 'withdrawn'
  /** close() was called (before or while the request was outstanding). */
  | 'closed'
  /** start() has not completed. */
  | 'not-started'
  /** The request cannot be encoded (an attribute or User-Password too long, a packet over 4096 octets). */
  | 'unencodable';

/** How a request ended without a usable answer. */
export interface RadiusFailure {
  /** The named reason. */
  reason: RadiusFailureReason;
  /** Names of the servers that were tried, in the order they were tried. */
  servers: readonly string[];
  /** In words, for logs. */
  detail: string;
  /** 'conversation-lost': the server that held the conversation (the Reject came from servers' last). */
  heldBy?: string;
}

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
export type RadiusClientErrorCode = Exclude<RadiusFailureReason, 'timeout' | 'conversation-lost' | 'unencodable'>;

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

/** The error a promise-form request rejects with for `f`: a timeout, a RangeError for an unencodable request, else a RadiusClientError. */
export function failureError(f: RadiusFailure): Error {
  switch (f.reason) {
    case 'timeout':
    case 'conversation-lost':
      return new RadiusTimeoutError(f.servers);
    case 'unencodable':
      return new RangeError(f.detail);
    default:
      return new RadiusClientError(f.reason, f.detail);
  }
}
