// RADIUS client transactions, sans-I/O: every protocol rule and every clock of the client,
// none of its sockets.
//
// - RFC 2865 §3, §4.1: Access-Request; an Identifier per (source port, server); the
//   Response Authenticator verified before a response is used; RFC 3579 §3.2
//   Message-Authenticator first in every Access-Request and required on every Access-*
//   response (BlastRADIUS, CVE-2024-3596); RFC 2548 §2.4.2-3 MS-MPPE-Send/Recv-Key
//   decrypted with the Request Authenticator of the Access-Request whose answer arrived.
// - RFC 2866 §4.1, §5.2: Accounting-Request / Accounting-Response; Acct-Delay-Time counts
//   the seconds a request waited when it moves to another server.
// - RFC 5080 §2.2.1: a retransmission reuses the Identifier, the Request Authenticator and
//   the bytes of the original; the wait doubles up to MRT; moving to the next server takes a
//   new Identifier and Request Authenticator.
// - RFC 5997: a server with no answer is marked dead and probed with Status-Server; a
//   verified answer marks it alive, and new requests go back to the highest-priority alive
//   server.
// - EAP over RADIUS (RFC 3579 §2.6.1): the server holding a conversation's State is the one
//   that answered its last Access-Challenge. A request continuing the conversation goes to
//   that server first while it is alive, and an Access-Reject of a request carrying State
//   from any other server (after a failover) ends as 'conversation-lost', not as a verdict
//   on the credentials.
// - In-flight slots shared out per agent and BSS, accounting in a lane of its own, waiting
//   bounded (fair-queue.ts).
// - RadSec (RFC 6614, RADIUS over TLS; RFC 6613's rules for a stream): a server with
//   `transport: 'tls'` gets one connection per Identifier space, which these transactions
//   open, watch and close (the driver only carries out the commands). A request is sent
//   once per connection and never retransmitted on it (RFC 6613 "Duplicates and
//   Retransmissions", RFC 5080 §2.2.1): it waits the server's whole timeout budget (the sum
//   of the UDP schedule) once, and is sent again only on a new connection after the old one
//   closed, with the same Identifier and bytes (the Identifier space belongs to the
//   connection, and the old connection is gone; the RFCs let the Identifier stay or change,
//   and keeping it keeps Message-Authenticator and Acct-Delay-Time as first sent), never on
//   another connection to the same server while its own is open. Reconnection waits a
//   backoff after a failed attempt (reconnectMinMs doubling up to reconnectMaxMs; none after
//   a connection that carried an answer); a connection that cannot
//   be opened marks its server dead (RFC 3539 style: a transport failure is a server
//   failure), and its requests move at once to an alive server they have not tried, or
//   wait for the next connection. A connection with no verified answer for watchdogIdleMs
//   carries a Status-Server as its watchdog (RFC 6614 §2.6, RFC 3539 style); one unanswered
//   within the budget closes it, and it reconnects.
//
// The shape is quinn-proto's: inputs carry `now` (submit, handle a datagram or record,
// connection opened or closed, tick); outputs are polled (datagrams and records to send with
// their server and socket, connection commands, events: completions, reports, server and
// connection state changes) and nextDeadline() says when to tick next. No sockets, no
// timers, no clock of its own, no promises; randomness (Request Authenticators, first
// Identifiers) is injected. The I/O is udp-transport.ts and tls-transport.ts, driven by
// radius-client.ts.

import type { Result } from '@airlock/bytes';
import {
  Attr,
  RadiusCode,
  buildAccessRequest,
  buildAccountingRequest,
  buildStatusServer,
  decryptMppeKey,
  readTunnelPassword,
  findVendorAttribute,
  hideUserPassword,
  MAX_ATTRIBUTE_VALUE_LENGTH,
  MAX_USER_PASSWORD_LENGTH,
  RADIUS_HEADER_LENGTH,
  RADIUS_MAX_LENGTH,
  VENDOR_MICROSOFT,
  MsAttr,
  verifyResponse,
  type RadiusAttribute,
  type RadiusPacket,
} from '../codec/index.js';
import type { RadiusFailure, RadiusFailureReason } from './errors.js';
import { FairQueue, type BssFifo, type QueueEntry, type RequestOwner } from './fair-queue.js';
import { IdentifierTable } from './identifier-table.js';
import { TimeoutList, type Timed } from './timeout-list.js';
import { PollQueue } from '../poll-queue.js';

/** One RADIUS server as the transactions see it: ports and the shared secret. */
export interface RadiusServerConfig {
  /** Label used in metrics (airlock_radius_*{server}) and results; never the secret. */
  name: string;
  /** UDP port of the authentication service (1812). */
  authPort: number;
  /** UDP port of the accounting service (1813). */
  acctPort: number;
  /** Shared secret (RFC 2865 §3; "radsec" over TLS, RFC 6614 §2.3); never logged. */
  secret: Buffer;
  /**
   * How requests reach it: UDP datagrams (default), or RadSec records over TLS connections
   * (RFC 6614) that the transactions ask the driver to open; then authPort and acctPort are
   * both the one TLS port.
   */
  transport?: 'udp' | 'tls';
}

/** The three exchanges the client runs. */
export type RadiusRequestKind = 'access' | 'accounting' | 'status';

/** What the client reports once per answered, timed-out or dropped exchange (the metrics hook). */
export interface RadiusResultReport {
  /** Server name (for a dropped datagram: the server the receiving socket belongs to). */
  server: string;
  /** Response code, 'timeout' (one server's retransmissions exhausted), or 'invalid' (a dropped datagram). */
  code: number | 'timeout' | 'invalid';
  /** First transmission to this server -> verified response, in milliseconds. */
  rttMs?: number;
  /** Why a datagram was dropped: 'truncated', 'unknown-id', 'unexpected-source', or the codec's VerifyErrorCode ('bad-response-authenticator', 'missing-message-authenticator', 'unexpected-code', 'length-overflow', ...). */
  reason?: string;
  /** Which exchange this is about ('status' = a Status-Server probe); absent for datagrams matching no request. */
  kind?: RadiusRequestKind;
  /** Where a dropped datagram came from (as the socket saw it: anyone can send to the client's port). */
  source?: { address: string; port: number };
}

/** MS-MPPE keys of an Access-Accept (RFC 2548 §2.4.2-3), decrypted. The caller owns (and wipes) them. */
export interface MppeKeys {
  /** MS-MPPE-Recv-Key: the first 32 octets of the MSK (the PMK for IEEE 802.11). */
  recv: Buffer;
  /** MS-MPPE-Send-Key: the second 32 octets of the MSK. */
  send: Buffer;
}

/** A verified answer to an Access-Request. */
export interface AccessResult {
  /** Access-Accept, Access-Reject or Access-Challenge. */
  code: number;
  /** The response's attributes (EAP-Message pieces as received): views of the datagram. */
  attributes: RadiusAttribute[];
  /** Name of the server that answered. */
  server: string;
  /** First transmission to that server -> verified response, in milliseconds. */
  rttMs: number;
  /** Decrypted with the Request Authenticator of the Access-Request that was answered; present only when both keys decrypt. */
  mppe?: MppeKeys;
  /** Why MS-MPPE keys present in the response did not decrypt (the response itself was authentic). */
  mppeError?: string;
  /**
   * The first Tunnel-Password of an Access-Accept (RFC 2868 §3.5), decrypted with the same
   * Request Authenticator: a per-station passphrase (hostapd's wpa_psk_radius). The caller
   * owns (and wipes) it.
   */
  tunnelPassword?: Buffer;
  /** Why a Tunnel-Password present in the response did not decrypt. */
  tunnelPasswordError?: string;
}

/** A verified answer to an Accounting-Request. */
export interface AccountingResult {
  /** Name of the server that answered. */
  server: string;
  /** First transmission to that server -> verified response, in milliseconds. */
  rttMs: number;
}

