// RADIUS client over UDP (node:dgram): the I/O side of packages/radius.
//
// - RFC 2865 §3, §4.1: Access-Request; Identifier per (source port, server); Response
//   Authenticator verified before a response is used; RFC 3579 §3.2 Message-Authenticator
//   first in every Access-Request and required on every Access-* response (BlastRADIUS,
//   CVE-2024-3596); RFC 2548 §2.4.2-3 MS-MPPE-Send/Recv-Key decrypted with the Request
//   Authenticator of the Access-Request whose response arrived.
// - RFC 2866 §4.1, §5.2: Accounting-Request / Accounting-Response; Acct-Delay-Time.
// - RFC 5080 §2.2.1: a retransmission reuses the Identifier, the Request Authenticator and
//   the bytes of the original; timeouts back off; failover to the next server uses a new
//   Identifier and Request Authenticator.
// - RFC 5997: Status-Server probes a dead server; its answer marks the server alive, and
//   new requests go back to the highest-priority alive server.
//
// The encoding, signing and verification are the sans-I/O codec's (../codec); this file
// only owns sockets, timers, Identifier bookkeeping and server selection.

import { randomBytes } from 'node:crypto';
import dgram from 'node:dgram';
import { lookup } from 'node:dns/promises';
import { isIP } from 'node:net';
import { performance } from 'node:perf_hooks';

import {
  Attr,
  RadiusCode,
  buildAccessRequest,
  buildAccountingRequest,
  buildStatusServer,
  decryptMppeKey,
  findVendorAttribute,
  hideUserPassword,
  MAX_USER_PASSWORD_LENGTH,
  VENDOR_MICROSOFT,
  MsAttr,
  verifyResponse,
  type RadiusAttribute,
  type RadiusPacket,
} from '../codec/index.js';
import { RadiusClientError, RadiusTimeoutError } from './errors.js';
import { IdentifierTable } from './identifier-table.js';

/** One RADIUS server: where to send, and the shared secret of this client with it. */
export interface RadiusServer {
  /** Label used in metrics (airlock_radius_*{server}) and results; never the secret. */
  name: string;
  /** IP address or host name (resolved once, at start()). */
  host: string;
  /** UDP port of the authentication service (1812). */
  authPort: number;
  /** UDP port of the accounting service (1813). */
  acctPort: number;
  /** Shared secret (RFC 2865 §3); never logged. */
  secret: Buffer;
}

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

/** The three exchanges the client runs. */
export type RadiusRequestKind = 'access' | 'accounting' | 'status';

/** Options of a RadiusClient. */
export interface RadiusClientOptions {
  /** Servers in priority order: servers[0] is the primary. */
  servers: RadiusServer[];
  /** First retransmission timeout in ms (default 1000). */
  timeoutMs?: number;
  /** Retransmissions per server of one request (default 2). */
  maxRetransmits?: number;
  /** Timeout multiplier per retransmission (default 2). */
  backoff?: number;
  /** Cap of the backed-off timeout in ms (default 8000, or timeoutMs when larger). */
  maxTimeoutMs?: number;
  /** A server with no answer for this long after the first unanswered transmission is marked dead (default 5000). */
  deadAfterMs?: number;
  /** Interval of Status-Server probes to a dead server (default 5000). */
  probeIntervalMs?: number;
  /**
   * Cap of outstanding requests (default 4096). More wait in a FIFO queue of up to
   * `maxQueued` (default 4 x maxInFlight) and go out as answers come back; beyond that they
   * are rejected with RadiusClientError 'in-flight-cap'.
   */
  maxInFlight?: number;
  maxQueued?: number;
  /** Source of Request Authenticators (default crypto.randomBytes). */
  random?: (n: number) => Buffer;
  /** Metrics hook: one call per answer, per server timeout and per dropped datagram. */
  onResult?: (r: RadiusResultReport) => void;
  /** Called on a socket 'error' event or a failed send (the request itself goes on: a lost datagram is retransmitted). */
  onSocketError?: (err: Error, server: string) => void;
  /** Health hook: called when a server is marked dead, and when a verified answer marks it alive again (every server starts alive). */
  onServerState?: (server: string, alive: boolean) => void;
  /** Local address of the sockets (default '127.0.0.1' when every server is loopback, else '0.0.0.0'; '::1' / '::' for IPv6 servers). */
  bindAddress?: string;
}

