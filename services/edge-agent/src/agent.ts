/**
 * The edge agent: one AgentLink stream to the authenticator. It reports driver events in
 * radio order, applies commands in seq order and answers the ones whose outcome matters,
 * checks and assigns per-direction seq, bounds both directions (LinkStream: events wait for
 * 'drain' in a bounded outbox, commands wait for the driver in a bounded queue), and
 * reconnects with backoff and jitter, sending its station table in the new Hello.
 */
import { lookup } from 'node:dns/promises';
import { EventEmitter } from 'node:events';
import { isIP } from 'node:net';
import * as grpc from '@grpc/grpc-js';
import type { LinkEvent } from '@airlock/link';
import { AgentLinkClient, answersWithResult, decodeCommand, encodeEvent, encodeHello, LinkStream, type AgentBatch, type AgentBody, type AgentMessage, type ControllerBatch, type ControllerMessage } from '@airlock/proto';
import { formatMac, isMac, macKey } from '@airlock/rsn';
import type { Logger } from 'pino';
import type { Driver } from './driver.js';
import { StationLog } from './station-log.js';

/** How the agent is built. */
export interface AgentOptions {
  agentId: string;
  /** host:port of the authenticator. */
  target: string;
  /**
   * Further authenticator instances, host:port each (DESIGN.md "Several authenticators"):
   * when a stream is lost the agent reconnects to the next one in turn, at once the first
   * time. A host name that resolves to several addresses counts as one instance each.
   */
  alternates?: string[];
  driver: Driver;
  logger: Logger;
  credentials?: grpc.ChannelCredentials;
  /** Extra channel options (e.g. the TLS server name override). */
  channelOptions?: grpc.ChannelOptions;
  softwareVersion?: string;
  keepaliveTimeMs?: number;
  keepaliveTimeoutMs?: number;
  /** Events waiting for 'drain' beyond which new ones are dropped and counted. */
  eventQueue?: number;
  /**
   * Commands received and not yet applied (a slow driver) at which the agent stops reading
   * its stream until half of them are applied (default 1024): the authenticator's writes
   * then push back, instead of this queue growing without bound.
   */
  maxPendingCommands?: number;
  /** An asynchronous driver call not settled after this long counts as failed (default 10000 ms). */
  commandTimeoutMs?: number;
  /** Reconnect backoff: first delay, cap (ms); each delay gets +-50% jitter. */
  backoffInitialMs?: number;
  backoffMaxMs?: number;
  maxMessageBytes?: number;
  /**
   * Use ConnectBatched (default): events written in one turn of the event loop travel in one
   * gRPC message, and commands arrive in batches. False: Connect, one gRPC message each.
   */
  batched?: boolean;
}

/** Counters an operator (and the tests) can read. */
export interface AgentCounters {
  eventsSent: number;
  eventsDropped: number;
  commandsApplied: number;
  commandsFailed: number;
  reconnects: number;
  /** Times reading the stream was paused because maxPendingCommands waited for the driver. */
  readPauses: number;
  /** The most commands that ever waited for the driver at once. */
  peakPendingCommands: number;
}

type Call = grpc.ClientDuplexStream<AgentMessage, ControllerMessage> | grpc.ClientDuplexStream<AgentBatch, ControllerBatch>;
/** The agent's end of one stream: commands in, events out. */
type Link = LinkStream<ControllerMessage, AgentMessage>;

