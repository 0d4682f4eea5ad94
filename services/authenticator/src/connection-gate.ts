/**
 * Admission of AgentLink connections before TLS (DESIGN.md "Security", "Fairness": file
 * descriptors and handshake memory are shared out per source address).
 *
 * The authenticator accepts AgentLink TCP connections itself, not grpc-js. A connection is
 * refused at accept (closed at once, counted, logged at a limited rate) past the
 * connection cap, which stays below the process's open-file limit so that the HTTP
 * endpoints, health checks and the Admin API keep descriptors; or past the caps on
 * connections not yet through their handshake, in total and per source address. An
 * admitted connection costs only its socket until its first TLS record (the ClientHello)
 * is in whole; then the TLS handshake runs (the agent's client certificate). In plaintext
 * the HTTP/2 client preface (RFC 9113 §3.4) is the handshake. One that is not through it within
 * grpc.tls_handshake_timeout_s of its accept is closed. Only an established connection is
 * handed to grpc-js (Server.createConnectionInjector), which then serves HTTP/2 on it.
 *
 * ConnectionTable is the bookkeeping, free of I/O and of clocks; AgentLinkGate is its glue
 * (sockets, TLS, one timer). The cluster primary keeps a ConnectionTable of its own: the
 * workers hold the sockets and report when each is established and when it closes.
 */
import { execFileSync } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { createServer, isIPv6, type Server, type Socket } from 'node:net';
import { performance } from 'node:perf_hooks';
import { createServer as createTlsServer, type SecureContextOptions, type Server as TlsServer, type TLSSocket } from 'node:tls';
import type * as grpc from '@grpc/grpc-js';
import type { Logger } from 'pino';
import type { AuthenticatorConfig } from './config.js';
import { RateLimitedLog } from './logging.js';
import type { CONNECTION_REFUSALS, ConnectionMetrics, HANDSHAKE_FAILURES } from './metrics.js';
import { listenError, OperatorError } from './operator-error.js';

/** Why an AgentLink connection is refused at accept. */
export type ConnectionRefusal = (typeof CONNECTION_REFUSALS)['agentlink'][number];
/** How an AgentLink connection failed before it was established. */
export type HandshakeFailure = (typeof HANDSHAKE_FAILURES)[number];

/** The caps of one AgentLink listener. */
export interface ConnectionLimits {
  /** Connections held at once, pending ones included. */
  maxConnections: number;
  /** Connections not yet through their handshake, at once. */
  maxPending: number;
  /** The same, from one source (connectionSource). */
  maxPendingPerSource: number;
  /** From accept to the end of the handshake, at most, in ms; Infinity for none. */
  handshakeTimeoutMs: number;
}

/** The HTTP/2 client connection preface (RFC 9113 §3.4). */
const HTTP2_PREFACE = Buffer.from('PRI * HTTP/2.0\r\n\r\nSM\r\n\r\n', 'latin1');
/** TLS record header: content type (22 = handshake), legacy version, length (RFC 8446 §5.1). */
const TLS_RECORD_HEADER_BYTES = 5;
const TLS_CONTENT_HANDSHAKE = 22;
/** A TLS record's length "MUST NOT exceed 2^14 bytes" (RFC 8446 §5.1). */
const TLS_MAX_RECORD_BYTES = 16_384;

/** How many first bytes a handshake needs before it starts, given those in so far; or why they cannot start one. */
type FirstBytes = (head: Buffer) => number | { failure: HandshakeFailure; detail: string };

/** Plaintext: the HTTP/2 client preface, whole. */
const http2Preface: FirstBytes = (head) => {
  const n = HTTP2_PREFACE.length;
  if (head.length >= n && !head.subarray(0, n).equals(HTTP2_PREFACE)) return { failure: 'preface', detail: 'not the HTTP/2 client preface' };
  return n;
};