/** MS-MPPE keys of an Access-Accept (RFC 2548 §2.4.2-3), decrypted. The caller owns (and wipes) them. */
export interface MppeKeys {
  /** MS-MPPE-Recv-Key: the first 32 octets of the MSK (the PMK for IEEE 802.11). */
  recv: Buffer;
  /** MS-MPPE-Send-Key: the second 32 octets of the MSK. */
  send: Buffer;
}

/** Options of one Access-Request. */
export interface AccessRequestOptions {
  /**
   * A User-Password (RFC 2865 §5.2, at most 128 octets): hidden with the secret and the
   * Request Authenticator of each server it is sent to, so it is added per transmission
   * (after failover too). The caller owns the buffer (and wipes it once the promise settles).
   */
  userPassword?: Buffer;
}

/** A verified answer to an Access-Request. */
export interface AccessResult {
  /** Access-Accept, Access-Reject or Access-Challenge. */
  code: number;
  /** The response's attributes (EAP-Message pieces as received). */
  attributes: RadiusAttribute[];
  /** Name of the server that answered. */
  server: string;
  /** First transmission to that server -> verified response, in milliseconds. */
  rttMs: number;
  /** Decrypted with the Request Authenticator of the Access-Request that was answered; present only when both keys decrypt. */
  mppe?: MppeKeys;
  /** Why MS-MPPE keys present in the response did not decrypt (the response itself was authentic). */
  mppeError?: string;
}

/** A verified answer to an Accounting-Request. */
export interface AccountingResult {
  /** Name of the server that answered. */
  server: string;
  /** First transmission to that server -> verified response, in milliseconds. */
  rttMs: number;
}

/** Health of one server as the client sees it. */
export interface RadiusServerState {
  /** Server name. */
  name: string;
  /** False from failure detection until a verified answer (to a probe or a request). */
  alive: boolean;
  /** Requests currently waiting on this server (probes excluded). */
  inFlight: number;
  /** Round-trip time of the last verified answer. */
  lastRttMs?: number;
  /** Source ports (sockets) open towards this server. */
  sockets: number;
}

const DEFAULTS = {
  timeoutMs: 1000,
  maxRetransmits: 2,
  backoff: 2,
  maxTimeoutMs: 8000,
  deadAfterMs: 5000,
  probeIntervalMs: 5000,
  maxInFlight: 4096,
} as const;

/** RADIUS header: Code, Identifier, Length, Authenticator (RFC 2865 §3). */
const HEADER_LENGTH = 20;
/** Receive buffer asked for each socket (capped by the kernel). */
const RECV_BUFFER_BYTES = 1 << 20;
/** RFC 2866 §5.2 Acct-Delay-Time. */
const ACCT_DELAY_TIME: number = Attr.AcctDelayTime;

/**
 * Timeout before retransmission number `n` (0 = wait after the first transmission):
 * `timeoutMs * backoff^n`, capped at `maxTimeoutMs`.
 */
export function retransmitTimeout(n: number, timeoutMs: number, backoff: number, maxTimeoutMs: number): number {
  return Math.min(timeoutMs * Math.pow(backoff, n), maxTimeoutMs);
}

/** True for 127.0.0.0/8 and ::1 (and IPv4-mapped loopback). */
function isLoopback(address: string): boolean {
  if (isIP(address) === 4) return address.startsWith('127.');
  const a = address.toLowerCase();
  return a === '::1' || a.startsWith('::ffff:127.');
}

/** Closes a socket that may already be closed. */
function closeQuietly(socket: dgram.Socket): void {
  try {
    socket.close();
  } catch {
    // ERR_SOCKET_DGRAM_NOT_RUNNING: already closed
  }
}

interface ClientSocket {
  readonly server: ServerState;
  readonly socket: dgram.Socket;
  readonly ids: IdentifierTable<Transmission>;
}

