// RADIUS client: the sans-I/O transactions (radius-transactions.ts: RFC 2865, 2866, 3579,
// 5080, 5997, 6614) driven over UDP (udp-transport.ts) and, for servers with
// `transport: 'tls'`, over RadSec connections (tls-transport.ts). This file only chooses the
// transport of each server, moves datagrams, records, connection commands and events
// between them and the transactions, and keeps the clock: the driver's when it owns one
// (`clock`: the authenticator arms one timer for its core and this client), else one timer
// of its own.
//
// Two forms of each request: a callback (requestAccess / requestAccounting: no promise, for
// a hot path) and a promise (accessRequest / accountingRequest: CLI, tests, tools).
// Callbacks never run inside the call that submits the request: they run when a datagram
// arrives, at a tick, or (a request refused or ended at once) in a microtask.

import { randomBytes } from 'node:crypto';
import { performance } from 'node:perf_hooks';

import type { Result } from '@airlock/bytes';
import type { RadiusAttribute } from '../codec/index.js';
import { failureError, type RadiusFailure } from './errors.js';
import {
  type ConnectionCommand,
  RadiusTransactions,
  type AccessResult,
  type AccountingResult,
  type RadiusOutcome,
  type RadiusResultReport,
  type RadiusServerConfig,
  type RadiusServerState,
  type RequestOptions,
  type TransactionEvent,
  type TransactionOptions,
} from './radius-transactions.js';
import { UdpTransport } from './udp-transport.js';
import { checkRadsecTlsOptions, RADSEC_PORT, RADSEC_SECRET, TlsTransport, type RadsecTlsOptions } from './tls-transport.js';
import { DeadlineTimer } from './deadline-timer.js';

/** One RADIUS server over UDP (RFC 2865 / 2866): where to send, and the shared secret of this client with it. */
export interface RadiusUdpServer extends RadiusServerConfig {
  /** UDP (the default). */
  transport?: 'udp';
  /** IP address or host name (resolved once, at start()). */
  host: string;
}

/**
 * One RadSec server (RFC 6614: RADIUS over TLS): one TLS port for authentication and
 * accounting, mutual TLS, and the fixed shared secret "radsec" unless one is given.
 * Message-Authenticator is required on its answers exactly as over UDP.
 */
export interface RadsecServer {
  transport: 'tls';
  /** Label used in metrics (airlock_radius_*{server}) and results. */
  name: string;
  /** IP address or host name (resolved once, at start()); the default expected certificate name. */
  host: string;
  /** TLS port of authentication and accounting (default 2083, RFC 6614 §2.1). */
  port?: number;
  /** Shared secret (default "radsec", RFC 6614 §2.3); never logged. */
  secret?: Buffer;
  /** CA, client certificate and key, expected server name, TLS version floor. */
  tls: RadsecTlsOptions;
}

/** One RADIUS server: over UDP (the default), or RadSec (`transport: 'tls'`). */
export type RadiusServer = RadiusUdpServer | RadsecServer;

/** What the transactions see of a server entry (RadSec: one port, the "radsec" secret by default). */
export function serverConfigOf(s: RadiusServer): RadiusServerConfig {
  if (s.transport !== 'tls') return s;
  const port = s.port ?? RADSEC_PORT;
  return { name: s.name, authPort: port, acctPort: port, secret: s.secret ?? Buffer.from(RADSEC_SECRET), transport: 'tls' };
}

/**
 * A driver's clock (the authenticator's): the client reads time from `now()` and calls
 * `wake()` when its next deadline moved earlier than the one the driver last read with
 * nextDeadline(); the driver then calls tick(now) by that deadline.
 */
export interface RadiusClock {
  now(): number;
  wake(): void;
}

/** Options of a RadiusClient. */
export interface RadiusClientOptions extends Omit<TransactionOptions, 'servers' | 'now' | 'random'> {
  /** Servers in priority order: servers[0] is the primary. */
  servers: RadiusServer[];
  /** Source of Request Authenticators (default crypto.randomBytes). */
  random?: (n: number) => Buffer;
  /** Metrics hook: one call per answer, per server timeout and per dropped datagram. */
  onResult?: (r: RadiusResultReport) => void;
  /**
   * Called on a socket 'error' event or a failed send (the request itself goes on: a lost
   * datagram is retransmitted), and with the error that ended a RadSec connection or its
   * attempt (a refused certificate, a TLS version, a reset).
   */
  onSocketError?: (err: Error, server: string) => void;
  /**
   * RadSec: a connection (number `socket` of `server`) opened, or closed; `detail` says
   * why (the TLS error, the peer's close, a framing error, an unanswered watchdog).
   */
  onConnection?: (server: string, socket: number, open: boolean, detail: string) => void;
  /**
   * Health hook: called when a server is marked dead, and when a verified answer marks it
   * alive again (every server starts alive); `previousForMs`: how long it was in the other
   * state. serverStates() already shows the new state.
   */
  onServerState?: (server: string, alive: boolean, previousForMs: number) => void;
  /** Local address of the sockets (default '127.0.0.1' when every server is loopback, else '0.0.0.0'; '::1' / '::' for IPv6 servers). */
  bindAddress?: string;
  /** The driver's clock; without it the client keeps its own (performance.now()) and its own timer. */
  clock?: RadiusClock;
}