/** The agent side of AgentLink. Emits 'welcome' (sessionId) and 'disconnected' (reason, and the gRPC status when the stream failed with one). */
export class EdgeAgent extends EventEmitter {
  readonly counters: AgentCounters = { eventsSent: 0, eventsDropped: 0, commandsApplied: 0, commandsFailed: 0, reconnects: 0, readPauses: 0, peakPendingCommands: 0 };
  /** One client per address dialled (a host name may resolve to several). */
  private readonly clients = new Map<string, AgentLinkClient>();
  /** The instances, as configured (host:port). */
  private readonly targets: string[];
  /** The addresses of the current round (targets resolved), and the one dialled now. */
  private addresses: { address: string; name: string | undefined }[] = [];
  private next = 0;
  /** The client of the stream now (or the last one). */
  private current: AgentLinkClient | undefined;
  /** Rounds through the addresses begun (the first dials the targets as given). */
  private rounds = 0;
  private readonly log: Logger;
  /** Failed commands (about stations, so as many as stations can cause): rate-limited per BSS. */
  private readonly commandLog: StationLog;
  /** The current stream (a new one per connection) and its call. */
  private link: Link | undefined;
  private call: Call | undefined;
  private outSeq = 0n;
  private inSeq = 0n;
  private welcomed = false;
  private stopped = false;
  private attempt = 0;
  private retryTimer: NodeJS.Timeout | undefined;
  private readonly ownBss = new Set<string>();

  constructor(private readonly opts: AgentOptions) {
    super();
    this.log = opts.logger.child({ agent: opts.agentId });
    this.commandLog = new StationLog(this.log);
    this.targets = [opts.target, ...(opts.alternates ?? [])];
    for (const b of opts.driver.bsses()) this.ownBss.add(macKey(b.bssid));
  }

  /** True while a stream is open and welcomed. */
  get connected(): boolean {
    return this.welcomed;
  }

  /** Starts the driver and connects. */
  async start(): Promise<void> {
    await this.opts.driver.start((e) => this.onDriverEvent(e));
    this.connect();
  }

  /** Closes the stream and stops the driver. */
  async stop(): Promise<void> {
    this.stopped = true;
    if (this.retryTimer) clearTimeout(this.retryTimer);
    const call = this.call;
    this.link?.close();
    this.link = undefined;
    this.call = undefined;
    this.welcomed = false;
    call?.end();
    call?.cancel();
    for (const c of this.clients.values()) c.close();
    this.clients.clear();
    await this.opts.driver.stop();
    this.commandLog.close();
  }

  /** The authenticator address dialled now (host:port). */
  get dialled(): string | undefined {
    return this.addresses[(this.next + this.addresses.length - 1) % Math.max(1, this.addresses.length)]?.address;
  }

  /**
   * The first round dials the targets as given (at once: the Hello goes out right after the
   * driver starts). Each later round resolves them first: a name with several addresses
   * (several instances behind one DNS name) gives one each, dialled by address with the name
   * kept for TLS.
   */
  private async resolveRound(): Promise<void> {
    const out: { address: string; name: string | undefined }[] = [];
    for (const t of this.targets) out.push(...(await resolveTarget(t)));
    this.addresses = out.length > 0 ? out : this.targets.map((t) => ({ address: t, name: undefined }));
    this.next = 0;
    // Addresses a name no longer resolves to: their clients go (the table is this round's).
    const now = new Set(this.addresses.map((x) => x.address));
    for (const [address, c] of this.clients) {
      if (now.has(address) || c === this.current) continue;
      c.close();
      this.clients.delete(address);
    }
  }

  /** The client for one address (made once, kept). */
  private clientFor(a: { address: string; name: string | undefined }): AgentLinkClient {
    let c = this.clients.get(a.address);
    if (c === undefined) {
      const maxBytes = this.opts.maxMessageBytes ?? 65536;
      c = new AgentLinkClient(a.address, this.opts.credentials ?? grpc.credentials.createInsecure(), {
        'grpc.keepalive_time_ms': this.opts.keepaliveTimeMs ?? 20000,
        'grpc.keepalive_timeout_ms': this.opts.keepaliveTimeoutMs ?? 10000,
        'grpc.keepalive_permit_without_calls': 1,
        'grpc.max_receive_message_length': maxBytes,
        'grpc.max_send_message_length': maxBytes,
        // Our own backoff decides when to retry; grpc's would stack on it.
        'grpc.initial_reconnect_backoff_ms': 100,
        'grpc.max_reconnect_backoff_ms': 2000,
        // A long-lived bidirectional stream is never retried by grpc-js (the agent reconnects
        // and resyncs itself); without this, every written message also goes through the
        // retry layer's buffer.
        'grpc.enable_retries': 0,
        // An address of a name: TLS checks the name, not the address.
        ...(a.name === undefined ? {} : { 'grpc.ssl_target_name_override': a.name, 'grpc.default_authority': a.name }),
        ...this.opts.channelOptions,
      });
      this.clients.set(a.address, c);
    }
    return c;
  }