interface ServerState {
  readonly config: RadiusServer;
  /** Resolved at start(). */
  address: string;
  family: 4 | 6;
  alive: boolean;
  readonly sockets: ClientSocket[];
  opening: Promise<ClientSocket> | undefined;
  /** Request transmissions (not probes) holding an Identifier on this server. */
  inFlight: number;
  lastRttMs: number | undefined;
  /** Armed by the first transmission after the last answer; fires -> dead. */
  deadTimer: NodeJS.Timeout | undefined;
  probeTimer: NodeJS.Timeout | undefined;
}

/** A caller's request, across the servers it is tried on. */
interface Job {
  readonly kind: 'access' | 'accounting';
  readonly attributes: RadiusAttribute[];
  /** A User-Password to hide per transmission (access only). */
  readonly userPassword?: Buffer;
  readonly createdAt: number;
  readonly tried: ServerState[];
  current: Transmission | undefined;
  settled: boolean;
  readonly resolve: (tx: Transmission, packet: RadiusPacket, rttMs: number) => void;
  readonly reject: (err: Error) => void;
}

/** One request's stay on one server: one Identifier, one Request Authenticator, one set of bytes. */
interface Transmission {
  readonly kind: RadiusRequestKind;
  readonly job: Job | undefined; // undefined for a Status-Server probe
  readonly server: ServerState;
  readonly socket: ClientSocket;
  id: number;
  requestAuthenticator: Buffer;
  bytes: Buffer;
  readonly port: number;
  firstSentAt: number;
  sent: number;
  timer: NodeJS.Timeout | undefined;
  done: boolean;
}

/**
 * RADIUS client: Access-Request and Accounting-Request with retransmission, backoff,
 * failover across servers in priority order, Status-Server probes of dead servers and
 * return to the primary. Responses are matched by (socket, Identifier, source address and
 * port) and verified before use; anything else is dropped and reported through onResult.
 */
export class RadiusClient {
  private readonly opts: Required<Omit<RadiusClientOptions, 'onResult' | 'onSocketError' | 'onServerState' | 'bindAddress' | 'maxQueued'>> &
    Pick<RadiusClientOptions, 'onResult' | 'onSocketError' | 'onServerState' | 'bindAddress'>;
  private readonly servers: ServerState[];
  private readonly jobs = new Set<Job>();
  /** Requests beyond maxInFlight, in arrival order. */
  private readonly waiting: Job[] = [];
  private readonly maxQueued: number;
  private allLoopback = false;
  private started: Promise<void> | undefined;
  private ready = false;
  private closed = false;

  /** Validates the options; throws on a programmer error (no servers, empty secret, bad port). */
  constructor(opts: RadiusClientOptions) {
    if (opts.servers.length === 0) throw new TypeError('RadiusClient: at least one server is required');
    const names = new Set<string>();
    for (const s of opts.servers) {
      if (s.secret.length === 0) throw new TypeError(`RadiusClient: server ${s.name} has an empty secret`);
      for (const p of [s.authPort, s.acctPort]) {
        if (!Number.isInteger(p) || p < 1 || p > 65535) throw new TypeError(`RadiusClient: server ${s.name} has a bad port ${p}`);
      }
      if (names.has(s.name)) throw new TypeError(`RadiusClient: duplicate server name ${s.name}`);
      names.add(s.name);
    }
    this.opts = {
      servers: opts.servers,
      timeoutMs: opts.timeoutMs ?? DEFAULTS.timeoutMs,
      maxRetransmits: opts.maxRetransmits ?? DEFAULTS.maxRetransmits,
      backoff: opts.backoff ?? DEFAULTS.backoff,
      // RFC 5080 §2.2.1's MRT, never below the first timeout.
      maxTimeoutMs: opts.maxTimeoutMs ?? Math.max(DEFAULTS.maxTimeoutMs, opts.timeoutMs ?? DEFAULTS.timeoutMs),
      deadAfterMs: opts.deadAfterMs ?? DEFAULTS.deadAfterMs,
      probeIntervalMs: opts.probeIntervalMs ?? DEFAULTS.probeIntervalMs,
      maxInFlight: opts.maxInFlight ?? DEFAULTS.maxInFlight,
      random: opts.random ?? ((n: number) => randomBytes(n)),
      onResult: opts.onResult,
      onServerState: opts.onServerState,
      onSocketError: opts.onSocketError,
      bindAddress: opts.bindAddress,
    };
    if (!(this.opts.timeoutMs > 0) || !(this.opts.backoff >= 1) || !(this.opts.maxTimeoutMs >= this.opts.timeoutMs)) {
      throw new TypeError('RadiusClient: need timeoutMs > 0, backoff >= 1, maxTimeoutMs >= timeoutMs');
    }
    if (!Number.isInteger(this.opts.maxRetransmits) || this.opts.maxRetransmits < 0) throw new TypeError('RadiusClient: maxRetransmits must be an integer >= 0');
    if (!(this.opts.maxInFlight >= 1)) throw new TypeError('RadiusClient: maxInFlight must be >= 1');
    this.maxQueued = opts.maxQueued ?? 4 * this.opts.maxInFlight;
    if (!(this.maxQueued >= 0)) throw new TypeError('RadiusClient: maxQueued must be >= 0');
    this.servers = opts.servers.map((config) => ({
      config,
      address: config.host,
      family: 4,
      alive: true,
      sockets: [],
      opening: undefined,
      inFlight: 0,
      lastRttMs: undefined,
      deadTimer: undefined,
      probeTimer: undefined,
    }));
  }

