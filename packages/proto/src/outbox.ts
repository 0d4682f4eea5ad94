/**
 * The sending side of one AgentLink stream, the same at both ends (the edge agent's events,
 * the authenticator's commands). Messages go out in the order they are pushed. On
 * ConnectBatched every message pushed in one event-loop turn leaves in as few gRPC messages
 * as fit under half the message limit; on Connect each is written at once.
 *
 * Flow control (DESIGN.md "Flow control"): when a write returns false the outbox stops
 * writing and awaits the stream's 'drain' (`drained`); what is pushed meanwhile waits in a
 * backlog, in order. The backlog is bounded: while the stream pushes back, a droppable
 * message is refused once `queueLimit` wait (the caller drops and counts it), and past
 * `hardLimit` of any kind the peer is not reading its stream — the outbox gives up
 * (onOverflow, once; what waits is discarded) instead of growing this process's memory for
 * it. The caller ends the stream; the peer reconnects.
 */
import { runLength } from './batching.js';
import { Fifo } from './fifo.js';

type Message = { body?: { $case: string; value: unknown } | undefined };

/** How an Outbox writes to its stream. */
export interface OutboxOptions<M extends Message> {
  /** ConnectBatched (writeBatch) or Connect (writeOne). */
  batched: boolean;
  /** The gRPC message size limit (a batch stays under half of it). */
  maxMessageBytes: number;
  /** Messages waiting for 'drain' beyond which droppable ones are refused. */
  queueLimit: number;
  /** Writes one message; false when the stream wants a 'drain' first. */
  writeOne(m: M): boolean;
  /** Writes one batch; false when the stream wants a 'drain' first. */
  writeBatch(ms: M[]): boolean;
  /** Resolves at the stream's next 'drain' (or once it can no longer drain: closed, failed). */
  drained(): Promise<void>;
  /** A message that close() dropped unwritten (e.g. to wipe the key it carries). */
  discarded?(m: M): void;
  /** Messages waiting for 'drain', of any kind, past which the stream is given up (default 4 x queueLimit). */
  hardLimit?: number;
  /** Called once when the backlog passes hardLimit; the outbox is closed by then. */
  onOverflow?(waiting: number): void;
}

export class Outbox<M extends Message> {
  /** Messages not written yet. */
  private readonly backlog = new Fifo<M>();
  /** A write returned false: nothing is written until 'drain'. */
  private draining = false;
  private flushScheduled = false;
  private closed = false;

  constructor(private readonly o: OutboxOptions<M>) {}

  /** Messages pushed and not written yet. */
  get waiting(): number {
    return this.backlog.length;
  }

  /** False only for a droppable message while the stream pushes back and the backlog is full. */
  accepts(droppable: boolean): boolean {
    return !(droppable && this.draining && this.waiting >= this.o.queueLimit);
  }

  /** Sends `m` (now, at the end of this turn, or after 'drain'). */
  push(m: M): void {
    if (this.closed) {
      this.o.discarded?.(m);
      return;
    }
    if (this.draining && this.waiting >= (this.o.hardLimit ?? 4 * this.o.queueLimit)) {
      const waiting = this.waiting + 1;
      this.o.discarded?.(m);
      this.close();
      this.o.onOverflow?.(waiting);
      return;
    }
    if (!this.o.batched && !this.draining) {
      // Connect, and the stream takes writes: nothing waits (the backlog empties before
      // `draining` is cleared), so this one goes now.
      if (!this.o.writeOne(m)) this.pushedBack();
      return;
    }
    this.backlog.push(m);
    if (!this.draining && !this.flushScheduled) {
      this.flushScheduled = true;
      setImmediate(() => {
        this.flushScheduled = false;
        if (!this.draining) this.writeWaiting();
      });
    }
  }

  /**
   * Writes everything that waits now, whether the stream pushes back or not: only before
   * the stream ends (what waits is bounded by the limits above), so that it goes out first.
   */
  flush(): void {
    while (!this.closed && this.waiting > 0) this.writeRun();
  }

  /** The stream is over: nothing more is written, what waits (and what is pushed later) is dropped. */
  close(): void {
    if (this.closed) return;
    this.closed = true;
    const dropped = this.backlog.clear();
    if (this.o.discarded !== undefined) for (const m of dropped) this.o.discarded(m);
  }

  /** Writes runs from the backlog until it is empty or the stream pushes back. */
  private writeWaiting(): void {
    while (!this.closed && this.waiting > 0) {
      if (!this.writeRun()) {
        this.pushedBack();
        return;
      }
    }
  }

  /** The stream wants a 'drain': await it, then write what waits. */
  private pushedBack(): void {
    this.draining = true;
    void this.o.drained().then(() => {
      if (this.closed) return;
      this.draining = false;
      this.writeWaiting();
    });
  }

  /** Writes the next run (one message, or a batch of as many as fit); the stream's answer. */
  private writeRun(): boolean {
    if (!this.o.batched) return this.o.writeOne(this.backlog.take(1)[0]);
    const n = runLength((i) => this.backlog.at(i), this.o.maxMessageBytes / 2);
    return this.o.writeBatch(this.backlog.take(n));
  }
}