/** TLS: the first record, whole (the ClientHello is in it). */
const tlsFirstRecord: FirstBytes = (head) => {
  if (head.length < TLS_RECORD_HEADER_BYTES) return TLS_RECORD_HEADER_BYTES;
  if (head[0] !== TLS_CONTENT_HANDSHAKE) return { failure: 'tls', detail: 'not a TLS handshake record' };
  const length = head.readUInt16BE(3);
  if (length > TLS_MAX_RECORD_BYTES) return { failure: 'tls', detail: `TLS record of ${length} bytes` };
  return TLS_RECORD_HEADER_BYTES + length;
};
/** Expired handshakes are swept together: a deadline may be overrun by up to this much. */
const SWEEP_SLACK_MS = 100;
/** The open-file limit assumed when the process's cannot be read. */
const ASSUMED_OPEN_FILE_LIMIT = 1024;
/** The connection cap derived when the open-file limit is "unlimited". */
const UNLIMITED_CONNECTIONS = 1_048_576;

/**
 * The source a connection counts under: its IPv4 address (also written IPv4-mapped), or the
 * /64 of an IPv6 address — one host commonly holds a whole /64, so counting its addresses
 * one by one would cap nothing.
 */
export function connectionSource(address: string | undefined): string {
  if (address === undefined) return 'unknown';
  const mapped = /^::ffff:(\d{1,3}(?:\.\d{1,3}){3})$/i.exec(address);
  if (mapped !== null) return mapped[1];
  if (!isIPv6(address)) return address;
  const bare = address.replace(/%.*$/, '');
  const cut = bare.indexOf('::');
  const parts = (s: string): string[] => (s === '' ? [] : s.split(':'));
  // An embedded IPv4 address is the last 32 bits: never in the first 64.
  const width = (ps: string[]): number => ps.reduce((n, p) => n + (p.includes('.') ? 2 : 1), 0);
  let groups: string[];
  if (cut < 0) groups = parts(bare);
  else {
    const head = parts(bare.slice(0, cut));
    const tail = parts(bare.slice(cut + 2));
    groups = [...head, ...Array<string>(Math.max(0, 8 - width(head) - width(tail))).fill('0'), ...tail];
  }
  return `${groups.slice(0, 4).map((g) => parseInt(g, 16).toString(16)).join(':')}::/64`;
}

/**
 * The soft RLIMIT_NOFILE of this process (Node raises it to the hard limit as it starts):
 * from /proc/self/limits on Linux, else `ulimit -n` of a shell, which inherits it. Infinity
 * when unlimited, undefined when unknown.
 */
export function openFileLimit(): number | undefined {
  const parse = (s: string): number | undefined => (s === 'unlimited' ? Infinity : /^\d+$/.test(s) ? Number(s) : undefined);
  try {
    const m = /^Max open files\s+(\S+)/m.exec(readFileSync('/proc/self/limits', 'utf8'));
    if (m !== null) return parse(m[1]);
  } catch {
    // Not Linux: ask a shell.
  }
  try {
    return parse(execFileSync('/bin/sh', ['-c', 'ulimit -n'], { encoding: 'utf8', timeout: 2000, stdio: ['ignore', 'pipe', 'ignore'] }).trim());
  } catch {
    return undefined;
  }
}

/** The AgentLink caps of `config` in this process, with the open-file limit they were derived from. */
export interface AgentLinkLimits extends ConnectionLimits {
  /** The process's open-file limit (undefined: unknown, ASSUMED_OPEN_FILE_LIMIT taken). */
  openFileLimit: number | undefined;
  /** Whether maxConnections is grpc.max_connections (not derived from the open-file limit). */
  configured: boolean;
}

/**
 * The AgentLink caps of `config`: grpc.max_connections, or when it is 0 the open-file limit
 * `fdLimit` (openFileLimit()) less grpc.fd_headroom (descriptors kept for the HTTP endpoints, the Admin API, RADIUS,
 * logs and the cluster's pipes). Throws when the headroom leaves no connection at all.
 */
export function agentLinkLimits(config: AuthenticatorConfig, fdLimit: number | undefined): AgentLinkLimits {
  const g = config.grpc;
  let maxConnections = g.maxConnections;
  const configured = maxConnections > 0;
  if (!configured) {
    const limit = fdLimit ?? ASSUMED_OPEN_FILE_LIMIT;
    maxConnections = Number.isFinite(limit) ? limit - g.fdHeadroom : UNLIMITED_CONNECTIONS;
    if (maxConnections < 1) {
      throw new OperatorError(`grpc.fd_headroom (${g.fdHeadroom}) leaves no AgentLink connection under this process's open-file limit (${limit}): raise the limit (ulimit -n, systemd LimitNOFILE=), lower grpc.fd_headroom, or set grpc.max_connections`);
    }
  }
  return {
    maxConnections,
    maxPending: g.maxPendingHandshakes,
    maxPendingPerSource: g.maxPendingHandshakesPerSource,
    handshakeTimeoutMs: g.tlsHandshakeTimeoutS * 1000,
    openFileLimit: fdLimit,
    configured,
  };
}