/** Options of one Access-Request (User-Password, fairness owner, EAP conversation). */
export type AccessRequestOptions = RequestOptions;

/** Options of one Accounting-Request (the fairness owner). */
export type AccountingRequestOptions = Pick<RequestOptions, 'owner'>;

/** How an Access-Request ended: the verified answer, or why there is none. */
export type AccessOutcome = Result<AccessResult, RadiusFailure>;

/** Gets how an Access-Request ended. */
export type AccessDone = (outcome: AccessOutcome) => void;

/** Gets how an Accounting-Request ended. */
export type AccountingDone = (outcome: Result<AccountingResult, RadiusFailure>) => void;

/** The callback a request's completion goes to. */
type Done = (outcome: RadiusOutcome) => void;

/**
 * RADIUS client: Access-Request and Accounting-Request with retransmission, backoff,
 * failover across servers in priority order, Status-Server probes of dead servers and
 * return to the primary, fair in-flight slots, EAP conversations bound to their server.
 * Responses are matched by (socket, Identifier, source address and port) and verified
 * before use; anything else is dropped and reported through onResult.
 */
export class RadiusClient {
  private readonly opts: RadiusClientOptions;
  private readonly transactions: RadiusTransactions<Done>;
  private readonly transport: UdpTransport;
  /** RadSec connections, when a server is `transport: 'tls'`. */
  private readonly tls: TlsTransport | undefined;
  /** Per server: true for RadSec. */
  private readonly overTls: boolean[];
  private readonly now: () => number;
  /** The earliest deadline the driver knows of (driver's clock only). */
  private announced = Infinity;
  /** Its own timer, when no driver owns the clock. */
  private readonly ownTimer = new DeadlineTimer(() => {
    this.tick(this.now());
    this.armOwnTimer();
  }, () => this.now());
  private delivering = false;
  private deliveryQueued = false;
  private started: Promise<void> | undefined;
  private ready = false;
  private closed = false;
  private readonly drains: (() => void)[] = [];

  /** Validates the options; throws on a programmer error (no servers, empty secret, bad port, RadSec without certificates). */
  constructor(opts: RadiusClientOptions) {
    this.opts = opts;
    const clock = opts.clock;
    this.now = clock !== undefined ? () => clock.now() : () => performance.now();
    for (const s of opts.servers) if (s.transport === 'tls') checkRadsecTlsOptions(s.name, s.tls);
    this.overTls = opts.servers.map((s) => s.transport === 'tls');
    this.transactions = new RadiusTransactions<Done>({
      ...opts,
      servers: opts.servers.map(serverConfigOf),
      now: this.now(),
      random: opts.random ?? ((n: number) => randomBytes(n)),
    });
    const serverName = (i: number): string => opts.servers[i]?.name ?? String(i);
    this.tls = !this.overTls.includes(true) ? undefined : new TlsTransport({
      onOpen: (server, socket) => {
        if (this.closed) return;
        this.transactions.connectionOpened(server, socket, this.now());
        this.flush(true);
      },
      onRecord: (server, socket, record, source) => {
        if (this.closed) return;
        this.transactions.handle(record, server, socket, source, this.now());
        this.flush(true);
      },
      onClose: (server, socket, why) => {
        if (this.closed) return;
        if (why.error !== undefined) this.socketError(why.error, serverName(server));
        this.transactions.connectionClosed(server, socket, this.now(), why.detail, why.framing?.code);
        this.flush(true);
      },
    });
    this.transport = new UdpTransport(
      {
        onDatagram: (server, socket, datagram, source) => {
          if (this.closed) return;
          this.transactions.handle(datagram, server, socket, source, this.now());
          this.flush(true);
        },
        onError: (server, err) => this.socketError(err, serverName(server)),
      },
      opts.bindAddress,
    );
  }

