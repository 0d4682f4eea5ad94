// A RADIUS Dynamic Authorization Server (RFC 5176), sans-I/O: Disconnect-Request and
// CoA-Request from the policy servers allowed to send them, checked, de-duplicated and
// handed to the owner (the authenticator service), whose answer becomes the ACK or NAK.
//
// - RFC 5176 §2.3, §6.1: only listed clients; the source address chooses the shared secret.
//   A datagram from anyone else is silently discarded (and counted), as hostapd does.
// - RFC 5176 §2.3, §3.4 (das-codec.ts): the Request Authenticator and a Message-Authenticator
//   (required by default; BlastRADIUS) must verify, or the request is silently discarded.
// - RFC 5176 §6.3: Event-Timestamp (required by default, as hostapd's
//   radius_das_require_event_timestamp) within ±timeWindowSec (default 300 s, hostapd's
//   radius_das_time_window) of the clock, or the request is silently discarded. That is
//   what both RFC 5176 §6.3 ("If the Event-Timestamp Attribute is not current, then the
//   packet MUST be silently discarded") and hostapd do: there is no NAK for a stale request,
//   since a NAK would tell a replaying attacker the window.
// - RFC 5080 §2.2.2, RFC 5176 §2.3: a retransmission - same client, Identifier and Request
//   Authenticator - is answered with the response already sent, never acted on twice; while
//   the owner has not answered yet, it is dropped (the client retransmits again). RFC 5176
//   §2.3 keys duplicates on the source port as well; it is left out here, so that the same
//   request replayed from another port is caught too (the Request Authenticator covers
//   every attribute and the Event-Timestamp: a new request never has the same one). Cached
//   responses live as long as the Event-Timestamp window (§6.3: the two windows MUST be the
//   same), counted from the later of arrival and the request's Event-Timestamp, so that a
//   request stamped in the future cannot be replayed once its entry is gone.
// - Every table an outsider can grow has a cap: per client, requests waiting for the owner
//   (maxPendingPerClient), cached responses (maxCachedPerClient, oldest evicted), and a
//   token bucket of new requests (requestsPerSecond, burst). Beyond a cap the request is
//   dropped and counted, never NAKed: the client retransmits, and dropping creates no state.
// - RFC 5176 §3, §3.5 (das-request.ts): an attribute this server cannot apply, a malformed
//   value, a missing identification or another NAS's name is NAKed with its Error-Cause
//   without bothering the owner.
// - RFC 5176 §3.1, §3.3: Proxy-State and State are echoed unmodified in the response; the
//   response carries Event-Timestamp (as hostapd's) and a Message-Authenticator.
// - The owner answers ack(handle) or nak(handle, errorCause). A request it leaves
//   unanswered for answerTimeoutMs (default 2 s, under radclient's 3 s retransmission
//   timeout) is NAKed with 506 Resources Unavailable and cached like any answer: a NAK is
//   definite, so the client stops retransmitting and an operator sees why, where a drop
//   would leave it retrying into the same silence until it gives up. The owner is told
//   (an 'answered' event with by: 'timeout') and must not act on that request any more:
//   RFC 5176 §2.3 says a NAKed request changes nothing.
// - RFC 5176 §3.2: a CoA-Request with Service-Type = Authorize Only is answered CoA-NAK
//   with Error-Cause 507 (Request Initiated) and Service-Type = Authorize Only when the
//   owner acks it (it then sends the Access-Request) - a CoA-ACK is never sent for it.
//
// The shape is quinn-proto's, as ../client/radius-transactions.ts: inputs carry `now` (ms on
// the driver's clock: Unix ms by default, or the service's monotonic clock with `wallMs`
// converting it, since Event-Timestamp is wall-clock time, RFC 2869 §5.3) - handle a
// datagram, answer a request, tick; outputs are polled (datagrams to send, events) and
// nextDeadline() says when to tick next. No sockets, no timers, no clock of its own. The I/O
// is das-listener.ts.