/** Logs the caps in force once at start; a configured cap above what the open-file limit allows is a warning. */
export function logAgentLinkLimits(l: AgentLinkLimits, config: AuthenticatorConfig, logger: Logger): void {
  const obj = {
    maxConnections: l.maxConnections,
    openFileLimit: l.openFileLimit ?? 'unknown',
    fdHeadroom: config.grpc.fdHeadroom,
    maxPendingHandshakes: l.maxPending,
    maxPendingHandshakesPerSource: l.maxPendingPerSource,
    tlsHandshakeTimeoutS: config.grpc.tlsHandshakeTimeoutS,
  };
  const room = l.openFileLimit === undefined ? Infinity : l.openFileLimit - config.grpc.fdHeadroom;
  if (l.configured && l.maxConnections > room) {
    logger.warn(obj, 'grpc.max_connections is above the open-file limit less grpc.fd_headroom: a flood of connections can take the descriptors the HTTP endpoints and the Admin API need');
  } else {
    logger.info(obj, 'AgentLink connection caps');
  }
}

interface TableEntry {
  source: string;
  deadline: number;
}

/**
 * Which connections are held and which of them are still in their handshake, by source;
 * the caps applied at admission and the handshake deadlines. No I/O and no clock: `now` is
 * passed in (ms, monotonic). Keys are whatever the caller holds (a socket, an id).
 */
export class ConnectionTable<K> {
  private readonly held = new Map<K, TableEntry>();
  /** Connections in their handshake, in admission order — which, with one timeout for all, is deadline order. */
  private readonly waiting = new Map<K, TableEntry>();
  private readonly waitingBySource = new Map<string, number>();

  constructor(readonly limits: ConnectionLimits) {}

  /** Admits `key` from `source` at `now`, or says which cap refuses it. */
  admit(key: K, source: string, now: number): ConnectionRefusal | undefined {
    if (this.held.has(key)) throw new Error('ConnectionTable.admit: key already held');
    if (this.held.size >= this.limits.maxConnections) return 'connections';
    const fromSource = this.waitingBySource.get(source) ?? 0;
    if (fromSource >= this.limits.maxPendingPerSource) return 'source_pending';
    if (this.waiting.size >= this.limits.maxPending) return 'pending';
    const entry = { source, deadline: now + this.limits.handshakeTimeoutMs };
    this.held.set(key, entry);
    this.waiting.set(key, entry);
    this.waitingBySource.set(source, fromSource + 1);
    return undefined;
  }

  /** `key` is through its handshake; false when it was not waiting (unknown, expired or already established). */
  established(key: K): boolean {
    const entry = this.waiting.get(key);
    if (entry === undefined) return false;
    this.stopWaiting(key, entry);
    return true;
  }

  /** `key` is closed: it no longer counts anywhere. */
  closed(key: K): void {
    const entry = this.held.get(key);
    if (entry === undefined) return;
    this.held.delete(key);
    if (this.waiting.has(key)) this.stopWaiting(key, entry);
  }

  /**
   * The connections whose handshake deadline has passed at `now`, oldest first. They stop
   * counting as pending (established() is false for them from now on) and stay held until
   * closed().
   */
  expired(now: number): K[] {
    const out: K[] = [];
    for (const [key, entry] of this.waiting) {
      if (entry.deadline > now) break;
      out.push(key);
      this.stopWaiting(key, entry);
    }
    return out;
  }

  /** The earliest handshake deadline, if any is finite. */
  nextDeadline(): number | undefined {
    const first = this.waiting.values().next();
    if (first.done === true || !Number.isFinite(first.value.deadline)) return undefined;
    return first.value.deadline;
  }

  /** Whether `key` is still in its handshake. */
  isPending(key: K): boolean {
    return this.waiting.has(key);
  }

  /** The connections still in their handshake, oldest first. */
  pendingKeys(): K[] {
    return [...this.waiting.keys()];
  }