  /** Resolves server host names (once) and opens one socket per server. Idempotent. */
  start(): Promise<void> {
    if (this.closed) return Promise.reject(new RadiusClientError('closed', 'RadiusClient: start() after close()'));
    this.started ??= this.doStart();
    return this.started;
  }

  private async doStart(): Promise<void> {
    for (const s of this.servers) {
      const { address, family } = await lookup(s.config.host, { verbatim: true });
      s.address = address;
      s.family = family === 6 ? 6 : 4;
    }
    this.allLoopback = this.servers.every((s) => isLoopback(s.address));
    for (const s of this.servers) {
      if (this.closed) return;
      await this.openSocket(s);
    }
    this.ready = true;
  }

  /**
   * Sends an Access-Request (Message-Authenticator added by the codec) and resolves with the
   * first verified Access-Accept, -Reject or -Challenge. Rejects with RadiusTimeoutError when
   * every server was tried, RadiusClientError on the in-flight cap, before start() or on close().
   * A User-Password goes in `options` (hidden per server), never in `attributes`.
   */
  accessRequest(attributes: RadiusAttribute[], options: AccessRequestOptions = {}): Promise<AccessResult> {
    return new Promise<AccessResult>((resolve, reject) => {
      if (options.userPassword !== undefined && options.userPassword.length > MAX_USER_PASSWORD_LENGTH) {
        reject(new RangeError(`User-Password of ${options.userPassword.length} octets exceeds ${MAX_USER_PASSWORD_LENGTH}`));
        return;
      }
      this.submit('access', attributes, reject, (tx, packet, rttMs) => {
        // Runs in the socket's 'message' handler: a throw here must become a rejection.
        try {
          resolve(this.accessResult(tx, packet, rttMs));
        } catch (e) {
          reject(e instanceof Error ? e : new Error(String(e)));
        }
      }, options.userPassword);
    });
  }

  /**
   * Sends an Accounting-Request and resolves with the first verified Accounting-Response.
   *
   * Retransmissions to one server are the same bytes (same Identifier and Request
   * Authenticator, RFC 5080 §2.2.1), so Acct-Delay-Time is not updated on them. When the
   * request fails over to another server it is re-signed with a new Identifier, and
   * Acct-Delay-Time is set to the caller's value (0 when absent) plus the whole seconds
   * since accountingRequest() was called (RFC 2866 §5.2).
   */
  accountingRequest(attributes: RadiusAttribute[]): Promise<AccountingResult> {
    return new Promise<AccountingResult>((resolve, reject) => {
      this.submit('accounting', attributes, reject, (tx, _packet, rttMs) => {
        resolve({ server: tx.server.config.name, rttMs });
      });
    });
  }

  /** Health and load of each server, in priority order. */
  serverStates(): RadiusServerState[] {
    return this.servers.map((s) => ({
      name: s.config.name,
      alive: s.alive,
      inFlight: s.inFlight,
      ...(s.lastRttMs !== undefined ? { lastRttMs: s.lastRttMs } : {}),
      sockets: s.sockets.length,
    }));
  }