import { Attr } from '../codec/constants.js';
import { attrInt } from '../codec/attributes.js';
import type { RadiusAttribute } from '../codec/packet.js';
import { takeOldest } from '@airlock/bytes';
import { buildDasResponse, dasResponseCode, verifyDasRequest } from './das-codec.js';
import { DasAttr, DasCode, ErrorCause, SERVICE_TYPE_AUTHORIZE_ONLY, errorCauseName } from './das-constants.js';
import { canonicalIpAddress } from './ip-address.js';
import { interpretDasRequest, type DasNasMatcher, type DasRequestContent } from './das-request.js';
import { PollQueue } from '../poll-queue.js';

/** A Dynamic Authorization Client allowed to send requests (a policy server). */
export interface DasClientConfig {
  /** Label in counters, events and logs; never the secret. */
  name: string;
  /** The source IP address its requests come from (IPv4 or IPv6 text). */
  address: string;
  /** Shared secret with it (RFC 2865 §3); never logged. */
  secret: Buffer;
}

/** Who this NAS is: a request naming anything else is NAKed 403 (RFC 5176 §3). */
export interface DasNasIdentity {
  /** NAS-Identifier values of this NAS (what its Access-Requests carry). */
  identifiers?: readonly string[];
  /** Its NAS-IP-Address / NAS-IPv6-Address values. */
  addresses?: readonly string[];
}

/** Options of a DasServer. */
export interface DasServerOptions {
  /** The clients allowed, each with its own secret, by source address (at least one). */
  clients: readonly DasClientConfig[];
  /** This NAS's identity. A request carrying a NAS attribute not listed here is NAKed 403. */
  nas: DasNasIdentity;
  /** The clock at creation (ms on the driver's clock). */
  now: number;
  /**
   * Unix ms of a time on the driver's clock (default: the driver's clock is Unix ms).
   * Event-Timestamp is compared with it and written from it; deadlines stay on the driver's
   * clock. Pure: a conversion, not a clock.
   */
  wallMs?: (now: number) => number;
  /** Half-width of the Event-Timestamp window and lifetime of cached responses, in seconds (default 300). */
  timeWindowSec?: number;
  /** Drop requests without an Event-Timestamp (default true). */
  requireEventTimestamp?: boolean;
  /** Drop requests without a Message-Authenticator (default true). */
  requireMessageAuthenticator?: boolean;
  /** How long the owner has to answer before the server NAKs 506 (default 2000 ms). */
  answerTimeoutMs?: number;
  /** Requests of one client waiting for the owner at once (default 256). */
  maxPendingPerClient?: number;
  /** Responses cached per client for duplicate detection (default 8192; oldest evicted). */
  maxCachedPerClient?: number;
  /** Sustained new requests per second per client (default 25). */
  requestsPerSecond?: number;
  /** Burst of new requests per client (default 100). */
  burst?: number;
}

const DEFAULTS = {
  timeWindowSec: 300,
  answerTimeoutMs: 2000,
  maxPendingPerClient: 256,
  // At least requestsPerSecond x timeWindowSec: at the sustained rate no entry is evicted
  // before the Event-Timestamp window has closed on it.
  maxCachedPerClient: 8192,
  requestsPerSecond: 25,
  burst: 100,
} as const;

/** Why a datagram was dropped without an answer. */
export type DasDropReason =
  /** Its source address is not a listed client (RFC 5176 §6.1). */
  | 'unknown-client'
  /** Not a well-framed RADIUS packet, or a response too large to build (echoed Proxy-States). */
  | 'malformed'
  /** A Code other than Disconnect-Request or CoA-Request (RFC 5176 §2.3). */
  | 'unexpected-code'
  /** The Request Authenticator does not verify (wrong secret, or forged). */
  | 'bad-request-authenticator'
  /** No Message-Authenticator (required). */
  | 'missing-message-authenticator'
  /** A Message-Authenticator that does not verify, is not 16 octets, or appears twice. */
  | 'bad-message-authenticator'
  /** No Event-Timestamp (required). */
  | 'missing-event-timestamp'
  /** An Event-Timestamp not of 4 octets, or more than one. */
  | 'bad-event-timestamp'
  /** An Event-Timestamp outside the window (RFC 5176 §6.3). */
  | 'stale-event-timestamp'
  /** A retransmission of a request the owner has not answered yet. */
  | 'duplicate-in-progress'
  /** Over the client's rate of new requests. */
  | 'rate-limited'
  /** The client has maxPendingPerClient requests waiting for the owner. */
  | 'too-many-pending';