  /** Connections held, pending ones included. */
  get open(): number {
    return this.held.size;
  }

  /** Connections in their handshake. */
  get pending(): number {
    return this.waiting.size;
  }

  /** Connections in their handshake from `source`. */
  pendingFrom(source: string): number {
    return this.waitingBySource.get(source) ?? 0;
  }

  private stopWaiting(key: K, entry: TableEntry): void {
    this.waiting.delete(key);
    const n = (this.waitingBySource.get(entry.source) ?? 1) - 1;
    if (n <= 0) this.waitingBySource.delete(entry.source);
    else this.waitingBySource.set(entry.source, n);
  }
}

/** What a refusal says in the log, per listener and reason. */
const REFUSAL_TEXT: Record<string, string> = {
  'agentlink/connections': 'the AgentLink connection cap is reached (grpc.max_connections, or the open-file limit less grpc.fd_headroom)',
  'agentlink/pending': 'too many AgentLink connections are in their TLS handshake (grpc.max_pending_handshakes)',
  'agentlink/source_pending': 'this source has too many AgentLink connections in their TLS handshake (grpc.max_pending_handshakes_per_source)',
  'http/connections': 'the HTTP connection cap is reached (http.max_connections)',
  'http/source_connections': 'this source holds its share of HTTP connections (a quarter of http.max_connections)',
};
const FAILURE_TEXT: Record<HandshakeFailure, string> = {
  timeout: 'AgentLink connection closed: its TLS handshake (plaintext: HTTP/2 preface) was not complete within grpc.tls_handshake_timeout_s',
  tls: 'AgentLink TLS handshake failed',
  preface: 'AgentLink connection closed: its first bytes are not the HTTP/2 client preface (grpc.plaintext)',
};

/**
 * Counts refusals and handshake failures of one listener and logs them, at most 5 lines per
 * reason per 10 s: a flood is a few lines that say how many were held back, not one each.
 */
export class ConnectionReport {
  private readonly lines = new RateLimitedLog();

  constructor(
    private readonly listener: 'agentlink' | 'http',
    private readonly metrics: ConnectionMetrics,
    private readonly logger: Logger,
  ) {}

  /** A connection from `source` was refused for `reason`; `state` (counts) goes into the line. */
  refused(reason: string, source: string, state: Record<string, number> = {}): void {
    this.metrics.refused.inc({ listener: this.listener, reason });
    const key = `${this.listener}/${reason}`;
    this.lines.log(this.logger, 'warn', key, performance.now(), { listener: this.listener, reason, source, ...state }, `connection refused: ${REFUSAL_TEXT[key] ?? reason}`);
  }

  /** An AgentLink connection from `source` failed its handshake. */
  failed(reason: HandshakeFailure, source: string, detail?: string): void {
    this.metrics.handshakeFailures.inc({ reason });
    this.lines.log(this.logger, 'info', `failed/${reason}`, performance.now(), { reason, source, detail }, FAILURE_TEXT[reason]);
  }
}

/** Options of AgentLinkGate. */
export interface AgentLinkGateOptions {
  limits: ConnectionLimits;
  /**
   * The AgentLink credentials. The TLS server here is built from them exactly as grpc-js
   * builds its own (its ServerCredentials hooks: constructor options, secure context
   * options, and their watcher for updates); insecure credentials mean plaintext.
   */
  credentials: grpc.ServerCredentials;
  /** Hands an established connection (a TLSSocket, or in plaintext the TCP socket) to grpc-js. */
  deliver(connection: Socket): void;
  metrics: ConnectionMetrics;
  logger: Logger;
}

interface Admitted {
  source: string;
  /** Called once the handshake is through (the cluster worker tells the primary). */
  onEstablished: (() => void) | undefined;
  /** The peer's "address|port" while the TLS handshake runs (tls.Server's socket reports the same). */
  endpoint?: string;
}

const endpointOf = (s: Socket): string => `${s.remoteAddress ?? ''}|${s.remotePort ?? ''}`;
/** Errors of a socket in its handshake: its 'close' follows, which is what counts. */
const ignoreError = (): void => undefined;

/**
 * The AgentLink connection gate of a process that serves agents (a single authenticator,
 * or a cluster worker for the connections its primary hands over).
 */