/** A verified answer: an AccessResult (an Accounting-Response has the same fields, without keys). */
export type RadiusAnswer = AccessResult;

/** How a request ended: a verified answer, or a failure. */
export type RadiusOutcome = Result<RadiusAnswer, RadiusFailure>;

/** Health of one server as the client sees it. */
export interface RadiusServerState {
  /** Server name. */
  name: string;
  /** False from failure detection until a verified answer (to a probe or a request). */
  alive: boolean;
  /** When it entered that state (the client's clock, ms): its start, or the last change. */
  sinceMs: number;
  /** Requests currently waiting on this server (probes excluded). */
  inFlight: number;
  /** Round-trip time of the last verified answer (requests and probes). */
  lastRttMs?: number;
  /** Smoothed round-trip time (RFC 6298 §2 SRTT, gain 1/8). */
  srttMs?: number;
  /** Identifier spaces towards this server: source ports over UDP, connections over RadSec. */
  sockets: number;
  /** Requests that got no answer from it (all retransmissions), since the client started. */
  timeouts: number;
  /** Since it was last marked dead: unanswered requests and Status-Server probes. */
  unansweredWhileDead: { requests: number; probes: number };
  /** RadSec servers only: connections open now, and opened (TLS established) since the client started. */
  connections?: { open: number; opened: number };
}

/** Options of one request. */
export interface RequestOptions {
  /**
   * A User-Password (RFC 2865 §5.2, at most 128 octets; Access-Request only): hidden with
   * the secret and the Request Authenticator of each server it is sent to. The caller owns
   * the buffer (and wipes it once the request completed).
   */
  userPassword?: Buffer;
  /** Whose share of the in-flight slots the request uses (default: one shared lane). */
  owner?: RequestOwner;
  /**
   * The EAP conversation it belongs to (Access-Request only; for example the station's
   * MAC): binds the conversation to the server answering its Access-Challenges, and a
   * newer request of the same conversation replaces one still waiting for a slot.
   */
  conversation?: string;
}

/** A datagram to send: to `port` of server number `server`, from its source port (socket) number `socket`. */
export interface OutgoingDatagram {
  server: number;
  socket: number;
  port: number;
  bytes: Buffer;
}

/**
 * What to do with a RadSec connection (connection number `socket` of server number
 * `server`): open it (TLS to the server's port), or close it. After a close the driver
 * reports nothing more of that connection.
 */
export type ConnectionCommand =
  | { type: 'connect'; server: number; socket: number }
  | { type: 'close'; server: number; socket: number; reason: string };

/** What the transactions tell their driver, in order. */
export type TransactionEvent<T> =
  /** A request ended: `tag` is the caller's, as given to submit(). */
  | { type: 'done'; tag: T; outcome: RadiusOutcome }
  /** One answer, server timeout or dropped datagram (metrics, health). */
  | { type: 'report'; report: RadiusResultReport }
  /** A server was marked dead, or alive again (every server starts alive); `previousForMs`: how long it was in the other state. */
  | { type: 'server-state'; server: string; alive: boolean; previousForMs: number }
  /** A RadSec connection opened (TLS established) or closed; `detail` says why it closed. */
  | { type: 'connection'; server: string; socket: number; open: boolean; detail: string };

/** Options of the transactions. */
export interface TransactionOptions {
  /** Servers in priority order: servers[0] is the primary. */
  servers: readonly RadiusServerConfig[];
  /** The clock at creation (every server is alive since then). */
  now: number;
  /** Source of Request Authenticators and first Identifiers (a CSPRNG). */
  random: (n: number) => Buffer;
  /** First retransmission timeout in ms (default 1000). */
  timeoutMs?: number;
  /** Retransmissions per server of one request (default 2). */
  maxRetransmits?: number;
  /** Timeout multiplier per retransmission (default 2). */
  backoff?: number;
  /** RFC 5080's MRT: cap of the backed-off timeout in ms (default 8000, or timeoutMs when larger). */
  maxTimeoutMs?: number;
  /** A server with no answer for this long after the first unanswered transmission is marked dead (default 5000). */
  deadAfterMs?: number;
  /** Interval of Status-Server probes to a dead server (default 5000). */
  probeIntervalMs?: number;
  /** Requests outstanding at once (default 4096); more wait, shared out fairly (fair-queue.ts). */
  maxInFlight?: number;
  /** Requests waiting at once (default 4 x maxInFlight). */
  maxQueued?: number;
  /** Conversations remembered at once (default 65536, at least maxInFlight + maxQueued); the oldest idle ones go first. */
  maxConversations?: number;
  /** RadSec: the wait before the next attempt after a failed one (default 1000); doubles per failure in a row. */
  reconnectMinMs?: number;
  /** RadSec: cap of the wait between attempts (default 30000). */
  reconnectMaxMs?: number;
  /** RadSec: an attempt not established (TCP and TLS) within this is given up (default 5000). */
  connectTimeoutMs?: number;
  /** RadSec: an open connection with no verified answer for this long gets a Status-Server watchdog (default 20000). */
  watchdogIdleMs?: number;
}

const DEFAULTS = {
  timeoutMs: 1000,
  maxRetransmits: 2,
  backoff: 2,
  maxTimeoutMs: 8000,
  deadAfterMs: 5000,
  probeIntervalMs: 5000,
  maxInFlight: 4096,
  maxConversations: 65536,
  reconnectMinMs: 1000,
  reconnectMaxMs: 30_000,
  connectTimeoutMs: 5000,
  // Below the 30 s idle timeout of FreeRADIUS's sample RadSec listener, so that the
  // watchdog also keeps such a connection open.
  watchdogIdleMs: 20_000,
} as const;

/** Lanes of the fair queue: Access-Requests and Accounting-Requests never share one. */
const LANE_ACCESS = 0;
const LANE_ACCOUNTING = 1;
/** The lane of requests that name no owner. */
const NO_OWNER: RequestOwner = { agent: '', bss: '' };
const NO_OPTIONS: RequestOptions = {};
const NOTHING = Buffer.alloc(0);
/** RFC 2866 §5.2 Acct-Delay-Time. */
const ACCT_DELAY_TIME: number = Attr.AcctDelayTime;
/** Attributes of a request beyond the caller's: Message-Authenticator (18), a hidden User-Password (up to 130), Acct-Delay-Time (6). */
const ADDED_OCTETS = 18 + 130;
/** Conversations looked at per new one when over the cap. */
const EVICTION_SCAN = 16;

/**
 * Timeout before retransmission number `n` (0 = wait after the first transmission):
 * `timeoutMs * backoff^n`, capped at `maxTimeoutMs`.
 */
export function retransmitTimeout(n: number, timeoutMs: number, backoff: number, maxTimeoutMs: number): number {
  return Math.min(timeoutMs * Math.pow(backoff, n), maxTimeoutMs);
}

/**
 * Timeout budget of one request on one server: what the whole RFC 5080 schedule waits (the
 * first transmission and `maxRetransmits` retransmissions). Over RadSec there is nothing to
 * retransmit on a connection, so a request waits this once.
 */
export function timeoutBudget(maxRetransmits: number, timeoutMs: number, backoff: number, maxTimeoutMs: number): number {
  let sum = 0;
  for (let n = 0; n <= maxRetransmits; n++) sum += retransmitTimeout(n, timeoutMs, backoff, maxTimeoutMs);
  return sum;
}

/** One Identifier space: a source port of the client towards one server, or one RadSec connection. */
interface IdentifierSpace<T> {
  readonly index: number;
  readonly ids: IdentifierTable<Transaction<T>>;
  /** RadSec: the connection carrying this space (undefined over UDP). */
  readonly conn: RadsecConnection<T> | undefined;
}