const DROP_REASONS: readonly DasDropReason[] = [
  'unknown-client',
  'malformed',
  'unexpected-code',
  'bad-request-authenticator',
  'missing-message-authenticator',
  'bad-message-authenticator',
  'missing-event-timestamp',
  'bad-event-timestamp',
  'stale-event-timestamp',
  'duplicate-in-progress',
  'rate-limited',
  'too-many-pending',
];

/** Counters of one client, or of all (metrics). NAKs are counted by Error-Cause. */
export interface DasCounters {
  /** Datagrams received. */
  received: number;
  /** Datagrams dropped, by reason. */
  dropped: Record<DasDropReason, number>;
  /** New requests accepted (authentic, current, not duplicates), by kind. */
  requests: { disconnect: number; coa: number };
  /** ACKs sent (first transmissions). */
  acks: { disconnect: number; coa: number };
  /** NAKs sent (first transmissions), by Error-Cause value. */
  naks: { disconnect: Record<number, number>; coa: Record<number, number> };
  /** Retransmitted requests answered again from the cache. */
  duplicates: number;
  /** Requests the owner did not answer in time (NAKed 506). */
  answerTimeouts: number;
  /** ack()/nak() calls for a handle that was no longer waiting. */
  lateAnswers: number;
}

/** Counters and table sizes (gauges). */
export interface DasStats {
  /** Over every client (and datagrams from no client). */
  total: DasCounters;
  /** Per client name. */
  clients: Record<string, DasCounters>;
  /** Requests waiting for the owner. */
  pending: number;
  /** Responses cached for duplicate detection. */
  cached: number;
}

/** A request handed to the owner: answer it with ack(handle) or nak(handle, errorCause). */
export interface DasRequest extends DasRequestContent {
  /** The owner's handle of this request. */
  handle: number;
  /** Name of the client that sent it. */
  client: string;
  /** Where it came from. */
  source: { address: string; port: number };
  /** Its RADIUS Identifier (for logs). */
  identifier: number;
  /** Its Event-Timestamp (seconds since the Unix epoch), when present. */
  eventTimestamp?: number;
  /** The clock when it arrived. */
  receivedAt: number;
  /** When the server NAKs it 506 unless the owner has answered (the clock's ms). */
  answerBy: number;
}

/** Who produced a response. */
export type DasAnsweredBy =
  /** The owner's ack() or nak(). */
  | 'owner'
  /** The server itself: the request was refused before reaching the owner (401, 402, 403, 404, 405, 407). */
  | 'server'
  /** The owner did not answer in time: NAK 506. */
  | 'timeout'
  /** A retransmission answered from the cache. */
  | 'duplicate';

/** What the server tells its owner, in order. */
export type DasEvent =
  /** A request to act on. */
  | { type: 'request'; request: DasRequest }
  /** A datagram dropped without an answer (for logs: rate-limit them, the source is anyone). */
  | { type: 'dropped'; reason: DasDropReason; source: { address: string; port: number }; client?: string; detail: string }
  /** A response sent. `handle` when the request had reached the owner. */
  | {
      type: 'answered';
      by: DasAnsweredBy;
      client: string;
      source: { address: string; port: number };
      kind: 'disconnect' | 'coa';
      code: number;
      errorCause?: number;
      handle?: number;
      detail?: string;
    };

/** A datagram to send. */
export interface DasDatagram {
  address: string;
  port: number;
  bytes: Buffer;
}

/** A response cached for a request (undefined `response`: the owner has not answered yet). */
interface CacheEntry {
  expiresAt: number;
  response: Buffer | undefined;
}