  private connect(): void {
    if (this.stopped) return;
    if (this.next >= this.addresses.length) {
      if (this.rounds++ === 0) {
        this.addresses = this.targets.map((t) => ({ address: t, name: undefined }));
        this.next = 0;
      } else {
        this.resolveRound().then(
          () => this.connect(),
          (e: unknown) => {
            this.log.error({ err: e instanceof Error ? e.message : String(e) }, 'cannot resolve the authenticator addresses; retrying');
            this.retryTimer = setTimeout(() => this.connect(), this.opts.backoffMaxMs ?? 10000);
          },
        );
        return;
      }
    }
    this.open(this.clientFor(this.addresses[this.next++]));
  }

  private open(client: AgentLinkClient): void {
    if (this.stopped) return;
    this.current = client;
    this.outSeq = 0n;
    this.inSeq = 0n;
    this.welcomed = false;
    const batched = this.opts.batched !== false;
    const call: Call = batched ? client.connectBatched() : client.connect();
    const link: Link = new LinkStream<ControllerMessage, AgentMessage>(call, {
      batched,
      maxMessageBytes: this.opts.maxMessageBytes ?? 65536,
      sendQueue: this.opts.eventQueue ?? 8192,
      // Commands wait here for the driver; past this many the authenticator's writes push back.
      receiveQueue: this.opts.maxPendingCommands ?? 1024,
      // An authenticator that reads nothing: give the stream up and reconnect (the Hello
      // carries the station table) rather than hold events without bound.
      onOverflow: (waiting) => this.lost(link, `the authenticator reads nothing: ${waiting} events wait to be sent`),
      onReadPause: () => this.counters.readPauses++,
      onEnd: (end) => {
        if (end.how !== 'error') this.lost(link, 'authenticator ended the stream');
        else {
          const e = end.error;
          this.lost(link, `${e.code === undefined ? 'error' : (grpc.status[e.code] ?? e.code)}: ${e.details || e.message}`, e.code);
        }
      },
    });
    this.link = link;
    this.call = call;
    const d = this.opts.driver;
    const hello = encodeHello({ agentId: this.opts.agentId, softwareVersion: this.opts.softwareVersion ?? 'airlock-edge-agent/0.1.0', reportsTxStatus: d.reportsTxStatus, bsses: d.bsses(), stations: d.stations() });
    this.write(link, { $case: 'hello', value: hello });
    this.read(link).catch((e: unknown) => {
      this.log.error({ err: e instanceof Error ? { message: e.message, stack: e.stack } : String(e) }, 'internal error reading the stream; reconnecting');
      this.lost(link, 'internal error');
    });
  }

  /**
   * Takes the authenticator's messages in seq order and applies each command before the
   * next: a driver call that is still running holds the rest back (while they pile up, the
   * stream stops being read: maxPendingCommands). Synchronous driver calls (the sim
   * driver's) run without a promise per command.
   */
  private async read(link: Link): Promise<void> {
    for await (const m of link) {
      if (this.link !== link) return;
      // The most commands that waited for the driver (the link's queue bounds them).
      if (link.peakWaiting > this.counters.peakPendingCommands) this.counters.peakPendingCommands = link.peakWaiting;
      const running = this.onMessage(link, m);
      if (running !== undefined) await running;
    }
  }