/** A RadSec connection as the transactions see it: its state and its clocks. */
interface RadsecConnection<T> {
  state: 'closed' | 'connecting' | 'open';
  /** Attempts in a row that failed, or closed before a verified answer arrived. */
  failures: number;
  /** No attempt before this (the backoff after a failure). */
  retryAt: number;
  /** When tick() opens it again (undefined: nothing wants it). */
  reconnectAt: number | undefined;
  /** While connecting: when the attempt is given up. */
  connectDeadline: number | undefined;
  /** The last verified answer on the current connection, or when it opened. */
  heardAt: number;
  /** Verified answers on the current connection. */
  answered: number;
  /** The Status-Server watchdog waiting for its answer, if any. */
  watchdog: Transaction<T> | undefined;
  /** Connections established so far. */
  opened: number;
}

interface ServerState<T> {
  readonly index: number;
  readonly config: RadiusServerConfig;
  /** RadSec: its spaces are connections. */
  readonly stream: boolean;
  /** Where its answers must come from (set by the driver once resolved). */
  address: string | undefined;
  alive: boolean;
  sinceMs: number;
  readonly spaces: IdentifierSpace<T>[];
  /** Requests (not probes) holding an Identifier on this server. */
  inFlight: number;
  lastRttMs: number | undefined;
  srttMs: number | undefined;
  timeouts: number;
  deadTimeouts: number;
  deadProbes: number;
  /** Armed by the first transmission after the last answer: then it is marked dead. */
  deadAt: number | undefined;
  /** While dead: the next Status-Server probe. */
  probeAt: number | undefined;
  /** The probe waiting for its answer, if any. */
  probe: Transaction<T> | undefined;
}

/** An EAP conversation (RFC 3579 §2.6.1): the server holding its State, and its requests. */
interface Conversation<T> {
  readonly key: string;
  /** The server that answered its last Access-Challenge. */
  server: ServerState<T> | undefined;
  /** Its request waiting for a slot, if any (a newer one takes its place). */
  waiting: Transaction<T> | undefined;
  /** Its requests waiting or in flight. */
  active: number;
}

/** A caller's request, across the servers it is tried on, or a Status-Server probe. */
class Transaction<T> implements QueueEntry<Transaction<T>>, Timed<Transaction<T>> {
  readonly tried: ServerState<T>[] = [];
  /** Its stay on one server: one Identifier, one Request Authenticator, one set of bytes. */
  server: ServerState<T> | undefined = undefined;
  space: IdentifierSpace<T> | undefined = undefined;
  id = -1;
  requestAuthenticator: Buffer = NOTHING;
  bytes: Buffer = NOTHING;
  port = 0;
  firstSentAt = 0;
  sent = 0;
  /** RadSec: written to the connection now open (false while it waits for one). */
  onWire = false;
  /** RadSec: written on this server at least once (firstSentAt is that first write). */
  written = false;
  // Timed
  deadline = 0;
  timerPrev: Transaction<T> | undefined = undefined;
  timerNext: Transaction<T> | undefined = undefined;
  timerList: TimeoutList<Transaction<T>> | undefined = undefined;
  // QueueEntry
  queueBss: BssFifo<Transaction<T>> | undefined = undefined;
  holdsSlot = false;
  waitPrev: Transaction<T> | undefined = undefined;
  waitNext: Transaction<T> | undefined = undefined;
  done = false;

  constructor(
    readonly kind: RadiusRequestKind,
    public tag: T | undefined,
    public attributes: readonly RadiusAttribute[],
    public userPassword: Buffer | undefined,
    public createdAt: number,
    /** An Access-Request carrying State: it continues an EAP conversation. */
    public continues: boolean,
    public conversation: Conversation<T> | undefined,
  ) {}
}

/** The caller's options with the defaults filled in. */
type Settings = Required<Omit<TransactionOptions, 'servers' | 'now' | 'random'>>;

/**
 * RADIUS client transactions (see the file header): submit requests, hand over datagrams,
 * tick at nextDeadline(); send what pollTransmit() returns and act on pollEvent().
 * `T` is the caller's tag of a request, returned with its completion.
 */
export class RadiusTransactions<T> {
  private readonly s: Settings;
  private readonly random: (n: number) => Buffer;
  private readonly servers: ServerState<T>[];
  private readonly queue: FairQueue<Transaction<T>>;
  private readonly conversations = new Map<string, Conversation<T>>();
  /** One list per retransmission step (their waits differ), then the probes' list. */
  private readonly timeouts: TimeoutList<Transaction<T>>[];
  private readonly waits: number[];
  /** RadSec requests and watchdogs: each waits the whole budget once. */
  private readonly streamTimeouts = new TimeoutList<Transaction<T>>();
  private readonly budget: number;
  private readonly outgoing = new PollQueue<OutgoingDatagram>();
  private readonly commands = new PollQueue<ConnectionCommand>();
  private readonly events = new PollQueue<TransactionEvent<T>>();
  private lastNow: number;
  private pumping = false;
  private closed = false;

  /** Validates the options; throws TypeError on a programmer error (no servers, empty secret, bad port or timing). */
  constructor(opts: TransactionOptions) {
    if (opts.servers.length === 0) throw new TypeError('RADIUS client: at least one server is required');
    const names = new Set<string>();
    for (const s of opts.servers) {
      if (s.secret.length === 0) throw new TypeError(`RADIUS client: server ${s.name} has an empty secret`);
      for (const p of [s.authPort, s.acctPort]) {
        if (!Number.isInteger(p) || p < 1 || p > 65535) throw new TypeError(`RADIUS client: server ${s.name} has a bad port ${p}`);
      }
      if (names.has(s.name)) throw new TypeError(`RADIUS client: duplicate server name ${s.name}`);
      if (s.transport !== undefined && s.transport !== 'udp' && s.transport !== 'tls') throw new TypeError(`RADIUS client: server ${s.name} has an unknown transport ${String(s.transport)}`);
      names.add(s.name);
    }
    const timeoutMs = opts.timeoutMs ?? DEFAULTS.timeoutMs;
    const maxInFlight = opts.maxInFlight ?? DEFAULTS.maxInFlight;
    const maxQueued = opts.maxQueued ?? 4 * maxInFlight;
    this.s = {
      timeoutMs,
      maxRetransmits: opts.maxRetransmits ?? DEFAULTS.maxRetransmits,
      backoff: opts.backoff ?? DEFAULTS.backoff,
      // RFC 5080 §2.2.1's MRT, never below the first timeout.
      maxTimeoutMs: opts.maxTimeoutMs ?? Math.max(DEFAULTS.maxTimeoutMs, timeoutMs),
      deadAfterMs: opts.deadAfterMs ?? DEFAULTS.deadAfterMs,
      probeIntervalMs: opts.probeIntervalMs ?? DEFAULTS.probeIntervalMs,
      maxInFlight,
      maxQueued,
      maxConversations: Math.max(opts.maxConversations ?? DEFAULTS.maxConversations, maxInFlight + maxQueued),
      reconnectMinMs: opts.reconnectMinMs ?? DEFAULTS.reconnectMinMs,
      reconnectMaxMs: opts.reconnectMaxMs ?? Math.max(DEFAULTS.reconnectMaxMs, opts.reconnectMinMs ?? 0),
      connectTimeoutMs: opts.connectTimeoutMs ?? DEFAULTS.connectTimeoutMs,
      watchdogIdleMs: opts.watchdogIdleMs ?? DEFAULTS.watchdogIdleMs,
    };
    const s = this.s;
    if (!(s.timeoutMs > 0) || !(s.backoff >= 1) || !(s.maxTimeoutMs >= s.timeoutMs)) {
      throw new TypeError('RADIUS client: need timeoutMs > 0, backoff >= 1, maxTimeoutMs >= timeoutMs');
    }
    if (!Number.isInteger(s.maxRetransmits) || s.maxRetransmits < 0) throw new TypeError('RADIUS client: maxRetransmits must be an integer >= 0');
    if (!(s.maxInFlight >= 1)) throw new TypeError('RADIUS client: maxInFlight must be >= 1');
    if (!(s.maxQueued >= 0)) throw new TypeError('RADIUS client: maxQueued must be >= 0');
    if (!(s.deadAfterMs > 0) || !(s.probeIntervalMs > 0)) throw new TypeError('RADIUS client: need deadAfterMs > 0 and probeIntervalMs > 0');
    if (!(s.reconnectMinMs > 0) || !(s.reconnectMaxMs >= s.reconnectMinMs) || !(s.connectTimeoutMs > 0) || !(s.watchdogIdleMs > 0)) {
      throw new TypeError('RADIUS client: need reconnectMinMs > 0, reconnectMaxMs >= reconnectMinMs, connectTimeoutMs > 0 and watchdogIdleMs > 0');
    }
    this.random = opts.random;
    this.lastNow = opts.now;
    this.queue = new FairQueue(s.maxInFlight, s.maxQueued);
    this.waits = [];
    for (let n = 0; n <= s.maxRetransmits; n++) this.waits.push(retransmitTimeout(n, s.timeoutMs, s.backoff, s.maxTimeoutMs));
    // A probe is never retransmitted: it waits one timeout, and never past the next probe.
    this.waits.push(Math.min(s.timeoutMs, s.probeIntervalMs));
    this.timeouts = this.waits.map(() => new TimeoutList<Transaction<T>>());
    this.budget = timeoutBudget(s.maxRetransmits, s.timeoutMs, s.backoff, s.maxTimeoutMs);
    this.servers = opts.servers.map((config, index) => ({
      index,
      config,
      stream: config.transport === 'tls',
      address: undefined,
      alive: true,
      sinceMs: opts.now,
      spaces: [],
      inFlight: 0,
      lastRttMs: undefined,
      srttMs: undefined,
      timeouts: 0,
      deadTimeouts: 0,
      deadProbes: 0,
      deadAt: undefined,
      probeAt: undefined,
      probe: undefined,
    }));
  }