  /** Rejects every outstanding request with RadiusClientError 'closed', stops timers and closes the sockets. */
  async close(): Promise<void> {
    if (this.closed) return;
    this.closed = true;
    const err = (): RadiusClientError => new RadiusClientError('closed', 'RadiusClient closed while the request was outstanding');
    for (const job of this.waiting.splice(0)) job.reject(err());
    for (const job of [...this.jobs]) this.settle(job, () => job.reject(err()));
    // Wait for a start() in progress, so that no socket opens after the sockets are closed.
    await this.started?.catch(() => undefined);
    const closing: Promise<void>[] = [];
    for (const s of this.servers) {
      clearTimeout(s.deadTimer);
      clearTimeout(s.probeTimer);
      s.deadTimer = undefined;
      s.probeTimer = undefined;
      await s.opening?.catch(() => undefined);
      for (const cs of s.sockets) {
        for (const tx of cs.ids.entries()) this.finish(tx);
        closing.push(new Promise<void>((resolve) => {
          try {
            cs.socket.close(() => resolve());
          } catch {
            resolve(); // already closed
          }
        }));
      }
      s.sockets.length = 0;
    }
    await Promise.all(closing);
  }

  // --- requests ---------------------------------------------------------------------------

  private submit(
    kind: 'access' | 'accounting',
    attributes: RadiusAttribute[],
    reject: (err: Error) => void,
    resolve: Job['resolve'],
    userPassword?: Buffer,
  ): void {
    if (this.closed) return reject(new RadiusClientError('closed', 'RadiusClient is closed'));
    if (!this.ready) return reject(new RadiusClientError('not-started', 'RadiusClient: call start() first'));
    const job: Job = { kind, attributes, userPassword, createdAt: performance.now(), tried: [], current: undefined, settled: false, resolve, reject };
    if (this.jobs.size >= this.opts.maxInFlight) {
      if (this.waiting.length >= this.maxQueued) {
        return reject(new RadiusClientError('in-flight-cap', `RadiusClient: ${this.opts.maxInFlight} requests in flight and ${this.waiting.length} waiting`));
      }
      this.waiting.push(job);
      return;
    }
    this.jobs.add(job);
    this.nextServer(job);
  }

  /** Starts waiting requests while there is room. */
  private startWaiting(): void {
    while (this.waiting.length > 0 && this.jobs.size < this.opts.maxInFlight && !this.closed) {
      const job = this.waiting.shift()!;
      this.jobs.add(job);
      this.nextServer(job);
    }
  }

  /** Requests waiting for room under maxInFlight (tests, admin). */
  get queued(): number {
    return this.waiting.length;
  }

  /** Settles a job once; later settlements (a close racing an answer) are ignored. */
  private settle(job: Job, fn: () => void): void {
    if (job.settled) return;
    job.settled = true;
    this.jobs.delete(job);
    if (job.current) this.finish(job.current);
    job.current = undefined;
    fn();
    this.startWaiting();
  }

  /** Moves a job to the best server it has not tried: alive ones in priority order, then dead ones. */
  private nextServer(job: Job): void {
    const untried = this.servers.filter((s) => !job.tried.includes(s));
    const server = untried.find((s) => s.alive) ?? untried[0];
    if (!server) {
      this.settle(job, () => job.reject(new RadiusTimeoutError(job.tried.map((s) => s.config.name))));
      return;
    }
    job.tried.push(server);
    this.transmitOn(job, server).catch((e: unknown) => {
      this.settle(job, () => job.reject(e instanceof Error ? e : new Error(String(e))));
    });
  }

