/**
 * The sending side of one AgentLink stream, the same at both ends (the edge agent's events,
 * the authenticator's commands). Messages go out in the order they are pushed. On
 * ConnectBatched every message pushed in one event-loop turn leaves in as few gRPC messages
 * as fit under half the message limit (splitBatches); on Connect each is written at once.
 * While the stream pushes back (write() returned false, until 'drain') messages wait in a
 * backlog; a droppable one is refused when the backlog already holds `queueLimit`. The
 * backlog is bounded for the others too: past `hardLimit` the peer is not reading its
 * stream, and the outbox gives up (onOverflow, once; what waits is discarded) instead of
 * growing this process's memory for it. The caller ends the stream; the peer reconnects.
 */
import { splitBatches } from './batching.js';

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
  /** A message that close() dropped unwritten (e.g. to wipe the key it carries). */
  discarded?(m: M): void;
  /** Messages waiting for 'drain', of any kind, past which the stream is given up (default 4 x queueLimit). */
  hardLimit?: number;
  /** Called once when the backlog passes hardLimit; the outbox is closed by then. */
  onOverflow?(waiting: number): void;
}

export class Outbox<M extends Message> {
  private readonly backlog: M[] = [];
  private draining = false;
  private flushScheduled = false;
  private closed = false;

  constructor(private readonly o: OutboxOptions<M>) {}

  /** False only for a droppable message while the stream pushes back and the backlog is full. */
  accepts(droppable: boolean): boolean {
    return !(droppable && this.draining && this.backlog.length >= this.o.queueLimit);
  }

  /** Sends `m` (now, at the end of this turn, or after 'drain'). */
  push(m: M): void {
    if (this.closed) return;
    if (this.draining && this.backlog.length >= (this.o.hardLimit ?? 4 * this.o.queueLimit)) {
      const waiting = this.backlog.length + 1;
      this.o.discarded?.(m);
      this.close();
      this.o.onOverflow?.(waiting);
      return;
    }
    if (this.o.batched) {
      this.backlog.push(m);
      if (!this.draining && !this.flushScheduled) {
        this.flushScheduled = true;
        setImmediate(() => {
          this.flushScheduled = false;
          this.flush();
        });
      }
    } else if (this.draining) {
      this.backlog.push(m);
    } else if (!this.o.writeOne(m)) {
      this.draining = true;
    }
  }

  /** Writes what waits: on 'drain', and before the stream ends. */
  flush(): void {
    if (this.closed) return;
    this.draining = false;
    if (this.o.batched) {
      if (this.backlog.length === 0) return;
      for (const messages of splitBatches(this.backlog.splice(0), this.o.maxMessageBytes / 2)) {
        if (!this.o.writeBatch(messages)) this.draining = true;
      }
      return;
    }
    while (this.backlog.length > 0) {
      if (!this.o.writeOne(this.backlog.shift()!)) {
        this.draining = true;
        return;
      }
    }
  }

  /** The stream is over: nothing more is written, what waits is dropped. */
  close(): void {
    this.closed = true;
    const dropped = this.backlog.splice(0);
    if (this.o.discarded !== undefined) for (const m of dropped) this.o.discarded(m);
  }
}