  /** The address answers of server number `server` must come from (once resolved). */
  setServerAddress(server: number, address: string): void {
    const s = this.servers[server];
    if (s !== undefined) s.address = address;
  }

  /**
   * A request. It completes with a 'done' event carrying `tag`: a verified answer, or a
   * failure (refused at once when the client is closed, the queue is full or the request
   * cannot be encoded). A User-Password goes in `options`, never in `attributes`.
   */
  submit(kind: 'access' | 'accounting', attributes: readonly RadiusAttribute[], options: RequestOptions | undefined, tag: T, now: number): void {
    now = this.clock(now);
    const o = options ?? NO_OPTIONS;
    const userPassword = kind === 'access' ? o.userPassword : undefined;
    const tx = new Transaction<T>(kind, tag, attributes, userPassword, now, false, undefined);
    if (this.closed) return this.fail(tx, 'closed', 'the RADIUS client is closed');
    const problem = encodingProblem(attributes, userPassword);
    if (problem !== undefined) return this.fail(tx, 'unencodable', problem);
    if (kind === 'access') {
      tx.continues = hasState(attributes);
      if (o.conversation !== undefined) {
        const conv = this.conversation(o.conversation);
        const waiting = conv.waiting;
        if (waiting !== undefined) {
          // The station restarted or moved on while its last request waited: the newer
          // request takes the older one's place in the queue, and the older one ends.
          const oldTag = waiting.tag as T;
          waiting.tag = tag;
          waiting.attributes = attributes;
          waiting.userPassword = userPassword;
          waiting.createdAt = now;
          waiting.continues = tx.continues;
          this.emit({ type: 'done', tag: oldTag, outcome: failure('superseded', [], 'a newer request of the same conversation took its place') });
          return;
        }
        tx.conversation = conv;
        conv.active++;
      }
    }
    this.admit(tx, kind === 'access' ? LANE_ACCESS : LANE_ACCOUNTING, o.owner ?? NO_OWNER, now);
  }

  /**
   * A datagram that arrived on source port (socket) number `socket` of server number
   * `server`, from `source` (over RadSec: one record of connection number `socket`, from the
   * connection's peer). Anything that does not verify as the answer to a request in flight
   * there is dropped and reported ('invalid', with the reason); never throws.
   */
  handle(datagram: Buffer, server: number, socket: number, source: { address: string; port: number }, now: number): void {
    now = this.clock(now);
    const s = this.servers[server];
    if (s === undefined || this.closed) return;
    if (datagram.length < RADIUS_HEADER_LENGTH) return this.invalid(s, 'truncated', undefined, source);
    const space = s.spaces[socket];
    const tx = space?.ids.get(datagram[1]);
    // Over RadSec only a request written to this connection can be answered on it.
    if (tx === undefined || tx.done || (space?.conn !== undefined && !tx.onWire)) return this.invalid(s, 'unknown-id', undefined, source);
    if ((s.address !== undefined && source.address !== s.address) || source.port !== tx.port) {
      return this.invalid(s, 'unexpected-source', tx.kind, source);
    }
    const requestCode = tx.kind === 'access' ? RadiusCode.AccessRequest : tx.kind === 'accounting' ? RadiusCode.AccountingRequest : RadiusCode.StatusServer;
    const verified = verifyResponse(datagram, { identifier: tx.id, authenticator: tx.requestAuthenticator, code: requestCode }, s.config.secret);
    if (!verified.ok) return this.invalid(s, verified.error.code, tx.kind, source);
    const packet = verified.value;
    const rttMs = now - tx.firstSentAt;
    s.lastRttMs = rttMs;
    s.srttMs = s.srttMs === undefined ? rttMs : s.srttMs + (rttMs - s.srttMs) / 8;
    const conn = space?.conn;
    if (conn !== undefined) {
      conn.heardAt = now;
      conn.answered++;
      conn.failures = 0;
    }
    this.markAlive(s, now);
    this.emit({ type: 'report', report: { server: s.config.name, code: packet.code, rttMs, kind: tx.kind } });
    if (tx.kind === 'status') return this.endProbe(tx);
    const outcome: RadiusOutcome = tx.kind === 'access'
      ? this.accessOutcome(tx, s, packet, rttMs)
      : { ok: true, value: { code: packet.code, attributes: packet.attributes, server: s.config.name, rttMs } };
    this.settle(tx, outcome);
  }

  /**
   * RadSec: opens the first connection of every TLS server (the driver calls this once the
   * server addresses are known), so that the first request does not wait for a handshake
   * and a server that cannot be reached is known dead before it is needed.
   */
  openConnections(now: number): void {
    now = this.clock(now);
    if (this.closed) return;
    for (const s of this.servers) {
      if (!s.stream) continue;
      if (s.spaces.length === 0) this.newSpace(s);
      this.reconnectIfWanted(s, s.spaces[0], now);
    }
  }

  /** RadSec: connection number `socket` of server number `server` is established (TCP and TLS): what waits for it is sent. */
  connectionOpened(server: number, socket: number, now: number): void {
    now = this.clock(now);
    const s = this.servers[server];
    const space = s?.spaces[socket];
    const conn = space?.conn;
    if (s === undefined || space === undefined || conn === undefined || conn.state !== 'connecting' || this.closed) return;
    conn.state = 'open';
    conn.connectDeadline = undefined;
    conn.heardAt = now;
    conn.answered = 0;
    conn.opened++;
    this.emit({ type: 'connection', server: s.config.name, socket, open: true, detail: conn.opened === 1 ? 'connected' : `reconnected (connection ${conn.opened})` });
    // Requests and probes that waited, and requests whose previous connection closed under
    // them: the same bytes, once, on this connection.
    for (const tx of space.ids.entries()) if (!tx.onWire) this.writeRecord(tx, space, now);
  }