  private async transmitOn(job: Job, server: ServerState): Promise<void> {
    let tx: Transmission | undefined;
    while (!tx) {
      const cs = await this.socketWithFreeId(server);
      if (job.settled || this.closed) return;
      // Concurrent requests may have taken the free Identifiers while this one waited.
      tx = this.newTransmission(job.kind, job, server, cs);
    }
    // Held from here on, so that settle() frees the Identifier even if encoding throws.
    job.current = tx;
    server.inFlight++;
    const secret = server.config.secret;
    if (job.kind === 'access') {
      tx.requestAuthenticator = this.opts.random(16);
      // RFC 2865 §5.2: the hidden User-Password depends on this server's secret and this
      // transmission's Request Authenticator, so it is made here, for each server tried.
      const attributes = job.userPassword === undefined ? job.attributes : [...job.attributes, { type: Attr.UserPassword, value: hideUserPassword(job.userPassword, secret, tx.requestAuthenticator) }];
      tx.bytes = buildAccessRequest({ identifier: tx.id, requestAuthenticator: tx.requestAuthenticator, attributes, secret });
    } else {
      const attributes = job.tried.length > 1 ? this.withAcctDelay(job) : job.attributes;
      tx.bytes = buildAccountingRequest({ identifier: tx.id, attributes, secret });
      tx.requestAuthenticator = Buffer.from(tx.bytes.subarray(4, HEADER_LENGTH));
    }
    this.send(tx);
  }

  /** The job's attributes with Acct-Delay-Time = caller's value + whole seconds waited. */
  private withAcctDelay(job: Job): RadiusAttribute[] {
    const waited = Math.floor((performance.now() - job.createdAt) / 1000);
    const original = job.attributes.find((a) => a.type === ACCT_DELAY_TIME && a.value.length === 4);
    const base = original ? original.value.readUInt32BE(0) : 0;
    const value = Buffer.alloc(4);
    value.writeUInt32BE(Math.min(base + waited, 0xffffffff), 0);
    return [...job.attributes.filter((a) => a.type !== ACCT_DELAY_TIME), { type: ACCT_DELAY_TIME, value }];
  }

  private newTransmission(kind: RadiusRequestKind, job: Job | undefined, server: ServerState, cs: ClientSocket): Transmission | undefined {
    const tx: Transmission = {
      kind,
      job,
      server,
      socket: cs,
      id: -1,
      requestAuthenticator: Buffer.alloc(0),
      bytes: Buffer.alloc(0),
      port: kind === 'accounting' ? server.config.acctPort : server.config.authPort,
      firstSentAt: 0,
      sent: 0,
      timer: undefined,
      done: false,
    };
    const id = cs.ids.take(tx);
    if (id === undefined) return undefined;
    tx.id = id;
    return tx;
  }

  /** Sends (or resends the same bytes of) a transmission and arms its retransmission timer. */
  private send(tx: Transmission): void {
    const now = performance.now();
    if (tx.sent === 0) tx.firstSentAt = now;
    const wait = tx.kind === 'status'
      ? Math.min(this.opts.timeoutMs, this.opts.probeIntervalMs)
      : retransmitTimeout(tx.sent, this.opts.timeoutMs, this.opts.backoff, this.opts.maxTimeoutMs);
    tx.sent++;
    tx.timer = setTimeout(() => this.onTimeout(tx), wait);
    const server = tx.server;
    if (server.alive && server.deadTimer === undefined && tx.kind !== 'status') {
      server.deadTimer = setTimeout(() => {
        server.deadTimer = undefined;
        this.markDead(server);
      }, this.opts.deadAfterMs);
      server.deadTimer.unref(); // retransmission timers keep the process alive, not this one
    }
    try {
      tx.socket.socket.send(tx.bytes, tx.port, server.address, (err) => {
        if (err) this.socketError(err, server);
      });
    } catch (e) {
      // A send on a socket being closed throws synchronously; the timer will retry or give up.
      this.socketError(e, server);
    }
  }

  private onTimeout(tx: Transmission): void {
    tx.timer = undefined;
    if (tx.done || this.closed) return;
    if (tx.kind === 'status') {
      this.finish(tx);
      this.report({ server: tx.server.config.name, code: 'timeout', kind: 'status' });
      return;
    }
    if (tx.sent <= this.opts.maxRetransmits) {
      this.send(tx); // RFC 5080 §2.2.1: same Identifier, same Request Authenticator, same bytes
      return;
    }
    // This server had its chance: give the Identifier back, count the timeout, fail over.
    const job = tx.job;
    this.finish(tx);
    this.report({ server: tx.server.config.name, code: 'timeout', kind: tx.kind });
    this.markDead(tx.server);
    if (job && !job.settled) {
      job.current = undefined;
      this.nextServer(job);
    }
  }

