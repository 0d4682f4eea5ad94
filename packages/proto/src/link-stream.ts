/**
 * One AgentLink stream as both ends use it (CONVENTIONS.md 16, nice-grpc's shape): what
 * arrives is an async iterable of messages (batches unpacked), what leaves goes through an
 * Outbox whose writer awaits 'drain'; both directions are bounded.
 *
 * - In: messages wait in a queue until the consumer takes them. At `receiveQueue` waiting
 *   the stream is paused — grpc-js stops reading, HTTP/2 flow control holds the peer back —
 *   and it resumes once half of them were taken. A consumer that takes its time (a slow
 *   driver, a rate limit) so bounds what the peer can make this process hold.
 * - Out: see Outbox (bounded backlog, droppable messages refused and counted by the caller,
 *   overflow gives the stream up).
 *
 * The stream's end is reported once (onEnd) as soon as it is known, except a clean 'end'
 * of the peer's side: that is reported once the consumer has taken what came before it.
 * After the owner's close() nothing is reported, delivered or written.
 */
import type { EventEmitter } from 'node:events';
import { Fifo } from './fifo.js';
import { Outbox } from './outbox.js';

type Message = { body?: { $case: string; value: unknown } | undefined };

/** The part of a grpc-js duplex call (either end, Connect or ConnectBatched) a LinkStream uses. */
export interface LinkCall extends Pick<EventEmitter, 'on' | 'removeListener'> {
  write(message: unknown, callback?: () => void): boolean;
  end(): void;
  pause(): unknown;
  resume(): unknown;
}

/** How a stream ended: the peer finished its side, failed it (with the status when gRPC gave one), or it went away. */
export type LinkEnd =
  | { how: 'end' }
  | { how: 'error'; error: Error & { code?: number; details?: string } }
  | { how: 'cancelled' }
  | { how: 'close' };

/** How a LinkStream is built. */
export interface LinkStreamOptions<Out extends Message> {
  /** ConnectBatched: messages travel in AgentBatch / ControllerBatch. */
  batched: boolean;
  /** The gRPC message size limit (an outgoing batch stays under half of it). */
  maxMessageBytes: number;
  /** Outgoing messages waiting for 'drain' past which droppable ones are refused (Outbox queueLimit). */
  sendQueue: number;
  /** Outgoing messages waiting, of any kind, past which the stream is given up (default 4 x sendQueue). */
  sendHardLimit?: number;
  /** Incoming messages waiting for the consumer at which reading pauses (it resumes at half). */
  receiveQueue: number;
  /** gRPC is done with an outgoing message (serialized, or failed): e.g. wipe the key it carries. */
  written?: (m: Out) => void;
  /** An outgoing message dropped unwritten when the stream closed. */
  discarded?: (m: Out) => void;
  /** The peer reads nothing: `waiting` outgoing messages passed sendHardLimit (what waited is discarded). */
  onOverflow(waiting: number): void;
  /** The stream ended from the other side or in transport (once; not after close()). */
  onEnd(end: LinkEnd): void;
  /** Reading was paused because receiveQueue messages wait for the consumer. */
  onReadPause?(): void;
}

/** Resolves at the call's next 'drain', or when it can no longer drain. */
function nextDrain(call: LinkCall): Promise<void> {
  return new Promise((resolve) => {
    const events = ['drain', 'close', 'finish', 'error'];
    const done = (): void => {
      for (const e of events) call.removeListener(e, done);
      resolve();
    };
    for (const e of events) call.on(e, done);
  });
}

/** One AgentLink stream: `for await (const m of link)` reads, `send` writes. */
export class LinkStream<In, Out extends Message> implements AsyncIterable<In>, AsyncIterator<In> {
  private readonly outbox: Outbox<Out>;
  /** Received and not yet taken. */
  private readonly inbox = new Fifo<In>();
  private readPaused = false;
  /** The most incoming messages that ever waited for the consumer at once. */
  private peak = 0;
  /** The peer's side is over (and how). */
  private over: LinkEnd | undefined;
  private reported = false;
  private closed = false;
  /** The consumer waiting in next(). */
  private waiter: ((r: IteratorResult<In>) => void) | undefined;