  /**
   * RadSec: connection number `socket` of server number `server` closed, or its attempt
   * failed (`detail` in words: a TLS error, the peer's close). `reason` names a protocol
   * violation that made the driver drop it (a FramingErrorCode), reported as 'invalid'.
   */
  connectionClosed(server: number, socket: number, now: number, detail: string, reason?: string, source?: { address: string; port: number }): void {
    now = this.clock(now);
    const s = this.servers[server];
    const space = s?.spaces[socket];
    if (s === undefined || space?.conn === undefined || space.conn.state === 'closed' || this.closed) return;
    if (reason !== undefined) this.invalid(s, reason, undefined, source ?? { address: s.address ?? '', port: s.config.authPort });
    this.lost(s, space, now, detail);
  }

  /** Advances time: retransmissions, failovers, dead marking, probes and RadSec connections due by `now`. */
  tick(now: number): void {
    now = this.clock(now);
    if (this.closed) return;
    const probes = this.timeouts.length - 1;
    for (let i = 0; i < this.timeouts.length; i++) {
      const list = this.timeouts[i];
      for (let tx = list.head; tx !== undefined && tx.deadline <= now; tx = list.head) {
        list.remove(tx);
        if (i === probes) this.probeUnanswered(tx);
        else this.retransmitOrMove(tx, now);
      }
    }
    for (let tx = this.streamTimeouts.head; tx !== undefined && tx.deadline <= now; tx = this.streamTimeouts.head) {
      this.streamTimeouts.remove(tx);
      if (tx.kind === 'status') this.watchdogUnanswered(tx, now);
      else this.moveOn(tx, now);
    }
    for (const s of this.servers) {
      if (s.deadAt !== undefined && s.deadAt <= now) this.markDead(s, now);
      if (s.probeAt !== undefined && s.probeAt <= now) this.probe(s, now);
      if (s.stream) for (const space of s.spaces) this.tickConnection(s, space, now);
    }
  }

  /** When tick() has work next (the caller's clock), or undefined when nothing is timed. */
  nextDeadline(): number | undefined {
    let at = Infinity;
    for (const list of this.timeouts) {
      const head = list.head;
      if (head !== undefined && head.deadline < at) at = head.deadline;
    }
    const streamHead = this.streamTimeouts.head;
    if (streamHead !== undefined && streamHead.deadline < at) at = streamHead.deadline;
    for (const s of this.servers) {
      if (s.deadAt !== undefined && s.deadAt < at) at = s.deadAt;
      if (s.probeAt !== undefined && s.probeAt < at) at = s.probeAt;
      if (!s.stream) continue;
      for (const space of s.spaces) {
        const due = this.connectionDeadline(s, space);
        if (due !== undefined && due < at) at = due;
      }
    }
    return at === Infinity ? undefined : at;
  }

  /** RadSec: the next connection command, in order; undefined when none is left. Carry them out after sending what pollTransmit() returned. */
  pollConnection(): ConnectionCommand | undefined {
    return this.commands.poll();
  }

  /** The next datagram to send, in order; undefined when none is left. */
  pollTransmit(): OutgoingDatagram | undefined {
    return this.outgoing.poll();
  }

  /** The next event, in order; undefined when none is left. */
  pollEvent(): TransactionEvent<T> | undefined {
    return this.events.poll();
  }

  /**
   * The conversation `key` is over (its station left): a request of it still waiting for a
   * slot ends ('withdrawn'), its server binding goes, and answers to its requests in flight
   * bind nothing.
   */
  forget(key: string): void {
    const conv = this.conversations.get(key);
    if (conv === undefined) return;
    this.conversations.delete(key);
    conv.server = undefined;
    const waiting = conv.waiting;
    if (waiting !== undefined) this.settle(waiting, failure('withdrawn', [], 'its conversation was forgotten while it waited'));
  }

  /** Ends every request ('closed') and refuses new ones; probes stop. Idempotent. */
  close(): void {
    if (this.closed) return;
    this.closed = true;
    for (const tx of this.queue.waitingEntries()) this.settle(tx, failure('closed', tx.tried, 'the RADIUS client was closed'));
    for (const s of this.servers) {
      for (const space of s.spaces) {
        for (const tx of space.ids.entries()) {
          if (tx.kind === 'status') this.endProbe(tx);
          else this.settle(tx, failure('closed', tx.tried, 'the RADIUS client was closed'));
        }
      }
      s.deadAt = undefined;
      s.probeAt = undefined;
      for (const space of s.spaces) {
        const conn = space.conn;
        if (conn === undefined) continue;
        if (conn.state !== 'closed') this.commands.push({ type: 'close', server: s.index, socket: space.index, reason: 'the RADIUS client was closed' });
        conn.state = 'closed';
        conn.reconnectAt = undefined;
        conn.connectDeadline = undefined;
      }
    }
    this.conversations.clear();
  }

  /** Each server's state, in priority order. */
  serverStates(): RadiusServerState[] {
    return this.servers.map((s) => ({
      name: s.config.name,
      alive: s.alive,
      sinceMs: s.sinceMs,
      inFlight: s.inFlight,
      ...(s.lastRttMs !== undefined ? { lastRttMs: s.lastRttMs } : {}),
      ...(s.srttMs !== undefined ? { srttMs: s.srttMs } : {}),
      sockets: s.spaces.length,
      timeouts: s.timeouts,
      unansweredWhileDead: { requests: s.deadTimeouts, probes: s.deadProbes },
      ...(s.stream ? { connections: connectionCounts(s.spaces) } : {}),
    }));
  }

  /** Whether pollEvent() has something. */
  get hasEvents(): boolean {
    return this.events.pending;
  }

  /** Requests waiting for a slot. */
  get queued(): number {
    return this.queue.waiting;
  }

  /** Requests not yet completed (in flight or waiting). */
  get pending(): number {
    return this.queue.inFlight + this.queue.waiting;
  }

  /** Conversations remembered (tests: bounded by the stations that have one). */
  get conversationCount(): number {
    return this.conversations.size;
  }

  // ---- requests ---------------------------------------------------------------------

  /** Time never runs backwards here: an earlier `now` counts as the latest seen. */
  private clock(now: number): number {
    if (now > this.lastNow) this.lastNow = now;
    return this.lastNow;
  }

  private conversation(key: string): Conversation<T> {
    let conv = this.conversations.get(key);
    if (conv !== undefined) return conv;
    conv = { key, server: undefined, waiting: undefined, active: 0 };
    this.conversations.set(key, conv);
    if (this.conversations.size > this.s.maxConversations) this.evictConversations();
    return conv;
  }

  /** Forgets up to a few of the oldest conversations with nothing in flight (their bindings only). */
  private evictConversations(): void {
    let looked = 0;
    for (const conv of this.conversations.values()) {
      if (this.conversations.size <= this.s.maxConversations || looked++ >= EVICTION_SCAN) return;
      if (conv.active === 0) this.conversations.delete(conv.key);
    }
  }

  /** A new request takes a slot, waits, displaces the newest of a longer lane, or is refused. */
  private admit(tx: Transaction<T>, lane: number, owner: RequestOwner, now: number): void {
    let entered = this.queue.enter(tx, lane, owner);
    if (entered === 'full') {
      const victim = this.queue.victimFor(lane, owner);
      if (victim !== undefined) {
        this.settle(victim, failure('in-flight-cap', [], `the queue was full (${this.s.maxQueued} waiting); a request of a shorter lane took its place`));
        entered = this.queue.enter(tx, lane, owner);
      }
    }
    switch (entered) {
      case 'granted':
        this.nextServer(tx, now);
        return;
      case 'queued':
        if (tx.conversation !== undefined) tx.conversation.waiting = tx;
        return;
      case 'full':
        this.settle(tx, failure('in-flight-cap', [], `${this.s.maxInFlight} requests in flight and ${this.queue.waiting} waiting`));
        return;
      default: {
        const never: never = entered;
        throw new Error(`unknown queue outcome ${String(never)}`);
      }
    }
  }