  /** Ends a transmission: stops its timer and frees its Identifier. */
  private finish(tx: Transmission): void {
    if (tx.done) return;
    tx.done = true;
    clearTimeout(tx.timer);
    tx.timer = undefined;
    tx.socket.ids.release(tx.id, tx);
    if (tx.kind !== 'status') tx.server.inFlight--;
  }

  // --- responses --------------------------------------------------------------------------

  private onMessage(cs: ClientSocket, msg: Buffer, rinfo: dgram.RemoteInfo): void {
    if (this.closed) return;
    const server = cs.server;
    const name = server.config.name;
    const source = { address: rinfo.address, port: rinfo.port };
    if (msg.length < HEADER_LENGTH) {
      this.report({ server: name, code: 'invalid', reason: 'truncated', source });
      return;
    }
    const tx = cs.ids.get(msg[1]);
    if (!tx || tx.done) {
      this.report({ server: name, code: 'invalid', reason: 'unknown-id', source });
      return;
    }
    if (rinfo.address !== server.address || rinfo.port !== tx.port) {
      this.report({ server: name, code: 'invalid', reason: 'unexpected-source', kind: tx.kind, source });
      return;
    }
    const requestCode = tx.kind === 'access' ? RadiusCode.AccessRequest
      : tx.kind === 'accounting' ? RadiusCode.AccountingRequest : RadiusCode.StatusServer;
    const verified = verifyResponse(msg, { identifier: tx.id, authenticator: tx.requestAuthenticator, code: requestCode }, server.config.secret);
    if (!verified.ok) {
      this.report({ server: name, code: 'invalid', reason: verified.error.code, kind: tx.kind, source });
      return;
    }
    const packet = verified.value;
    const rttMs = performance.now() - tx.firstSentAt;
    const job = tx.job;
    this.finish(tx);
    server.lastRttMs = rttMs;
    this.markAlive(server);
    this.report({ server: name, code: packet.code, rttMs, kind: tx.kind });
    if (job) this.settle(job, () => job.resolve(tx, packet, rttMs));
  }

  private accessResult(tx: Transmission, packet: RadiusPacket, rttMs: number): AccessResult {
    const result: AccessResult = { code: packet.code, attributes: packet.attributes, server: tx.server.config.name, rttMs };
    if (packet.code !== RadiusCode.AccessAccept) return result;
    const recvAttr = findVendorAttribute(packet.attributes, VENDOR_MICROSOFT, MsAttr.MsMppeRecvKey);
    const sendAttr = findVendorAttribute(packet.attributes, VENDOR_MICROSOFT, MsAttr.MsMppeSendKey);
    if (!recvAttr && !sendAttr) return result;
    if (!recvAttr || !sendAttr) return { ...result, mppeError: 'only one of MS-MPPE-Recv-Key / MS-MPPE-Send-Key present' };
    const secret = tx.server.config.secret;
    // RFC 2548 §2.4.2: the key stream starts from the Request Authenticator of the
    // Access-Request this response answers - after failover, the one sent to that server.
    const recv = decryptMppeKey(recvAttr, secret, tx.requestAuthenticator);
    const send = decryptMppeKey(sendAttr, secret, tx.requestAuthenticator);
    if (!recv || !send) {
      recv?.fill(0);
      send?.fill(0);
      return { ...result, mppeError: `MS-MPPE-${!recv ? 'Recv' : 'Send'}-Key does not decrypt (bad salt, length or key length)` };
    }
    return { ...result, mppe: { recv, send } };
  }

  // --- server health ----------------------------------------------------------------------

  private markAlive(server: ServerState): void {
    clearTimeout(server.deadTimer);
    server.deadTimer = undefined;
    if (server.alive) return;
    server.alive = true;
    clearTimeout(server.probeTimer);
    server.probeTimer = undefined;
    this.opts.onServerState?.(server.config.name, true);
  }