export class AgentLinkGate {
  readonly report: ConnectionReport;
  private readonly table: ConnectionTable<Socket>;
  private readonly admitted = new Map<Socket, Admitted>();
  /** TCP sockets in their TLS handshake, by peer endpoint. */
  private readonly inTls = new Map<string, Socket>();
  private readonly tls: TlsServer | undefined;
  private tlsUsable = true;
  private timer: NodeJS.Timeout | undefined;
  private timerAt = Infinity;
  private closed = false;

  constructor(private readonly opts: AgentLinkGateOptions) {
    this.table = new ConnectionTable(opts.limits);
    this.report = new ConnectionReport('agentlink', opts.metrics, opts.logger);
    opts.metrics.limit.set(opts.limits.maxConnections);
    this.tls = this.tlsServer(opts.credentials);
  }

  /** Connections held, pending ones included. */
  get open(): number {
    return this.table.open;
  }

  /** Connections in their handshake. */
  get pending(): number {
    return this.table.pending;
  }

  /**
   * A TCP connection accepted by this process or handed over by the cluster primary: it is
   * admitted or refused (closed) at once. `onEstablished` is called when its handshake is
   * through, just before grpc-js gets it.
   */
  accept(socket: Socket, onEstablished?: () => void): void {
    if (this.closed) {
      socket.destroy();
      return;
    }
    const source = connectionSource(socket.remoteAddress);
    const refusal = this.table.admit(socket, source, performance.now());
    if (refusal !== undefined) {
      socket.destroy();
      this.report.refused(refusal, source, { open: this.table.open, pending: this.table.pending, pendingFromSource: this.table.pendingFrom(source) });
      return;
    }
    this.admitted.set(socket, { source, onEstablished });
    socket.on('error', ignoreError);
    socket.once('close', () => this.release(socket));
    this.awaitFirstBytes(socket);
    this.gauges();
    this.arm();
  }

  /** Admits no more; closes the connections still in their handshake (established ones are grpc-js's to drain). */
  close(): void {
    this.closed = true;
    clearTimeout(this.timer);
    this.timer = undefined;
    for (const socket of this.table.pendingKeys()) socket.destroy();
  }

  /**
   * Nothing is set up for a connection until its first bytes are complete (the whole first
   * TLS record, which carries the ClientHello; in plaintext the HTTP/2 preface): one that
   * stays silent, or stalls inside that record, costs its socket and what it sent, not TLS
   * state.
   */
  private awaitFirstBytes(socket: Socket): void {
    const tls = this.tls;
    const firstBytes = tls === undefined ? http2Preface : tlsFirstRecord;
    let head: Buffer = Buffer.alloc(0);
    const onReadable = (): void => {
      const chunks: Buffer[] = [head];
      for (let c = socket.read() as Buffer | null; c !== null; c = socket.read() as Buffer | null) chunks.push(c);
      head = Buffer.concat(chunks);
      const need = firstBytes(head);
      if (typeof need !== 'number') {
        socket.off('readable', onReadable);
        if (this.table.isPending(socket)) this.report.failed(need.failure, this.admitted.get(socket)?.source ?? 'unknown', need.detail);
        socket.destroy();
        return;
      }
      if (head.length < need) return; // more to come, or the end of the stream (the socket then closes)
      socket.off('readable', onReadable);
      socket.unshift(head); // the TLS socket or grpc-js's HTTP/2 session reads it from the start
      if (tls === undefined) this.establish(socket, socket);
      else this.startTls(socket, tls);
    };
    socket.on('readable', onReadable);
  }

  private startTls(socket: Socket, tls: TlsServer): void {
    const a = this.admitted.get(socket);
    if (a === undefined || !this.tlsUsable) {
      socket.destroy();
      return;
    }
    a.endpoint = endpointOf(socket);
    this.inTls.set(a.endpoint, socket);
    // tls.Server takes what is buffered and runs the handshake on this socket's handle.
    tls.emit('connection', socket);
  }