interface ClientState {
  readonly config: DasClientConfig;
  readonly counters: DasCounters;
  /** Key: Identifier and Request Authenticator octets (latin1). Insertion order is arrival order. */
  readonly cache: Map<string, CacheEntry>;
  pending: number;
  tokens: number;
  tokensAt: number;
}

/** A request waiting for its owner's answer. */
interface Pending {
  readonly handle: number;
  readonly client: ClientState;
  readonly source: { address: string; port: number };
  readonly code: number;
  readonly identifier: number;
  readonly requestAuthenticator: Buffer;
  /** State and Proxy-State attributes to echo (copies). */
  readonly echo: RadiusAttribute[];
  readonly cacheKey: string;
  readonly authorizeOnly: boolean;
  readonly deadline: number;
}

/** Octets a response adds beyond what it echoes: header, Message-Authenticator, Error-Cause, Service-Type, Event-Timestamp. */
const RESPONSE_OVERHEAD = 20 + 18 + 6 + 6 + 6;
const MAX_PACKET = 4096;

function newCounters(): DasCounters {
  const dropped = {} as Record<DasDropReason, number>;
  for (const r of DROP_REASONS) dropped[r] = 0;
  return {
    received: 0,
    dropped,
    requests: { disconnect: 0, coa: 0 },
    acks: { disconnect: 0, coa: 0 },
    naks: { disconnect: {}, coa: {} },
    duplicates: 0,
    answerTimeouts: 0,
    lateAnswers: 0,
  };
}

function copyCounters(c: DasCounters): DasCounters {
  return {
    received: c.received,
    dropped: { ...c.dropped },
    requests: { ...c.requests },
    acks: { ...c.acks },
    naks: { disconnect: { ...c.naks.disconnect }, coa: { ...c.naks.coa } },
    duplicates: c.duplicates,
    answerTimeouts: c.answerTimeouts,
    lateAnswers: c.lateAnswers,
  };
}

function kindOf(code: number): 'disconnect' | 'coa' {
  return code === DasCode.CoaRequest ? 'coa' : 'disconnect';
}

/** The settings with defaults filled in. */
type Settings = Required<Omit<DasServerOptions, 'clients' | 'nas' | 'now' | 'wallMs'>>;

/**
 * RFC 5176 Dynamic Authorization Server (see the file header): hand it datagrams with
 * handle(), tick it at nextDeadline(), send what pollTransmit() returns, act on pollEvent()'s
 * requests and answer each with ack() or nak().
 */
export class DasServer {
  private readonly s: Settings;
  private readonly clients = new Map<string, ClientState>();
  private readonly nas: DasNasMatcher;
  private readonly total = newCounters();
  /** Requests waiting for the owner; insertion order is deadline order (one fixed timeout, a clock that never runs back). */
  private readonly pending = new Map<number, Pending>();
  private nextHandle = 1;
  private readonly outgoing = new PollQueue<DasDatagram>();
  private readonly events = new PollQueue<DasEvent>();
  private lastNow: number;
  private readonly toWall: (now: number) => number;
  /** Unix ms of the latest `now` as given (not clamped: a wall clock may step back, and timestamps follow it). */
  private wallNow: number;
  private closed = false;