  private markDead(server: ServerState): void {
    clearTimeout(server.deadTimer);
    server.deadTimer = undefined;
    if (!server.alive || this.closed) return;
    server.alive = false;
    this.scheduleProbe(server);
    this.opts.onServerState?.(server.config.name, false);
  }

  private scheduleProbe(server: ServerState): void {
    clearTimeout(server.probeTimer);
    server.probeTimer = setTimeout(() => {
      server.probeTimer = undefined;
      if (server.alive || this.closed) return;
      this.scheduleProbe(server);
      this.probe(server).catch((e: unknown) => {
        this.socketError(e, server);
      });
    }, this.opts.probeIntervalMs);
    server.probeTimer.unref();
  }

  /** RFC 5997 §3: one Status-Server, never retransmitted; each probe has a new Identifier and authenticator. */
  private async probe(server: ServerState): Promise<void> {
    const cs = await this.socketWithFreeId(server);
    if (this.closed || server.alive) return;
    const tx = this.newTransmission('status', undefined, server, cs);
    if (!tx) return; // all Identifiers busy: the server is clearly being tried anyway
    tx.requestAuthenticator = this.opts.random(16);
    tx.bytes = buildStatusServer({ identifier: tx.id, requestAuthenticator: tx.requestAuthenticator, attributes: [], secret: server.config.secret });
    this.send(tx);
  }

  // --- sockets ----------------------------------------------------------------------------

  /** A socket of `server` with a free Identifier, opening one more source port when all are full. */
  private async socketWithFreeId(server: ServerState): Promise<ClientSocket> {
    for (;;) {
      if (this.closed) throw new RadiusClientError('closed', 'RadiusClient is closed');
      const cs = server.sockets.find((c) => !c.ids.full);
      if (cs) return cs;
      server.opening ??= this.openSocket(server).finally(() => {
        server.opening = undefined;
      });
      await server.opening;
    }
  }

  private bindAddressFor(server: ServerState): string {
    const wanted = this.opts.bindAddress;
    if (wanted !== undefined && isIP(wanted) === server.family) return wanted;
    if (server.family === 6) return this.allLoopback ? '::1' : '::';
    return this.allLoopback ? '127.0.0.1' : '0.0.0.0';
  }

  private openSocket(server: ServerState): Promise<ClientSocket> {
    return new Promise<ClientSocket>((resolve, reject) => {
      const socket = dgram.createSocket({ type: server.family === 6 ? 'udp6' : 'udp4' });
      // A random first Identifier per socket, so a restarted client does not replay the
      // (source port, Identifier) pairs of its previous run in the same order.
      const cs: ClientSocket = { server, socket, ids: new IdentifierTable<Transmission>(this.opts.random(1)[0] ?? 0) };
      let bound = false;
      socket.on('error', (err) => {
        if (!bound) {
          closeQuietly(socket);
          reject(err);
          return;
        }
        this.socketError(err, server);
      });
      socket.on('message', (msg, rinfo) => this.onMessage(cs, msg, rinfo));
      // exclusive: in a node:cluster worker a shared socket would deliver the answers to
      // whichever worker (Identifier and Request Authenticator live in this process only).
      socket.bind({ address: this.bindAddressFor(server), port: 0, exclusive: true }, () => {
        bound = true;
        // Up to 256 answers can arrive back to back on one socket; the default receive
        // buffer (~208 KiB of small-datagram overhead) drops some. The kernel caps this at
        // net.core.rmem_max; a drop still recovers through retransmission.
        try {
          socket.setRecvBufferSize(RECV_BUFFER_BYTES);
        } catch {
          // not fatal
        }
        if (this.closed) {
          closeQuietly(socket);
          reject(new RadiusClientError('closed', 'RadiusClient is closed'));
          return;
        }
        server.sockets.push(cs);
        resolve(cs);
      });
    });
  }

  private socketError(e: unknown, server: ServerState): void {
    try {
      this.opts.onSocketError?.(e instanceof Error ? e : new Error(String(e)), server.config.name);
    } catch {
      // A failing hook must not break the exchange.
    }
  }

  private report(r: RadiusResultReport): void {
    try {
      this.opts.onResult?.(r);
    } catch {
      // A failing metrics hook must not break the exchange.
    }
  }
}