  private tlsServer(credentials: grpc.ServerCredentials): TlsServer | undefined {
    if (!credentials._isSecure()) return undefined;
    const context = credentials._getSecureContextOptions();
    this.tlsUsable = context !== null;
    const server = createTlsServer({
      ...credentials._getConstructorOptions(),
      ...context,
      // As http2.createSecureServer: HTTP/2 only.
      ALPNProtocols: ['h2'],
      // Our own deadline (from accept) comes first; this one only backs it up.
      handshakeTimeout: Number.isFinite(this.opts.limits.handshakeTimeoutMs) ? this.opts.limits.handshakeTimeoutMs + 1000 : undefined,
    });
    server.on('secureConnection', (tlsSocket: TLSSocket) => {
      const key = endpointOf(tlsSocket);
      const socket = this.inTls.get(key);
      if (socket === undefined) {
        tlsSocket.destroy(); // its deadline passed as the handshake ended
        return;
      }
      this.inTls.delete(key);
      // grpc-js's session handles the connection's end; errors would otherwise be thrown.
      tlsSocket.on('error', ignoreError);
      this.establish(socket, tlsSocket);
    });
    server.on('tlsClientError', (err: NodeJS.ErrnoException, tlsSocket: TLSSocket) => {
      tlsSocket.destroy();
      const key = endpointOf(tlsSocket);
      const socket = this.inTls.get(key);
      if (socket === undefined) return;
      this.inTls.delete(key);
      if (this.table.isPending(socket)) this.report.failed('tls', this.admitted.get(socket)?.source ?? 'unknown', err.code ?? err.message);
    });
    // Certificates that grpc-js would swap in (credentials updated) are swapped here too.
    credentials._addWatcher((options: SecureContextOptions | null) => {
      if (options !== null) {
        try {
          server.setSecureContext(options);
        } catch (e) {
          this.opts.logger.error({ err: e instanceof Error ? e.message : String(e) }, 'AgentLink TLS: the updated certificates cannot be used; new connections are closed');
          options = null;
        }
      }
      this.tlsUsable = options !== null;
    });
    return server;
  }

  private establish(socket: Socket, connection: Socket): void {
    if (!this.table.established(socket)) {
      socket.destroy();
      return;
    }
    this.gauges();
    this.admitted.get(socket)?.onEstablished?.();
    this.opts.deliver(connection);
  }

  private release(socket: Socket): void {
    const a = this.admitted.get(socket);
    if (a === undefined) return;
    this.admitted.delete(socket);
    if (a.endpoint !== undefined && this.inTls.get(a.endpoint) === socket) this.inTls.delete(a.endpoint);
    this.table.closed(socket);
    this.gauges();
  }

  private gauges(): void {
    this.opts.metrics.open.set(this.table.open);
    this.opts.metrics.pending.set(this.table.pending);
  }

  /** One timer for every handshake deadline: set for the earliest. */
  private arm(): void {
    const at = this.table.nextDeadline();
    if (at === undefined || this.closed) return;
    if (this.timer !== undefined && this.timerAt <= at) return;
    clearTimeout(this.timer);
    this.timerAt = at;
    this.timer = setTimeout(() => this.sweep(), Math.max(0, at - performance.now()) + SWEEP_SLACK_MS);
    this.timer.unref();
  }

  private sweep(): void {
    this.timer = undefined;
    this.timerAt = Infinity;
    for (const socket of this.table.expired(performance.now())) {
      this.report.failed('timeout', this.admitted.get(socket)?.source ?? 'unknown');
      socket.destroy();
    }
    this.gauges();
    this.arm();
  }
}

/** Listens on `host`:`port` (splitListen of grpc.listen) and passes every accepted AgentLink connection to `gate`. */
export async function listenAgentLink(at: { host: string; port: number }, gate: AgentLinkGate, logger: Logger): Promise<Server> {
  const { host, port } = at;
  const listen = `${host.includes(':') ? `[${host}]` : host}:${port}`;
  const server = createServer({ noDelay: true }, (socket) => gate.accept(socket));
  await new Promise<void>((resolve, reject) => {
    const onError = (err: NodeJS.ErrnoException): void => reject(listenError('grpc.listen', listen, err.code, err.message));
    server.once('error', onError);
    server.listen(port, host, () => {
      server.off('error', onError);
      resolve();
    });
  });
  // After listen, an accept error (EMFILE despite the cap: descriptors taken elsewhere) is logged, never thrown.
  server.on('error', (err) => logger.error({ err }, 'AgentLink listener error'));
  return server;
}