  private lost(link: Link, reason: string, code?: grpc.status): void {
    if (this.link !== link) return;
    const call = this.call;
    this.link = undefined;
    this.call = undefined;
    link.close();
    const wasWelcomed = this.welcomed;
    this.welcomed = false;
    call?.cancel();
    if (this.stopped) return;
    this.emit('disconnected', reason, code);
    this.log.warn({ reason, authenticator: this.dialled }, 'stream lost');
    if (wasWelcomed) this.attempt = 0;
    let delay: number;
    if (this.addresses.length > 1 && wasWelcomed) {
      // Another instance is there: go at once (a little jitter spreads a fleet whose
      // instance died), without backoff; the backoff counts rounds of all of them.
      delay = Math.random() * Math.min(100, this.opts.backoffInitialMs ?? 250);
    } else {
      const base = Math.min(this.opts.backoffMaxMs ?? 10000, (this.opts.backoffInitialMs ?? 250) * 2 ** this.attempt);
      if (this.next >= this.addresses.length) this.attempt = Math.min(this.attempt + 1, 16);
      delay = this.next < this.addresses.length ? Math.random() * Math.min(100, base) : base * (0.5 + Math.random());
    }
    this.counters.reconnects++;
    this.retryTimer = setTimeout(() => this.connect(), delay);
  }

  private write(link: Link, body: AgentBody, droppable = false): void {
    if (this.link !== link) return;
    if (!link.accepts(droppable)) {
      this.counters.eventsDropped++;
      return;
    }
    this.outSeq += 1n;
    link.send({ seq: this.outSeq, body });
  }

  private onDriverEvent(e: LinkEvent): void {
    const link = this.link;
    if (link === undefined) {
      // Not connected: the station table of the next Hello carries the state instead.
      // (Between Hello and Welcome events may flow: the authenticator reads them after
      // the Hello, in order.)
      this.counters.eventsDropped++;
      return;
    }
    this.counters.eventsSent++;
    // EAPOL frames (the station retransmits) and counters (the next report replaces them) may be dropped under backpressure.
    this.write(link, encodeEvent(e), e.type === 'eapol' || e.type === 'counters');
  }

  /** Handles one message of the authenticator; a promise while the driver still applies its command. */
  private onMessage(link: Link, m: ControllerMessage): Promise<void> | undefined {
    if (m.seq !== this.inSeq + 1n) {
      this.log.error({ expected: String(this.inSeq + 1n), got: String(m.seq) }, 'sequence error from the authenticator; reconnecting');
      this.lost(link, 'sequence error');
      return undefined;
    }
    this.inSeq = m.seq;
    if (!this.welcomed) {
      if (m.body?.$case !== 'welcome') {
        this.lost(link, `expected Welcome, got ${m.body?.$case ?? 'nothing'}`);
        return undefined;
      }
      this.welcomed = true;
      this.attempt = 0;
      this.log.info({ session: m.body.value.sessionId }, 'welcomed by the authenticator');
      this.emit('welcome', m.body.value.sessionId);
      const settings = m.body.value.settings;
      this.opts.driver.sessionStarted?.({ countersIntervalS: settings?.countersIntervalS ?? 0, maxPendingStationsPerBss: settings?.maxPendingStationsPerBss ?? 0, groupKeyIntervalS: settings?.groupKeyIntervalS ?? 0 });
      return undefined;
    }
    return this.applyOne(link, m);
  }

  /** Applies one command; a promise when the driver's call is still running. */
  private applyOne(link: Link, m: ControllerMessage): Promise<void> | undefined {
    let answer: boolean;
    let running: void | Promise<void>;
    try {
      [answer, running] = this.dispatch(link, m);
    } catch (e) {
      this.commandFailed(link, m, e);
      return undefined;
    }
    if (running instanceof Promise) {
      // A driver call that never settles (a netlink request lost, a hung ioctl) must not stop
      // every later command: after commandTimeoutMs it counts as failed (the authenticator
      // then ends that station's association) and the chain goes on; a late outcome is ignored.
      const limitMs = this.opts.commandTimeoutMs ?? 10_000;
      let timer: NodeJS.Timeout | undefined;
      const timedOut = new Promise<'timeout'>((resolve) => (timer = setTimeout(() => resolve('timeout'), limitMs)));
      return Promise.race([running.then(() => 'done' as const), timedOut]).then(
        (how) => {
          clearTimeout(timer);
          if (how === 'done') this.commandApplied(link, m, answer);
          else this.commandFailed(link, m, new Error(`the driver did not complete ${m.body?.$case ?? 'the command'} within ${limitMs} ms`));
        },
        (e: unknown) => {
          clearTimeout(timer);
          this.commandFailed(link, m, e);
        },
      );
    }
    this.commandApplied(link, m, answer);
    return undefined;
  }