  /** Validates the options; throws TypeError on a programmer error (no clients, an empty secret, a bad address or setting). */
  constructor(opts: DasServerOptions) {
    if (opts.clients.length === 0) throw new TypeError('DAS: at least one client is required');
    this.s = {
      timeWindowSec: opts.timeWindowSec ?? DEFAULTS.timeWindowSec,
      requireEventTimestamp: opts.requireEventTimestamp ?? true,
      requireMessageAuthenticator: opts.requireMessageAuthenticator ?? true,
      answerTimeoutMs: opts.answerTimeoutMs ?? DEFAULTS.answerTimeoutMs,
      maxPendingPerClient: opts.maxPendingPerClient ?? DEFAULTS.maxPendingPerClient,
      maxCachedPerClient: opts.maxCachedPerClient ?? DEFAULTS.maxCachedPerClient,
      requestsPerSecond: opts.requestsPerSecond ?? DEFAULTS.requestsPerSecond,
      burst: opts.burst ?? DEFAULTS.burst,
    };
    const s = this.s;
    if (!(s.timeWindowSec > 0) || !(s.answerTimeoutMs > 0)) throw new TypeError('DAS: need timeWindowSec > 0 and answerTimeoutMs > 0');
    for (const [name, v] of [['maxPendingPerClient', s.maxPendingPerClient], ['maxCachedPerClient', s.maxCachedPerClient]] as const) {
      if (!Number.isInteger(v) || v < 1) throw new TypeError(`DAS: ${name} must be an integer >= 1`);
    }
    if (!(s.requestsPerSecond > 0) || !(s.burst >= 1)) throw new TypeError('DAS: need requestsPerSecond > 0 and burst >= 1');
    const names = new Set<string>();
    for (const c of opts.clients) {
      const address = canonicalIpAddress(c.address);
      if (address === undefined) throw new TypeError(`DAS: client ${c.name} has a bad address ${JSON.stringify(c.address)}`);
      if (c.secret.length === 0) throw new TypeError(`DAS: client ${c.name} has an empty secret`);
      if (names.has(c.name)) throw new TypeError(`DAS: duplicate client name ${c.name}`);
      if (this.clients.has(address)) throw new TypeError(`DAS: two clients with the address ${address}`);
      names.add(c.name);
      this.clients.set(address, { config: c, counters: newCounters(), cache: new Map(), pending: 0, tokens: s.burst, tokensAt: opts.now });
    }
    const addresses = new Set<string>();
    for (const a of opts.nas.addresses ?? []) {
      const canonical = canonicalIpAddress(a);
      if (canonical === undefined) throw new TypeError(`DAS: bad NAS address ${JSON.stringify(a)}`);
      addresses.add(canonical);
    }
    this.nas = { identifiers: new Set(opts.nas.identifiers ?? []), addresses };
    this.lastNow = opts.now;
    this.toWall = opts.wallMs ?? ((now) => now);
    this.wallNow = this.toWall(opts.now);
  }