  /**
   * Resolves server host names (once), opens one socket per UDP server and starts the first
   * connection of each RadSec server (not waited for: a server that cannot be reached is
   * marked dead, not an error of start()). Idempotent.
   */
  start(): Promise<void> {
    if (this.closed) return Promise.reject(failureError({ reason: 'closed', servers: [], detail: 'RadiusClient: start() after close()' }));
    this.started ??= this.doStart();
    return this.started;
  }

  private async doStart(): Promise<void> {
    const addresses = await this.transport.resolve(this.opts.servers.map((s) => s.host));
    addresses.forEach((a, i) => this.transactions.setServerAddress(i, a));
    for (let i = 0; i < addresses.length; i++) {
      if (this.closed) return;
      const s = this.opts.servers[i];
      if (s.transport === 'tls') this.tls!.setDestination(i, { address: addresses[i], port: s.port ?? RADSEC_PORT, host: s.host, tls: s.tls });
      else await this.transport.open(i, 0);
    }
    if (this.closed) return;
    this.ready = true;
    this.transactions.openConnections(this.now());
    this.flush(true);
  }

  /**
   * Sends an Access-Request (Message-Authenticator added by the codec); `done` gets the
   * first verified Access-Accept, -Reject or -Challenge, or a failure ('timeout' when every
   * server was tried, 'conversation-lost', 'in-flight-cap', 'superseded', 'withdrawn',
   * 'closed', 'not-started', 'unencodable'). A User-Password goes in `options` (hidden per
   * server), never in `attributes`; the attributes are the caller's until `done` runs.
   */
  requestAccess(attributes: readonly RadiusAttribute[], options: AccessRequestOptions | undefined, done: AccessDone): void {
    this.submit('access', attributes, options, done);
  }

  /**
   * Sends an Accounting-Request; `done` gets the first verified Accounting-Response or a
   * failure. Retransmissions to one server are the same bytes (same Identifier and Request
   * Authenticator, RFC 5080 §2.2.1), so Acct-Delay-Time is not updated on them. When the
   * request fails over to another server it is re-signed with a new Identifier, and
   * Acct-Delay-Time is set to the caller's value (0 when absent) plus the whole seconds
   * since the request was made (RFC 2866 §5.2).
   */
  requestAccounting(attributes: readonly RadiusAttribute[], options: AccountingRequestOptions | undefined, done: AccountingDone): void {
    this.submit('accounting', attributes, options, done);
  }

  /**
   * requestAccess as a promise: resolves with the answer; rejects with RadiusTimeoutError
   * when every server was tried (or the conversation was lost in a failover),
   * RadiusClientError for the client's own refusals, RangeError for a request that cannot
   * be encoded (a User-Password over 128 octets).
   */
  accessRequest(attributes: readonly RadiusAttribute[], options: AccessRequestOptions = {}): Promise<AccessResult> {
    return new Promise<AccessResult>((resolve, reject) => {
      this.requestAccess(attributes, options, (r) => (r.ok ? resolve(r.value) : reject(failureError(r.error))));
    });
  }

  /** requestAccounting as a promise (errors as accessRequest). */
  accountingRequest(attributes: readonly RadiusAttribute[], options: AccountingRequestOptions = {}): Promise<AccountingResult> {
    return new Promise<AccountingResult>((resolve, reject) => {
      this.requestAccounting(attributes, options, (r) => (r.ok ? resolve(r.value) : reject(failureError(r.error))));
    });
  }

  /** The EAP conversation `key` is over: its waiting request ends ('withdrawn') and its server binding goes. */
  forget(key: string): void {
    this.transactions.forget(key);
    this.flush(false);
  }

  /** The driver's tick (with a driver's clock): retransmissions, failovers and probes due by `now`. */
  tick(now: number): void {
    if (this.closed) return;
    this.transactions.tick(now);
    this.flush(true);
  }

  /** When tick() has work next, on the client's clock (undefined: nothing timed). */
  nextDeadline(): number | undefined {
    const at = this.transactions.nextDeadline();
    this.announced = at ?? Infinity;
    return at;
  }

  /** Health and load of each server, in priority order. */
  serverStates(): RadiusServerState[] {
    return this.transactions.serverStates();
  }

  /** Requests waiting for room under maxInFlight (tests, admin). */
  get queued(): number {
    return this.transactions.queued;
  }

  /** Requests not yet completed (in flight or waiting). */
  get pending(): number {
    return this.transactions.pending;
  }

  /** Resolves once no request is pending (a client replaced by a reload finishes its own). */
  drain(): Promise<void> {
    if (this.transactions.pending === 0 || this.closed) return Promise.resolve();
    return new Promise<void>((resolve) => this.drains.push(resolve));
  }