  /** Hands a command to the driver: whether its outcome is answered, and the driver's result. */
  private dispatch(link: Link, m: ControllerMessage): [boolean, void | Promise<void>] {
    const body = m.body;
    if (body === undefined) throw new Error('empty command');
    const c = decodeCommand(body);
    if (c === undefined) throw new Error('Welcome after the session started');
    if (c.type === 'install-group-key') this.checkBss(c.bssid);
    else this.checkStation(c.bssid, c.sta);
    const d = this.opts.driver;
    const answer = answersWithResult(c);
    switch (c.type) {
      case 'transmit-eapol': {
        const seq = m.seq;
        const wantTxStatus = body.$case === 'transmitEapol' && body.value.wantTxStatus;
        d.transmitEapol(c, wantTxStatus ? (acked) => this.write(link, { $case: 'txStatus', value: { commandSeq: seq, acked } }, true) : undefined);
        return [answer, undefined];
      }
      case 'install-pairwise-key':
        return [answer, d.installPairwiseKey(c)];
      case 'install-group-key':
        return [answer, d.installGroupKey(c)];
      case 'remove-pairwise-key':
        return [answer, d.removePairwiseKey(c)];
      case 'set-port':
        return [answer, d.setPortAuthorized(c)];
      case 'disconnect':
        return [answer, d.disconnect(c)];
      case 'transmit-authentication':
        if (d.transmitAuthentication === undefined) throw new Error(`the ${d.name} driver sends no Authentication frames`);
        return [answer, d.transmitAuthentication(c)];
    }
  }

  private commandApplied(link: Link, m: ControllerMessage, answer: boolean): void {
    this.counters.commandsApplied++;
    if (answer) this.write(link, { $case: 'commandResult', value: { commandSeq: m.seq, ok: true, error: '' } });
  }

  private commandFailed(link: Link, m: ControllerMessage, e: unknown): void {
    this.counters.commandsFailed++;
    const error = e instanceof Error ? e.message : String(e);
    const body = m.body;
    const bssid = body !== undefined && 'bssid' in body.value && isMac(body.value.bssid) ? macKey(body.value.bssid) : '-';
    this.commandLog.write('warn', bssid, `command-failed:${body?.$case ?? 'empty'}`, { command: body?.$case, seq: String(m.seq), error }, 'command failed');
    this.write(link, { $case: 'commandResult', value: { commandSeq: m.seq, ok: false, error } });
  }

  private checkBss(bssid: Buffer): void {
    if (!isMac(bssid)) throw new Error('bssid must be 6 bytes');
    if (!this.ownBss.has(macKey(bssid))) throw new Error(`BSS ${formatMac(bssid)} is not served by this agent`);
  }

  private checkStation(bssid: Buffer, sta: Buffer): void {
    this.checkBss(bssid);
    if (!isMac(sta)) throw new Error('sta must be 6 bytes');
  }
}

/**
 * The addresses of one target "host:port": itself for an address, or one per address a
 * name resolves to (the name kept for TLS). A name that does not resolve is dialled as it
 * is (grpc-js resolves it and reports the failure).
 */
async function resolveTarget(target: string): Promise<{ address: string; name: string | undefined }[]> {
  const m = /^(?:\[([^\]]+)\]|([^:]+)):(\d+)$/.exec(target);
  if (m === null) return [{ address: target, name: undefined }];
  const host = m[1] ?? m[2];
  const port = m[3];
  if (isIP(host) !== 0) return [{ address: target, name: undefined }];
  try {
    const found = await lookup(host, { all: true });
    if (found.length <= 1) return [{ address: target, name: undefined }];
    return found.map((f) => ({ address: f.family === 6 ? `[${f.address}]:${port}` : `${f.address}:${port}`, name: host }));
  } catch {
    return [{ address: target, name: undefined }];
  }
}