  /** Starts waiting requests while slots are free (a nested call leaves it to the outer loop). */
  private pump(now: number): void {
    if (this.pumping || this.closed) return;
    this.pumping = true;
    try {
      for (let tx = this.queue.next(); tx !== undefined; tx = this.queue.next()) {
        if (tx.conversation?.waiting === tx) tx.conversation.waiting = undefined;
        this.nextServer(tx, now);
      }
    } finally {
      this.pumping = false;
    }
  }

  /**
   * Moves a request to the best server it has not tried: the one holding its conversation
   * while alive, then alive ones in priority order, then dead ones. None left: 'timeout'.
   */
  private nextServer(tx: Transaction<T>, now: number): void {
    let next: ServerState<T> | undefined;
    const held = tx.continues ? tx.conversation?.server : undefined;
    if (held !== undefined && held.alive && !tx.tried.includes(held)) next = held;
    for (const s of this.servers) {
      if (next !== undefined) break;
      if (s.alive && !tx.tried.includes(s)) next = s;
    }
    for (const s of this.servers) {
      if (next !== undefined) break;
      if (!tx.tried.includes(s)) next = s;
    }
    if (next === undefined) {
      if (tx.conversation !== undefined) tx.conversation.server = undefined;
      this.settle(tx, failure('timeout', tx.tried, `no valid answer from ${tx.tried.map((s) => s.config.name).join(', ')}`));
      return;
    }
    tx.tried.push(next);
    this.takeIdentifier(tx, next);
    next.inFlight++;
    const secret = next.config.secret;
    try {
      if (tx.kind === 'access') {
        tx.requestAuthenticator = this.random(16);
        // RFC 2865 §5.2: the hidden User-Password depends on this server's secret and this
        // transmission's Request Authenticator, so it is made here, for each server tried.
        const attributes = tx.userPassword === undefined ? tx.attributes : [...tx.attributes, { type: Attr.UserPassword, value: hideUserPassword(tx.userPassword, secret, tx.requestAuthenticator) }];
        tx.bytes = buildAccessRequest({ identifier: tx.id, requestAuthenticator: tx.requestAuthenticator, attributes, secret });
      } else {
        const attributes = tx.tried.length > 1 ? withAcctDelay(tx.attributes, now - tx.createdAt) : tx.attributes;
        tx.bytes = buildAccountingRequest({ identifier: tx.id, attributes, secret });
        tx.requestAuthenticator = tx.bytes.subarray(4, RADIUS_HEADER_LENGTH);
      }
    } catch (e) {
      // encodingProblem() let through something the codec refuses: a bug, but this request's alone.
      this.settle(tx, failure('unencodable', tx.tried, e instanceof Error ? e.message : String(e)));
      return;
    }
    tx.firstSentAt = now;
    tx.sent = 0;
    this.transmit(tx, now);
  }

  /** An Identifier of `server` for `tx`, on a new source port when every one is taken. */
  private takeIdentifier(tx: Transaction<T>, server: ServerState<T>): void {
    tx.server = server;
    tx.port = tx.kind === 'accounting' ? server.config.acctPort : server.config.authPort;
    for (const space of server.spaces) {
      const id = space.ids.take(tx);
      if (id === undefined) continue;
      tx.space = space;
      tx.id = id;
      return;
    }
    const space = this.newSpace(server);
    tx.space = space;
    tx.id = space.ids.take(tx)!;
  }

  /** A new Identifier space of `server`: a source port, or (RadSec) a connection, opened when first needed. */
  private newSpace(server: ServerState<T>): IdentifierSpace<T> {
    // A random first Identifier per space, so that a restarted client does not replay the
    // (source port, Identifier) pairs of its previous run in the same order.
    const ids = new IdentifierTable<Transaction<T>>(this.random(1)[0] ?? 0);
    const conn: RadsecConnection<T> | undefined = server.stream
      ? { state: 'closed', failures: 0, retryAt: -Infinity, reconnectAt: undefined, connectDeadline: undefined, heardAt: 0, answered: 0, watchdog: undefined, opened: 0 }
      : undefined;
    const space: IdentifierSpace<T> = { index: server.spaces.length, ids, conn };
    server.spaces.push(space);
    return space;
  }

  /** Sends (or resends the same bytes of) a transmission and arms its timeout. */
  private transmit(tx: Transaction<T>, now: number): void {
    const server = tx.server!;
    if (server.stream) return this.transmitOnStream(tx, server, now);
    const step = tx.kind === 'status' ? this.waits.length - 1 : tx.sent;
    tx.sent++;
    this.timeouts[step].push(tx, now + this.waits[step]);
    if (tx.kind !== 'status' && server.alive && server.deadAt === undefined) server.deadAt = now + this.s.deadAfterMs;
    this.outgoing.push({ server: server.index, socket: tx.space!.index, port: tx.port, bytes: tx.bytes });
  }

  /**
   * RadSec: a request is never retransmitted on a connection (RFC 6613, RFC 5080 §2.2.1): it
   * waits the whole budget once. Written now if its connection is open, else when it opens.
   */
  private transmitOnStream(tx: Transaction<T>, server: ServerState<T>, now: number): void {
    const space = tx.space!;
    tx.sent++;
    if (tx.kind === 'status' && server.probe === tx) this.timeouts[this.waits.length - 1].push(tx, now + this.waits[this.waits.length - 1]);
    else this.streamTimeouts.push(tx, now + this.budget);
    if (tx.kind !== 'status' && server.alive && server.deadAt === undefined) server.deadAt = now + this.s.deadAfterMs;
    if (space.conn!.state === 'open') this.writeRecord(tx, space, now);
    else this.reconnectIfWanted(server, space, now);
  }

  /** RadSec: the bytes of `tx` onto its open connection (its RTT counts from the first write on this server). */
  private writeRecord(tx: Transaction<T>, space: IdentifierSpace<T>, now: number): void {
    if (!tx.written) {
      tx.written = true;
      tx.firstSentAt = now;
    }
    tx.onWire = true;
    this.outgoing.push({ server: tx.server!.index, socket: space.index, port: tx.port, bytes: tx.bytes });
  }

  // ---- RadSec connections --------------------------------------------------------------

  /**
   * Opens a closed connection that something needs: its waiting requests and probes, or
   * (the first connection of an alive server) keeping it open. Not before its backoff ends:
   * then tick() opens it (RFC 6614 bis drafts: no reconnection right after a failed attempt;
   * a new request does not hurry one).
   */
  private reconnectIfWanted(server: ServerState<T>, space: IdentifierSpace<T>, now: number): void {
    const conn = space.conn!;
    if (conn.state !== 'closed' || this.closed) return;
    const wanted = space.ids.size > 0 || (space.index === 0 && server.alive);
    if (!wanted) {
      conn.reconnectAt = undefined;
      return;
    }
    if (conn.retryAt > now) {
      conn.reconnectAt = conn.retryAt;
      return;
    }
    conn.state = 'connecting';
    conn.reconnectAt = undefined;
    conn.connectDeadline = now + this.s.connectTimeoutMs;
    this.commands.push({ type: 'connect', server: server.index, socket: space.index });
  }

  /**
   * A connection closed, or its attempt failed. What was written on it waits for the next
   * one. An attempt that failed marks the server dead (as RFC 3539 fails over), and its requests
   * that have an alive server left to try move there now; the others wait for the next
   * connection within their budget.
   */
  private lost(server: ServerState<T>, space: IdentifierSpace<T>, now: number, detail: string): void {
    const conn = space.conn!;
    const attemptFailed = conn.state === 'connecting';
    const answered = conn.state === 'open' && conn.answered > 0;
    conn.state = 'closed';
    conn.connectDeadline = undefined;
    this.emit({ type: 'connection', server: server.config.name, socket: space.index, open: false, detail });
    const watchdog = conn.watchdog;
    if (watchdog !== undefined) this.endProbe(watchdog); // its answer can no longer come
    for (const tx of space.ids.entries()) tx.onWire = false;
    conn.failures = answered ? 0 : conn.failures + 1;
    conn.retryAt = now + reconnectDelay(conn.failures, this.s.reconnectMinMs, this.s.reconnectMaxMs);
    if (attemptFailed) {
      this.markDead(server, now);
      for (const tx of space.ids.entries()) {
        if (tx.kind === 'status') {
          if (server.probe === tx) this.probeUnanswered(tx);
        } else if (this.hasAliveUntried(tx)) {
          this.moveOn(tx, now);
        }
      }
    }
    this.reconnectIfWanted(server, space, now);
  }