  /** Ends every outstanding request with 'closed', stops the timer and closes the sockets. */
  async close(): Promise<void> {
    if (this.closed) return;
    this.closed = true;
    this.transactions.close();
    this.deliver();
    this.ownTimer.stop();
    for (const resolve of this.drains.splice(0)) resolve();
    // Wait for a start() in progress, so that no socket opens after the sockets are closed.
    await this.started?.catch(() => undefined);
    await Promise.all([this.transport.close(), this.tls?.closeAll()]);
  }

  // ---- internals ------------------------------------------------------------------

  private submit(kind: 'access' | 'accounting', attributes: readonly RadiusAttribute[], options: RequestOptions | undefined, done: Done): void {
    if (!this.ready && !this.closed) {
      this.later(done, { ok: false, error: { reason: 'not-started', servers: [], detail: 'RadiusClient: call start() first' } });
      return;
    }
    this.transactions.submit(kind, attributes, options, done, this.now());
    this.flush(false);
  }

  /** Sends what the transactions want sent, opens and closes their connections, hands on their events (now, or in a microtask), re-arms. */
  private flush(deliverNow: boolean): void {
    for (let d = this.transactions.pollTransmit(); d !== undefined; d = this.transactions.pollTransmit()) {
      if (this.overTls[d.server]) this.tls!.send(d.server, d.socket, d.bytes);
      else this.transport.send(d.server, d.socket, d.bytes, d.port);
    }
    // After the records: a close may follow a last write on the same connection.
    for (let c = this.transactions.pollConnection(); c !== undefined; c = this.transactions.pollConnection()) this.command(c);
    if (deliverNow) this.deliver();
    else if (!this.delivering && !this.deliveryQueued && this.transactions.hasEvents) {
      this.deliveryQueued = true;
      queueMicrotask(() => {
        this.deliveryQueued = false;
        this.deliver();
      });
    }
    this.rearm();
  }

  /** Events to their hooks and callbacks, in order; a callback that submits more is served by the same loop. */
  private deliver(): void {
    if (this.delivering) return;
    this.delivering = true;
    try {
      for (let e = this.transactions.pollEvent(); e !== undefined; e = this.transactions.pollEvent()) this.dispatch(e);
    } finally {
      this.delivering = false;
    }
    if (this.drains.length > 0 && this.transactions.pending === 0) for (const resolve of this.drains.splice(0)) resolve();
  }

  private dispatch(e: TransactionEvent<Done>): void {
    try {
      switch (e.type) {
        case 'done':
          e.tag(e.outcome);
          break;
        case 'report':
          this.opts.onResult?.(e.report);
          break;
        case 'server-state':
          this.opts.onServerState?.(e.server, e.alive, e.previousForMs);
          break;
        case 'connection':
          this.opts.onConnection?.(e.server, e.socket, e.open, e.detail);
          break;
        default: {
          const never: never = e;
          throw new Error(`unknown event ${JSON.stringify(never)}`);
        }
      }
    } catch (err) {
      // A throwing hook or callback is the caller's bug: it surfaces, but after the other
      // events were handed on (the exchange itself is intact).
      queueMicrotask(() => {
        throw err;
      });
    }
  }

  /** Carries out a RadSec connection command. */
  private command(c: ConnectionCommand): void {
    const tls = this.tls;
    if (tls === undefined || this.closed) return;
    switch (c.type) {
      case 'connect':
        tls.connect(c.server, c.socket);
        return;
      case 'close':
        tls.close(c.server, c.socket);
        return;
      default: {
        const never: never = c;
        throw new Error(`unknown connection command ${JSON.stringify(never)}`);
      }
    }
  }

  /** A socket or TLS error to the hook (a failing hook must not break the exchange). */
  private socketError(err: Error, server: string): void {
    try {
      this.opts.onSocketError?.(err, server);
    } catch {
      // A failing hook must not break the exchange.
    }
  }

  /** A completion outside the transactions (not started), in a microtask. */
  private later(done: Done, outcome: RadiusOutcome): void {
    queueMicrotask(() => done(outcome));
  }

  /** Tells the driver of an earlier deadline, or re-arms the client's own timer. */
  private rearm(): void {
    const clock = this.opts.clock;
    if (clock !== undefined) {
      const at = this.transactions.nextDeadline() ?? Infinity;
      if (at < this.announced && !this.closed) {
        this.announced = at;
        clock.wake();
      }
      return;
    }
    this.armOwnTimer();
  }

  /**
   * The client's own timer, at its next deadline; it keeps the process alive only while
   * requests are pending.
   */
  private armOwnTimer(): void {
    if (this.closed) return;
    this.ownTimer.arm(this.transactions.nextDeadline() ?? Infinity);
    this.ownTimer.keepAlive(this.transactions.pending > 0);
  }
}