  /**
   * A datagram from `source`. It becomes a 'request' event, a response (a NAK the server
   * makes itself, or a cached response to a retransmission), or a 'dropped' event. Never
   * throws.
   */
  handle(datagram: Uint8Array, source: { address: string; port: number }, now: number): void {
    now = this.clock(now);
    if (this.closed) return;
    const client = this.clients.get(source.address) ?? this.clients.get(canonicalIpAddress(source.address) ?? '');
    this.total.received++;
    if (client === undefined) return this.drop(undefined, source, 'unknown-client', 'the source address is not a client');
    client.counters.received++;
    const verified = verifyDasRequest(datagram, client.config.secret, { requireMessageAuthenticator: this.s.requireMessageAuthenticator });
    if (!verified.ok) {
      const c = verified.error.code;
      const reason: DasDropReason =
        c === 'unexpected-code' || c === 'bad-request-authenticator' || c === 'missing-message-authenticator' || c === 'bad-message-authenticator' ? c : 'malformed';
      return this.drop(client, source, reason, verified.error.detail);
    }
    const packet = verified.value;

    // RFC 5176 §6.3 replay protection.
    let timestamp: number | undefined;
    for (const a of packet.attributes) {
      if (a.type !== DasAttr.EventTimestamp) continue;
      if (timestamp !== undefined || a.value.length !== 4) return this.drop(client, source, 'bad-event-timestamp', 'an Event-Timestamp not of 4 octets, or more than one');
      timestamp = a.value.readUInt32BE(0);
    }
    if (timestamp === undefined) {
      if (this.s.requireEventTimestamp) return this.drop(client, source, 'missing-event-timestamp', 'no Event-Timestamp (required)');
    } else {
      const skew = Math.floor(this.wallNow / 1000) - timestamp;
      if (Math.abs(skew) > this.s.timeWindowSec) {
        return this.drop(client, source, 'stale-event-timestamp', `Event-Timestamp ${timestamp} is ${skew} s from the clock (window ±${this.s.timeWindowSec} s)`);
      }
    }

    // RFC 5080 §2.2.2 duplicate detection.
    const key = String.fromCharCode(packet.identifier) + packet.authenticator.toString('latin1');
    let entry = client.cache.get(key);
    if (entry !== undefined && entry.expiresAt <= now) {
      client.cache.delete(key);
      entry = undefined;
    }
    if (entry !== undefined) {
      if (entry.response === undefined) return this.drop(client, source, 'duplicate-in-progress', `Identifier ${packet.identifier}: the owner has not answered yet`);
      this.count(client, (c) => c.duplicates++);
      this.outgoing.push({ address: source.address, port: source.port, bytes: entry.response });
      this.emit({ type: 'answered', by: 'duplicate', client: client.config.name, source: { ...source }, kind: kindOf(packet.code), code: entry.response[0] });
      return;
    }

    // Caps: the client's rate of new requests, and what waits for the owner.
    this.refill(client, now);
    if (client.tokens < 1) return this.drop(client, source, 'rate-limited', `over ${this.s.requestsPerSecond} requests/s (burst ${this.s.burst})`);
    if (client.pending >= this.s.maxPendingPerClient) return this.drop(client, source, 'too-many-pending', `${client.pending} requests waiting for an answer`);
    const echo: RadiusAttribute[] = [];
    let echoOctets = 0;
    for (const a of packet.attributes) {
      if (a.type !== Attr.State && a.type !== DasAttr.ProxyState) continue;
      echo.push({ type: a.type, value: Buffer.from(a.value) });
      echoOctets += 2 + a.value.length;
    }
    if (echoOctets + RESPONSE_OVERHEAD > MAX_PACKET) return this.drop(client, source, 'malformed', `State and Proxy-State (${echoOctets} octets) too long to echo in a response`);
    client.tokens -= 1;

    const kind = kindOf(packet.code);
    this.count(client, (c) => c.requests[kind]++);
    const ahead = timestamp === undefined ? 0 : Math.max(0, timestamp * 1000 - this.wallNow);
    this.cache(client, key, { expiresAt: now + ahead + this.s.timeWindowSec * 1000, response: undefined });
    const p: Pending = {
      handle: this.nextHandle++,
      client,
      source: { address: source.address, port: source.port },
      code: packet.code,
      identifier: packet.identifier,
      requestAuthenticator: Buffer.from(packet.authenticator),
      echo,
      cacheKey: key,
      authorizeOnly: false,
      deadline: now + this.s.answerTimeoutMs,
    };
    const content = interpretDasRequest(packet.code, packet.attributes, this.nas);
    if (!content.ok) {
      this.respond(p, false, content.error.errorCause, 'server', content.error.detail);
      return;
    }
    const request: DasRequest = {
      ...content.value,
      handle: p.handle,
      client: client.config.name,
      source: { ...p.source },
      identifier: p.identifier,
      receivedAt: now,
      answerBy: p.deadline,
    };
    if (timestamp !== undefined) request.eventTimestamp = timestamp;
    this.pending.set(p.handle, { ...p, authorizeOnly: content.value.changes?.reauthenticate?.signal === 'authorize-only' });
    client.pending++;
    this.emit({ type: 'request', request });
  }