  /** Due by `now` on one connection: its attempt's deadline, its reconnection, its watchdog. */
  private tickConnection(server: ServerState<T>, space: IdentifierSpace<T>, now: number): void {
    const conn = space.conn!;
    switch (conn.state) {
      case 'connecting':
        if (conn.connectDeadline !== undefined && conn.connectDeadline <= now) {
          this.commands.push({ type: 'close', server: server.index, socket: space.index, reason: 'connect timeout' });
          this.lost(server, space, now, `not established within ${this.s.connectTimeoutMs} ms`);
        }
        return;
      case 'closed':
        if (conn.reconnectAt !== undefined && conn.reconnectAt <= now) {
          conn.reconnectAt = undefined;
          this.reconnectIfWanted(server, space, now);
        }
        return;
      case 'open':
        if (conn.watchdog === undefined && server.probe?.space !== space && conn.heardAt + this.s.watchdogIdleMs <= now) this.watchdog(server, space, now);
        return;
      default: {
        const never: never = conn.state;
        throw new Error(`unknown connection state ${String(never)}`);
      }
    }
  }

  /** When tickConnection() has work on this connection, if ever. */
  private connectionDeadline(server: ServerState<T>, space: IdentifierSpace<T>): number | undefined {
    const conn = space.conn!;
    switch (conn.state) {
      case 'connecting':
        return conn.connectDeadline;
      case 'closed':
        return conn.reconnectAt;
      case 'open':
        return conn.watchdog === undefined && server.probe?.space !== space ? conn.heardAt + this.s.watchdogIdleMs : undefined;
      default: {
        const never: never = conn.state;
        throw new Error(`unknown connection state ${String(never)}`);
      }
    }
  }

  /**
   * The watchdog (RFC 6614 §2.6, RFC 3539 style, with Status-Server): an open connection that
   * has carried no verified answer for watchdogIdleMs gets a Status-Server of its own.
   */
  private watchdog(server: ServerState<T>, space: IdentifierSpace<T>, now: number): void {
    const conn = space.conn!;
    const tx = new Transaction<T>('status', undefined, [], undefined, now, false, undefined);
    const id = space.ids.take(tx);
    if (id === undefined) {
      // 256 requests outstanding on it: not idle; their own budgets watch the server.
      conn.heardAt = now;
      return;
    }
    tx.server = server;
    tx.space = space;
    tx.id = id;
    tx.port = server.config.authPort;
    tx.requestAuthenticator = this.random(16);
    tx.bytes = buildStatusServer({ identifier: id, requestAuthenticator: tx.requestAuthenticator, attributes: [], secret: server.config.secret });
    tx.firstSentAt = now;
    conn.watchdog = tx;
    this.transmit(tx, now);
  }

  /** The watchdog got no answer within the budget: the connection is taken for broken, closed and opened again. */
  private watchdogUnanswered(tx: Transaction<T>, now: number): void {
    const server = tx.server!;
    const space = tx.space!;
    this.endProbe(tx);
    this.emit({ type: 'report', report: { server: server.config.name, code: 'timeout', kind: 'status' } });
    this.commands.push({ type: 'close', server: server.index, socket: space.index, reason: 'watchdog unanswered' });
    this.lost(server, space, now, `no answer to the Status-Server watchdog within ${this.budget} ms`);
  }

  /** Whether `tx` has an alive server it has not been sent to. */
  private hasAliveUntried(tx: Transaction<T>): boolean {
    for (const s of this.servers) if (s.alive && !tx.tried.includes(s)) return true;
    return false;
  }

  // ---- retransmission and failover -----------------------------------------------------

  /** A request's wait expired: the same datagram again, or, its retransmissions spent, the next server. */
  private retransmitOrMove(tx: Transaction<T>, now: number): void {
    if (tx.sent <= this.s.maxRetransmits) {
      this.transmit(tx, now); // RFC 5080 §2.2.1: same Identifier, same Request Authenticator, same bytes
      return;
    }
    this.moveOn(tx, now);
  }

  /** This server had its chance: give the Identifier back, count the timeout, fail over. */
  private moveOn(tx: Transaction<T>, now: number): void {
    const server = tx.server!;
    this.leaveServer(tx);
    server.timeouts++;
    if (!server.alive) server.deadTimeouts++;
    this.emit({ type: 'report', report: { server: server.config.name, code: 'timeout', kind: tx.kind } });
    this.markDead(server, now);
    this.nextServer(tx, now);
  }

  /** Gives back the Identifier of a transmission (and its count on the server). */
  private leaveServer(tx: Transaction<T>): void {
    tx.timerList?.remove(tx);
    const server = tx.server;
    if (server === undefined) return;
    tx.space?.ids.release(tx.id, tx);
    if (tx.kind !== 'status') server.inFlight--;
    tx.server = undefined;
    tx.space = undefined;
    tx.onWire = false;
    tx.written = false;
  }

  /** Ends a request once: frees what it holds, hands its slot on, and reports the outcome. */
  private settle(tx: Transaction<T>, outcome: RadiusOutcome): void {
    if (tx.done) return;
    tx.done = true;
    this.leaveServer(tx);
    const conv = tx.conversation;
    if (conv !== undefined) {
      tx.conversation = undefined;
      if (conv.waiting === tx) conv.waiting = undefined;
      conv.active--;
      if (conv.active === 0 && conv.server === undefined && this.conversations.get(conv.key) === conv) this.conversations.delete(conv.key);
    }
    const heldSlot = tx.holdsSlot;
    this.queue.leave(tx);
    this.emit({ type: 'done', tag: tx.tag as T, outcome });
    tx.tag = undefined;
    if (heldSlot) this.pump(this.lastNow);
  }

  /** A request that ends before it was ever queued. */
  private fail(tx: Transaction<T>, reason: RadiusFailureReason, detail: string): void {
    this.settle(tx, failure(reason, [], detail));
  }

  /** The outcome of a verified Access-Accept, -Reject or -Challenge: the conversation's binding, then the keys. */
  private accessOutcome(tx: Transaction<T>, server: ServerState<T>, packet: RadiusPacket, rttMs: number): RadiusOutcome {
    const name = server.config.name;
    const conv = tx.conversation;
    if (conv !== undefined) {
      if (packet.code === RadiusCode.AccessChallenge) {
        // An answer after forget() binds nothing: the conversation is no longer in the map.
        if (this.conversations.get(conv.key) === conv) conv.server = server;
      } else {
        const heldBy = conv.server;
        conv.server = undefined;
        if (packet.code === RadiusCode.AccessReject && tx.continues && heldBy !== undefined && heldBy !== server) {
          // Failover split the conversation: the new server never saw its State.
          const servers = tx.tried.map((s) => s.config.name);
          return { ok: false, error: { reason: 'conversation-lost', servers, heldBy: heldBy.config.name, detail: `Access-Reject from ${name}, which did not hold the EAP conversation (${heldBy.config.name} did)` } };
        }
      }
    }
    const result: AccessResult = { code: packet.code, attributes: packet.attributes, server: name, rttMs };
    if (packet.code === RadiusCode.AccessAccept) {
      mppeOf(result, server.config.secret, tx.requestAuthenticator);
      tunnelPasswordOf(result, server.config.secret, tx.requestAuthenticator);
    }
    return { ok: true, value: result };
  }