  constructor(
    private readonly call: LinkCall,
    private readonly o: LinkStreamOptions<Out>,
  ) {
    if (o.batched) call.on('data', (b: { messages: In[] }) => this.received(b.messages));
    else call.on('data', (m: In) => this.received([m]));
    call.on('end', () => this.finished({ how: 'end' }));
    // Always listened to: a call without an 'error' listener crashes the process.
    call.on('error', (error: Error) => this.finished({ how: 'error', error }));
    call.on('cancelled', () => this.finished({ how: 'cancelled' }));
    call.on('close', () => this.finished({ how: 'close' }));
    const written = o.written;
    this.outbox = new Outbox<Out>({
      batched: o.batched,
      maxMessageBytes: o.maxMessageBytes,
      queueLimit: o.sendQueue,
      hardLimit: o.sendHardLimit,
      writeOne: written === undefined ? (m) => call.write(m) : (m) => call.write(m, () => written(m)),
      writeBatch:
        written === undefined
          ? (messages) => call.write({ messages })
          : (messages) =>
              call.write({ messages }, () => {
                for (const m of messages) written(m);
              }),
      drained: () => nextDrain(call),
      discarded: o.discarded,
      onOverflow: (waiting) => o.onOverflow(waiting),
    });
  }

  /** Incoming messages waiting for the consumer. */
  get waiting(): number {
    return this.inbox.length;
  }

  /** The most incoming messages that ever waited for the consumer at once (at most receiveQueue, plus the rest of a batch). */
  get peakWaiting(): number {
    return this.peak;
  }

  /** Outgoing messages not written yet (waiting for the end of the turn or for 'drain'). */
  get sendWaiting(): number {
    return this.outbox.waiting;
  }

  /** False only for a droppable message while the stream pushes back and sendQueue messages wait. */
  accepts(droppable: boolean): boolean {
    return !this.closed && this.outbox.accepts(droppable);
  }

  /** Sends `m` in order (now, at the end of this turn, or after 'drain'). */
  send(m: Out): void {
    this.outbox.push(m);
  }

  /** What waits goes out, then this side of the stream ends (and this end closes). */
  end(): void {
    if (this.closed) return;
    this.outbox.flush();
    this.close();
    this.call.end();
  }

  /** This end is done with the stream: nothing more is read, reported or written; what waits is dropped. */
  close(): void {
    if (this.closed) return;
    this.closed = true;
    this.outbox.close();
    this.inbox.clear();
    this.settle();
  }

  [Symbol.asyncIterator](): AsyncIterator<In> {
    return this;
  }

  /** The next incoming message, in order; done once the stream is over (or closed) and nothing waits. */
  next(): Promise<IteratorResult<In>> {
    if (this.closed) return Promise.resolve({ done: true, value: undefined });
    if (this.inbox.length > 0) return Promise.resolve({ done: false, value: this.take() });
    if (this.over !== undefined) {
      this.report();
      return Promise.resolve({ done: true, value: undefined });
    }
    return new Promise((resolve) => (this.waiter = resolve));
  }

  /** The consumer stopped iterating (the stream stays as it is: close() ends it). */
  return(): Promise<IteratorResult<In>> {
    return Promise.resolve({ done: true, value: undefined });
  }

  private received(messages: In[]): void {
    if (this.closed || this.over !== undefined) return;
    let i = 0;
    if (this.waiter !== undefined && messages.length > 0) {
      const w = this.waiter;
      this.waiter = undefined;
      w({ done: false, value: messages[i++] });
    }
    for (; i < messages.length; i++) this.inbox.push(messages[i]);
    if (this.waiting > this.peak) this.peak = this.waiting;
    if (!this.readPaused && this.waiting >= this.o.receiveQueue) {
      this.readPaused = true;
      this.call.pause();
      this.o.onReadPause?.();
    }
  }

  private take(): In {
    const m = this.inbox.take(1)[0];
    if (this.readPaused && this.over === undefined && this.waiting <= this.o.receiveQueue / 2) {
      this.readPaused = false;
      this.call.resume();
    }
    return m;
  }

  private finished(end: LinkEnd): void {
    if (this.closed || this.over !== undefined) return;
    this.over = end;
    // A clean end comes after everything the peer sent: that is taken first. A failure
    // or a cancellation leaves nothing worth acting on.
    if (end.how !== 'end') this.inbox.clear();
    if (this.waiting === 0) this.report();
    this.settle();
  }

  /** Tells the owner how the stream ended (once). */
  private report(): void {
    if (this.reported || this.closed || this.over === undefined) return;
    this.reported = true;
    this.o.onEnd(this.over);
  }

  /** A consumer waiting in next() hears that nothing more comes. */
  private settle(): void {
    const w = this.waiter;
    if (w === undefined || (!this.closed && this.over === undefined)) return;
    this.waiter = undefined;
    w({ done: true, value: undefined });
  }
}