  /**
   * The owner carried out request `handle` (for a CoA-Request: every change; RFC 5176 §2.3).
   * The client gets Disconnect-ACK or CoA-ACK - or, for Authorize Only, CoA-NAK 507 Request
   * Initiated (§3.2). `residualSessionContextRemoved` adds Error-Cause 201 to a
   * Disconnect-ACK. False when the request is no longer waiting (answered, or timed out and
   * NAKed 506: then nothing must be done for it). RangeError on 201 for a CoA-Request.
   */
  ack(handle: number, now: number, options: { residualSessionContextRemoved?: boolean } = {}): boolean {
    this.clock(now);
    const p = this.pending.get(handle);
    if (p === undefined) return this.late();
    if (options.residualSessionContextRemoved === true && p.code !== DasCode.DisconnectRequest) {
      throw new RangeError('Error-Cause 201 (Residual Session Context Removed) is sent in a Disconnect-ACK only (RFC 5176 §3.5)');
    }
    this.settle(p);
    if (p.authorizeOnly) this.respond(p, false, ErrorCause.RequestInitiated, 'owner', 'Authorize Only: the Access-Request follows');
    else this.respond(p, true, options.residualSessionContextRemoved === true ? ErrorCause.ResidualSessionContextRemoved : undefined, 'owner');
    return true;
  }

  /**
   * The owner refuses request `handle`, and changed nothing: a NAK with `errorCause` (RFC
   * 5176 §3.5: 4xx for the client's error, 5xx for this NAS's; typically 503 Session Context
   * Not Found, 508 Multiple Session Selection Unsupported, 501 Administratively Prohibited,
   * 504 Session Context Not Removable for a Disconnect-Request). False when the request is no
   * longer waiting. RangeError on a value RFC 5176 forbids in this NAK (not 4xx or 5xx; 502
   * and 505, which only a proxy sends; 504 in a CoA-NAK; 507, which the server sends itself).
   */
  nak(handle: number, errorCause: number, now: number): boolean {
    this.clock(now);
    const p = this.pending.get(handle);
    if (p === undefined) return this.late();
    const forbidden =
      !Number.isInteger(errorCause) || errorCause < 400 || errorCause > 599 ||
      errorCause === ErrorCause.RequestNotRoutable || errorCause === ErrorCause.OtherProxyProcessingError || errorCause === ErrorCause.RequestInitiated ||
      (errorCause === ErrorCause.SessionContextNotRemovable && p.code !== DasCode.DisconnectRequest);
    if (forbidden) throw new RangeError(`Error-Cause ${errorCause} (${errorCauseName(errorCause)}) cannot be sent in this NAK (RFC 5176 §3.5)`);
    this.settle(p);
    this.respond(p, false, errorCause, 'owner');
    return true;
  }

  /** Advances time: requests the owner left unanswered past answerTimeoutMs are NAKed 506; expired cache entries go. */
  tick(now: number): void {
    now = this.clock(now);
    if (this.closed) return;
    for (const p of this.pending.values()) {
      if (p.deadline > now) break;
      this.settle(p);
      this.count(p.client, (c) => c.answerTimeouts++);
      this.respond(p, false, ErrorCause.ResourcesUnavailable, 'timeout', `no answer from the owner within ${this.s.answerTimeoutMs} ms`);
    }
    for (const client of this.clients.values()) {
      for (const [key, entry] of client.cache) {
        // Entries expire roughly in insertion order (a future Event-Timestamp delays one);
        // the rest are checked when looked up and are bounded by the cap.
        if (entry.expiresAt > now) break;
        client.cache.delete(key);
      }
    }
  }

  /** When tick() has work next (the earliest answer deadline or cache expiry), or undefined. */
  nextDeadline(): number | undefined {
    let at = Infinity;
    for (const p of this.pending.values()) {
      at = p.deadline;
      break;
    }
    for (const client of this.clients.values()) {
      for (const entry of client.cache.values()) {
        if (entry.expiresAt < at) at = entry.expiresAt;
        break;
      }
    }
    return at === Infinity ? undefined : at;
  }

  /** The next datagram to send, in order; undefined when none is left. */
  pollTransmit(): DasDatagram | undefined {
    return this.outgoing.poll();
  }

  /** The next event, in order; undefined when none is left. */
  pollEvent(): DasEvent | undefined {
    return this.events.poll();
  }

  /** Counters (copies) and table sizes. */
  stats(): DasStats {
    const clients: Record<string, DasCounters> = {};
    let cached = 0;
    for (const c of this.clients.values()) {
      clients[c.config.name] = copyCounters(c.counters);
      cached += c.cache.size;
    }
    return { total: copyCounters(this.total), clients, pending: this.pending.size, cached };
  }