  // ---- server health ----------------------------------------------------------------

  private markAlive(server: ServerState<T>, now: number): void {
    server.deadAt = undefined;
    if (server.alive) return;
    const previousForMs = now - server.sinceMs;
    server.alive = true;
    server.sinceMs = now;
    server.probeAt = undefined;
    this.emit({ type: 'server-state', server: server.config.name, alive: true, previousForMs });
  }

  private markDead(server: ServerState<T>, now: number): void {
    server.deadAt = undefined;
    if (!server.alive) return;
    const previousForMs = now - server.sinceMs;
    server.alive = false;
    server.sinceMs = now;
    server.deadTimeouts = 0;
    server.deadProbes = 0;
    server.probeAt = now + this.s.probeIntervalMs;
    this.emit({ type: 'server-state', server: server.config.name, alive: false, previousForMs });
  }

  /** RFC 5997 §3: one Status-Server, never retransmitted; each probe has a new Identifier and Request Authenticator. */
  private probe(server: ServerState<T>, now: number): void {
    server.probeAt = server.alive ? undefined : now + this.s.probeIntervalMs;
    if (server.alive || server.probe !== undefined) return;
    const conn = server.spaces[0]?.conn;
    if (conn !== undefined && conn.state === 'closed' && conn.retryAt > now) {
      // RadSec: a probe needs a connection, and the backoff after failed attempts bounds
      // how often one is tried: the probe waits for it.
      server.probeAt = Math.max(server.probeAt ?? now, conn.retryAt);
      return;
    }
    const tx = new Transaction<T>('status', undefined, [], undefined, now, false, undefined);
    this.takeIdentifier(tx, server);
    tx.requestAuthenticator = this.random(16);
    tx.bytes = buildStatusServer({ identifier: tx.id, requestAuthenticator: tx.requestAuthenticator, attributes: [], secret: server.config.secret });
    tx.firstSentAt = now;
    server.probe = tx;
    this.transmit(tx, now);
  }

  private probeUnanswered(tx: Transaction<T>): void {
    const server = tx.server!;
    if (!server.alive) server.deadProbes++;
    this.endProbe(tx);
    this.emit({ type: 'report', report: { server: server.config.name, code: 'timeout', kind: 'status' } });
  }

  private endProbe(tx: Transaction<T>): void {
    const server = tx.server;
    if (server?.probe === tx) server.probe = undefined;
    const conn = tx.space?.conn;
    if (conn?.watchdog === tx) conn.watchdog = undefined;
    tx.done = true;
    this.leaveServer(tx);
  }

  // ---- output -----------------------------------------------------------------------

  private invalid(server: ServerState<T>, reason: string, kind: RadiusRequestKind | undefined, source: { address: string; port: number }): void {
    const report: RadiusResultReport = { server: server.config.name, code: 'invalid', reason, source: { address: source.address, port: source.port } };
    if (kind !== undefined) report.kind = kind;
    this.emit({ type: 'report', report });
  }

  private emit(e: TransactionEvent<T>): void {
    this.events.push(e);
  }
}

function failure(reason: RadiusFailureReason, tried: readonly { config: RadiusServerConfig }[], detail: string): { ok: false; error: RadiusFailure } {
  return { ok: false, error: { reason, servers: tried.map((s) => s.config.name), detail } };
}

/**
 * The wait before the next connection attempt after `failures` in a row: none after a
 * connection that worked, then `minMs` doubling per failure up to `maxMs`.
 */
function reconnectDelay(failures: number, minMs: number, maxMs: number): number {
  return failures === 0 ? 0 : Math.min(minMs * Math.pow(2, failures - 1), maxMs);
}

/** Connections of a RadSec server open now, and established since the start. */
function connectionCounts<T>(spaces: readonly IdentifierSpace<T>[]): { open: number; opened: number } {
  let open = 0;
  let opened = 0;
  for (const space of spaces) {
    if (space.conn?.state === 'open') open++;
    opened += space.conn?.opened ?? 0;
  }
  return { open, opened };
}

/** Whether an Access-Request carries State (RFC 2865 §5.24): it continues a conversation. */
function hasState(attributes: readonly RadiusAttribute[]): boolean {
  for (const a of attributes) if (a.type === Attr.State) return true;
  return false;
}

/** Why a request cannot be encoded, checked once at submit so that no server sees half of it; undefined when it can. */
function encodingProblem(attributes: readonly RadiusAttribute[], userPassword: Buffer | undefined): string | undefined {
  if (userPassword !== undefined && userPassword.length > MAX_USER_PASSWORD_LENGTH) {
    return `User-Password of ${userPassword.length} octets exceeds ${MAX_USER_PASSWORD_LENGTH}`;
  }
  let length = RADIUS_HEADER_LENGTH + ADDED_OCTETS;
  for (const a of attributes) {
    if (!Number.isInteger(a.type) || a.type < 0 || a.type > 255) return `attribute Type ${a.type} is outside one octet`;
    if (a.type === Attr.MessageAuthenticator) return 'Message-Authenticator is added by the codec, not passed in attributes';
    if (a.value.length > MAX_ATTRIBUTE_VALUE_LENGTH) return `attribute ${a.type} value of ${a.value.length} octets exceeds ${MAX_ATTRIBUTE_VALUE_LENGTH}`;
    length += 2 + a.value.length;
  }
  return length > RADIUS_MAX_LENGTH ? `a request of ${length} octets (with what the client adds) exceeds ${RADIUS_MAX_LENGTH}` : undefined;
}

/** `attributes` with Acct-Delay-Time = the caller's value + the whole seconds waited. */
function withAcctDelay(attributes: readonly RadiusAttribute[], waitedMs: number): RadiusAttribute[] {
  const original = attributes.find((a) => a.type === ACCT_DELAY_TIME && a.value.length === 4);
  const base = original ? original.value.readUInt32BE(0) : 0;
  const value = Buffer.alloc(4);
  value.writeUInt32BE(Math.min(base + Math.floor(waitedMs / 1000), 0xffffffff), 0);
  return [...attributes.filter((a) => a.type !== ACCT_DELAY_TIME), { type: ACCT_DELAY_TIME, value }];
}

/** Adds the MS-MPPE keys of an Access-Accept to `result` (or why they did not decrypt). */
function tunnelPasswordOf(result: AccessResult, secret: Buffer, requestAuthenticator: Buffer): void {
  const a = result.attributes.find((x) => x.type === Attr.TunnelPassword);
  if (a === undefined) return;
  const r = readTunnelPassword(a.value, secret, requestAuthenticator);
  if (r.ok) result.tunnelPassword = r.value.password;
  else result.tunnelPasswordError = `Tunnel-Password does not decrypt: ${r.error.detail}`;
}

function mppeOf(result: AccessResult, secret: Buffer, requestAuthenticator: Buffer): void {
  const recvAttr = findVendorAttribute(result.attributes, VENDOR_MICROSOFT, MsAttr.MsMppeRecvKey);
  const sendAttr = findVendorAttribute(result.attributes, VENDOR_MICROSOFT, MsAttr.MsMppeSendKey);
  if (!recvAttr && !sendAttr) return;
  if (!recvAttr || !sendAttr) {
    result.mppeError = 'only one of MS-MPPE-Recv-Key / MS-MPPE-Send-Key present';
    return;
  }
  // RFC 2548 §2.4.2: the key stream starts from the Request Authenticator of the
  // Access-Request this response answers - after failover, the one sent to that server.
  const recv = decryptMppeKey(recvAttr, secret, requestAuthenticator);
  const send = decryptMppeKey(sendAttr, secret, requestAuthenticator);
  if (!recv || !send) {
    recv?.fill(0);
    send?.fill(0);
    result.mppeError = `MS-MPPE-${!recv ? 'Recv' : 'Send'}-Key does not decrypt (bad salt, length or key length)`;
    return;
  }
  result.mppe = { recv, send };
}
