// The Dynamic Authorization Server's socket (node:dgram): one UDP socket on the DAS port
// (RFC 5176 §2.3: 3799 by default). Every datagram goes to the sans-I/O DasServer
// (das-server.ts) with its source and the clock; what it asks to send is sent, its requests
// go to the owner's onRequest, and the owner's answers come back through ack() / nak().
// Its time is the driver's when the driver owns one (`clock`: the authenticator service
// ticks its core, its RADIUS clients and this from its one timer), else Date.now and one
// timer of its own at the server's next deadline. Nothing here knows RADIUS.

import dgram from 'node:dgram';
import { isIP } from 'node:net';
import { DeadlineTimer } from '../client/deadline-timer.js';
import { DasServer, type DasEvent, type DasRequest, type DasServerOptions, type DasStats } from './das-server.js';

/** The IANA port of Dynamic Authorization (RFC 5176 §2.3). */
export const DAS_PORT = 3799;

/**
 * A driver's clock (the authenticator service's, as RadiusClock): the listener reads
 * `now()`, converts it to Unix ms with `wallMs()` for Event-Timestamp, and calls `wake()`
 * when its next deadline moved earlier than the one the driver last read with
 * nextDeadline(); the driver then calls tick(now) by that deadline.
 */
export interface DasClock {
  now(): number;
  wallMs(now: number): number;
  wake(): void;
}

/** Options of a DasListener: the server's, where to listen, and where requests go. */
export interface DasListenerOptions extends Omit<DasServerOptions, 'now' | 'wallMs'> {
  /** Local address to bind (default '0.0.0.0'; an IPv6 address binds a dual-stack socket). */
  address?: string;
  /** Local port (default 3799; 0: any free port, see address()). */
  port?: number;
  /** A request to act on: answer it with ack(request.handle) or nak(request.handle, errorCause), now or later. */
  onRequest(request: DasRequest): void;
  /** Every event, requests included (logs, metrics): drops, responses sent and by whom. */
  onEvent?(event: DasEvent): void;
  /** A socket error or a failed send (the client retransmits), or an exception thrown by a hook. */
  onError?(err: Error): void;
  /** The driver's clock; without it the listener keeps Date.now and a timer of its own. */
  clock?: DasClock;
}

/** A DasServer on a UDP socket. */
export class DasListener {
  private readonly das: DasServer;
  private readonly socket: dgram.Socket;
  private readonly now: () => number;
  /** Its own timer, when no driver owns the clock. */
  private readonly timer: DeadlineTimer;
  /** The earliest deadline the driver knows of (driver's clock only). */
  private announced = Infinity;
  private pumping = false;
  private started: Promise<{ address: string; port: number }> | undefined;
  private closed = false;

  /** Validates the options (TypeError as DasServer's); the socket opens at start(). */
  constructor(private readonly opts: DasListenerOptions) {
    const clock = opts.clock;
    this.now = clock !== undefined ? () => clock.now() : () => Date.now();
    this.das = new DasServer({ ...opts, now: this.now(), ...(clock !== undefined ? { wallMs: (t: number) => clock.wallMs(t) } : {}) });
    const address = opts.address ?? '0.0.0.0';
    this.socket = dgram.createSocket({ type: isIP(address) === 6 ? 'udp6' : 'udp4' });
    this.socket.on('error', (err) => this.error(err));
    this.socket.on('message', (msg, rinfo) => {
      this.das.handle(msg, { address: rinfo.address, port: rinfo.port }, this.now());
      this.pump();
    });
    this.timer = new DeadlineTimer(() => {
      this.das.tick(this.now());
      this.pump();
    }, this.now);
  }

  /** Binds the socket; resolves with the address and port bound (bind errors reject). */
  start(): Promise<{ address: string; port: number }> {
    this.started ??= new Promise((resolve, reject) => {
      const failed = (err: Error): void => reject(err);
      this.socket.once('error', failed);
      this.socket.bind({ address: this.opts.address ?? '0.0.0.0', port: this.opts.port ?? DAS_PORT }, () => {
        this.socket.off('error', failed);
        resolve(this.address());
      });
    });
    return this.started;
  }

  /** The bound address and port. */
  address(): { address: string; port: number } {
    const a = this.socket.address();
    return { address: a.address, port: a.port };
  }

  /** DasServer.ack: the owner carried out request `handle`. False when it is no longer waiting. */
  ack(handle: number, options?: { residualSessionContextRemoved?: boolean }): boolean {
    const done = this.das.ack(handle, this.now(), options);
    this.pump();
    return done;
  }

  /** DasServer.nak: the owner refuses request `handle` with `errorCause`. False when it is no longer waiting. */
  nak(handle: number, errorCause: number): boolean {
    const done = this.das.nak(handle, errorCause, this.now());
    this.pump();
    return done;
  }

  /** The driver's tick (with a driver's clock): requests the owner left unanswered are NAKed 506. */
  tick(now: number): void {
    if (this.closed) return;
    this.das.tick(now);
    this.pump();
  }

  /** When tick() has work next, on the listener's clock (undefined: nothing timed). */
  nextDeadline(): number | undefined {
    const at = this.das.nextDeadline();
    this.announced = at ?? Infinity;
    return at;
  }

  /** Counters and table sizes. */
  stats(): DasStats {
    return this.das.stats();
  }

  /** Closes the socket and the server (requests still waiting get no answer). Idempotent. */
  async close(): Promise<void> {
    if (this.closed) return;
    this.closed = true;
    this.timer.stop();
    this.das.close();
    await new Promise<void>((resolve) => {
      try {
        this.socket.close(() => resolve());
      } catch {
        resolve(); // never bound, or already closed
      }
    });
  }

  /** Sends what the server queued, delivers its events, re-arms the timer (a nested call leaves it to the outer one). */
  private pump(): void {
    if (this.pumping || this.closed) return;
    this.pumping = true;
    try {
      for (;;) {
        let busy = false;
        for (let d = this.das.pollTransmit(); d !== undefined; d = this.das.pollTransmit()) {
          busy = true;
          this.socket.send(d.bytes, d.port, d.address, (err) => {
            if (err) this.error(err);
          });
        }
        const e = this.das.pollEvent();
        if (e !== undefined) {
          busy = true;
          this.deliver(e);
        }
        if (!busy) break;
      }
    } finally {
      this.pumping = false;
    }
    const at = this.das.nextDeadline() ?? Infinity;
    if (this.opts.clock === undefined) this.timer.arm(at);
    else if (at < this.announced) {
      this.announced = at;
      this.opts.clock.wake();
    }
  }

  private deliver(e: DasEvent): void {
    try {
      this.opts.onEvent?.(e);
      if (e.type === 'request') this.opts.onRequest(e.request);
    } catch (err) {
      this.error(err);
    }
  }

  private error(e: unknown): void {
    try {
      this.opts.onError?.(e instanceof Error ? e : new Error(String(e)));
    } catch {
      // A failing hook must not break the server.
    }
  }
}