  /** Stops: requests waiting are forgotten (no answer: the client retransmits elsewhere), later input is ignored. Idempotent. */
  close(): void {
    if (this.closed) return;
    this.closed = true;
    for (const p of this.pending.values()) p.client.pending--;
    this.pending.clear();
    for (const c of this.clients.values()) c.cache.clear();
  }

  // ---- internals --------------------------------------------------------------------

  /** Time never runs backwards here: an earlier `now` counts as the latest seen. */
  private clock(now: number): number {
    this.wallNow = this.toWall(now);
    if (now > this.lastNow) this.lastNow = now;
    return this.lastNow;
  }

  private refill(client: ClientState, now: number): void {
    const elapsed = now - client.tokensAt;
    client.tokensAt = now;
    if (elapsed > 0) client.tokens = Math.min(this.s.burst, client.tokens + (elapsed * this.s.requestsPerSecond) / 1000);
  }

  private cache(client: ClientState, key: string, entry: CacheEntry): void {
    client.cache.set(key, entry);
    while (client.cache.size > this.s.maxCachedPerClient) takeOldest(client.cache);
  }

  /** Takes a request off the waiting list. */
  private settle(p: Pending): void {
    this.pending.delete(p.handle);
    p.client.pending--;
  }

  private late(): false {
    this.total.lateAnswers++;
    return false;
  }

  /** Builds, caches, counts and queues the response to `p`. */
  private respond(p: Pending, ack: boolean, errorCause: number | undefined, by: DasAnsweredBy, detail?: string): void {
    const code = dasResponseCode(p.code, ack);
    const attributes: RadiusAttribute[] = [];
    if (errorCause !== undefined) attributes.push({ type: DasAttr.ErrorCause, value: attrInt(errorCause) });
    if (errorCause === ErrorCause.RequestInitiated) attributes.push({ type: Attr.ServiceType, value: attrInt(SERVICE_TYPE_AUTHORIZE_ONLY) });
    for (const a of p.echo) if (a.type === Attr.State) attributes.push(a);
    attributes.push({ type: DasAttr.EventTimestamp, value: attrInt(Math.max(0, Math.floor(this.wallNow / 1000)) >>> 0) });
    for (const a of p.echo) if (a.type === DasAttr.ProxyState) attributes.push(a);
    const bytes = buildDasResponse({ code, identifier: p.identifier, requestAuthenticator: p.requestAuthenticator, attributes, secret: p.client.config.secret });
    const entry = p.client.cache.get(p.cacheKey);
    if (entry !== undefined && entry.response === undefined) entry.response = bytes;
    const kind = kindOf(p.code);
    this.count(p.client, (c) => {
      if (ack) c.acks[kind]++;
      else c.naks[kind][errorCause ?? 0] = (c.naks[kind][errorCause ?? 0] ?? 0) + 1;
    });
    this.outgoing.push({ address: p.source.address, port: p.source.port, bytes });
    const event: DasEvent = { type: 'answered', by, client: p.client.config.name, source: { ...p.source }, kind, code };
    if (errorCause !== undefined) event.errorCause = errorCause;
    if (by !== 'server') event.handle = p.handle;
    if (detail !== undefined) event.detail = detail;
    this.emit(event);
  }

  private drop(client: ClientState | undefined, source: { address: string; port: number }, reason: DasDropReason, detail: string): void {
    this.total.dropped[reason]++;
    if (client !== undefined) client.counters.dropped[reason]++;
    const event: DasEvent = { type: 'dropped', reason, source: { address: source.address, port: source.port }, detail };
    if (client !== undefined) event.client = client.config.name;
    this.emit(event);
  }

  /** Applies `f` to the client's counters and the totals. */
  private count(client: ClientState, f: (c: DasCounters) => void): void {
    f(client.counters);
    f(this.total);
  }

  private emit(e: DasEvent): void {
    this.events.push(e);
  }
}
