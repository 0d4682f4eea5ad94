/**
 * One agent's AgentLink stream (DESIGN.md "Wire protocol"): per-direction seq checked and
 * assigned, Hello first, commands written in order with a bounded queue that honours
 * write() backpressure, and the command seq <-> core reference map for results.
 */
import { randomUUID } from 'node:crypto';
import { status, type ServerDuplexStream } from '@grpc/grpc-js';
import type { AgentHello, LinkCommand } from '@airlock/link';
import { decodeHello, encodeCommand, Outbox, type AgentBatch, type AgentMessage, type ControllerBatch, type ControllerMessage } from '@airlock/proto';
import type { Logger } from 'pino';
import { truncateText, type RateLimitedLevel } from './logging.js';

/** The two shapes of an AgentLink stream: Connect (a message per gRPC message) and ConnectBatched. */
export type AgentCall = ServerDuplexStream<AgentMessage, ControllerMessage> | ServerDuplexStream<AgentBatch, ControllerBatch>;

/** A command body the authenticator sends. */
export type CommandBody = NonNullable<ControllerMessage['body']>;

/** A Hello's outcome: welcomed, or the status ending the stream (`redirect`: not an error of the agent's). */
export type HelloResult = { ok: true } | { ok: false; code: status; message: string; redirect?: boolean };

/** What a session needs from the service that owns it. */
export interface SessionHost {
  /** Validates and registers a Hello; returns the Welcome settings or why not. */
  hello(session: AgentSession, hello: AgentHello): HelloResult;
  /** An event after Hello, in stream order. */
  event(session: AgentSession, msg: AgentMessage): void;
  /** The stream is over (for whatever reason). */
  gone(session: AgentSession, why: string): void;
  /** A protocol error that ends the stream (counted by reason). */
  protocolError(reason: string): void;
  /** An outgoing command was dropped (queue full). */
  sendDropped(reason: string): void;
  /** The agent sent faster than its message rate: its stream is paused for a while. */
  throttled(): void;
  /**
   * A log line driven by the agent's input, on `session.log`: rate-limited per agent and kind
   * of line (`what`), its strings already truncated by the caller.
   */
  remoteLine(session: AgentSession, level: RateLimitedLevel, what: string, obj: object, msg: string): void;
}

/** Limits of one session. */
export interface SessionLimits {
  /** Commands waiting for 'drain' beyond which transmits are dropped. */
  sendQueue: number;
  /** Messages per second read from the agent, sustained, and the burst (a token bucket). */
  messagesPerS: number;
  messageBurst: number;
  /** gRPC message size limit: a batch stays under half of it. */
  maxMessageBytes: number;
}

/**
 * Overwrites the key of an InstallPairwiseKey/InstallGroupKey command that has been written
 * (or dropped): the core handed the glue its own copy of the TK/GTK (DESIGN.md "Secrets in
 * memory").
 */
export function wipeCommandKey(m: ControllerMessage): void {
  const b = m.body;
  if (b?.$case === 'installPairwiseKey' || b?.$case === 'installGroupKey') b.value.key.fill(0);
}

/** A command's outcome: what the core must hear about it. */
export interface PendingCommand {
  ref: number;
}

/** The server side of one agent stream. */
export class AgentSession {
  readonly sessionId = randomUUID();
  agentId: string | undefined;
  /** The agent's "address:port" as the gRPC server sees it. */
  readonly peer: string;
  /** When the stream opened (Unix ms). */
  readonly connectedAt = Date.now();
  log: Logger;
  closed = false;
  /** BSS keys (macKey) this session serves. */
  readonly bssKeys = new Set<string>();
  private inSeq = 0n;
  private outSeq = 0n;
  private readonly outbox: Outbox<ControllerMessage>;
  /** Core reference of each command waiting for its result, by seq (as a number: a BigInt key hashes slowly, and a stream never reaches 2^53 commands). */
  private readonly pending = new Map<number, number>();
  /** Message token bucket: when empty, reading pauses (HTTP/2 flow control holds the agent back). */
  private tokens: number;
  private tokensAt = performance.now();
  private resumeTimer: NodeJS.Timeout | undefined;

  constructor(
    private readonly call: AgentCall,
    private readonly host: SessionHost,
    logger: Logger,
    private readonly limits: SessionLimits,
    /** The identity its client certificate proves (mTLS), or undefined (plaintext). */
    readonly peerIdentity?: string,
    /** ConnectBatched: messages arrive in batches, and commands of one turn leave in one. */
    private readonly batched = false,
  ) {
    this.peer = call.getPeer();
    this.log = logger.child({ session: this.sessionId, peer: this.peer, cert: peerIdentity === undefined ? undefined : truncateText(peerIdentity) });
    this.tokens = limits.messageBurst;
    if (batched) {
      call.on('data', (b: AgentBatch) => {
        for (const m of b.messages) {
          if (this.closed) return;
          this.onMessage(m);
        }
      });
    } else {
      call.on('data', (m: AgentMessage) => this.onMessage(m));
    }
    call.on('end', () => this.close('agent ended the stream'));
    call.on('error', (e: Error) => this.close(`stream error: ${e.message}`));
    call.on('cancelled', () => this.close('agent cancelled the stream'));
    call.on('close', () => this.close('stream closed'));
    this.outbox = new Outbox<ControllerMessage>({
      batched,
      maxMessageBytes: limits.maxMessageBytes,
      queueLimit: limits.sendQueue,
      // A key command's key is wiped once gRPC is done with the message (the write callback
      // runs after it was serialized, or failed): a message waiting in the stream's buffer
      // still refers to it.
      writeOne: (m) => (call as ServerDuplexStream<AgentMessage, ControllerMessage>).write(m, () => wipeCommandKey(m)),
      writeBatch: (messages) =>
        (call as ServerDuplexStream<AgentBatch, ControllerBatch>).write({ messages }, () => {
          for (const m of messages) wipeCommandKey(m);
        }),
      discarded: wipeCommandKey,
      // An agent that reads nothing: its commands are not held without bound (their keys are
      // wiped as they are discarded); the stream ends and the agent reconnects.
      onOverflow: (waiting) => {
        this.host.protocolError('send_queue_overflow');
        this.fail(status.RESOURCE_EXHAUSTED, `the agent reads nothing: ${waiting} commands wait to be sent (limits.agent_send_queue x 4)`);
      },
    });
    call.on('drain', () => this.outbox.flush());
  }

  /** Sends a command; `ref` is remembered so the agent's result reaches the core. */
  send(body: CommandBody, ref?: number, droppable = false): void {
    if (this.closed) return;
    if (!this.outbox.accepts(droppable)) {
      // Bounded: a transmit that cannot be queued is dropped and counted; EAPOL
      // retransmission recovers it. Key and port commands are never dropped.
      this.host.sendDropped('send_queue_full');
      return;
    }
    this.outSeq += 1n;
    if (ref !== undefined) this.pending.set(Number(this.outSeq), ref);
    this.outbox.push({ seq: this.outSeq, body });
  }

  /**
   * Sends a command of the link vocabulary. With a `ref` the core hears its outcome: the
   * result of a key install or a port change, the TX status of a transmit.
   */
  command(c: LinkCommand, ref?: number, droppable = false): void {
    if (this.closed) return;
    this.send(encodeCommand(c, ref !== undefined), ref, droppable);
  }

  /** The core reference of a command seq (and forgets it). */
  takeRef(commandSeq: bigint): number | undefined {
    const seq = Number(commandSeq);
    const ref = this.pending.get(seq);
    if (ref !== undefined) this.pending.delete(seq);
    return ref;
  }

  /** Ends the stream with a status a person can act on. */
  fail(code: status, message: string): void {
    if (this.closed) return;
    // The message may quote the agent's input (its id, its certificate's name).
    this.host.remoteLine(this, 'warn', 'stream-ended', { code: status[code], reason: truncateText(message, 512) }, 'ending agent stream');
    this.closed = true;
    this.outbox.close();
    const err = Object.assign(new Error(message), { code, details: message });
    this.call.emit('error', err);
    this.host.gone(this, message);
  }

  /** Ends the stream normally (authenticator shutting down). */
  end(): void {
    if (this.closed) return;
    this.outbox.flush(); // what is queued goes out first (batched: this turn's commands)
    this.outbox.close();
    this.closed = true;
    this.call.end();
    this.host.gone(this, 'authenticator closed the stream');
  }

  private onMessage(m: AgentMessage): void {
    if (this.closed) return;
    this.meter();
    // Every message carries seq, from 1, +1 each: a gap or a duplicate ends the stream.
    const expected = this.inSeq + 1n;
    if (m.seq !== expected) {
      const reason = m.seq === 0n ? 'seq_zero' : m.seq <= this.inSeq ? 'duplicate_seq' : 'seq_gap';
      const what = { seq_zero: 'seq must start at 1', duplicate_seq: 'duplicate sequence number', seq_gap: 'sequence gap' }[reason];
      this.host.protocolError(reason);
      this.fail(status.FAILED_PRECONDITION, `${what}: expected seq ${expected}, got ${m.seq}`);
      return;
    }
    this.inSeq = m.seq;
    const body = m.body;
    if (this.agentId === undefined) {
      if (body?.$case !== 'hello') {
        this.host.protocolError('no_hello');
        this.fail(status.FAILED_PRECONDITION, `the first message must be Hello, got ${body?.$case ?? 'an empty message'}`);
        return;
      }
      const r = this.host.hello(this, decodeHello(body.value));
      if (!r.ok) {
        if (r.redirect !== true) this.host.protocolError('bad_hello');
        this.fail(r.code, r.message);
      }
      return;
    }
    if (body?.$case === 'hello') {
      this.host.protocolError('repeated_hello');
      this.fail(status.FAILED_PRECONDITION, 'Hello may only be the first message of a stream');
      return;
    }
    try {
      this.host.event(this, m);
    } catch (e) {
      // A bug must not take the other agents down with it: end this stream (the agent
      // reconnects and resyncs) and keep serving.
      this.log.error({ err: e instanceof Error ? { message: e.message, stack: e.stack } : String(e), event: body?.$case }, 'internal error handling an agent event');
      this.host.protocolError('internal_error');
      this.fail(status.INTERNAL, 'internal error in the authenticator; reconnect');
    }
  }

  /**
   * One token per message. An agent over its rate is not cut off and nothing it sent is
   * dropped: its stream stops being read until the bucket refills, so HTTP/2 flow control
   * makes the agent wait, and the other agents keep their share of the event loop.
   */
  private meter(): void {
    const now = performance.now();
    const { messagesPerS, messageBurst } = this.limits;
    this.tokens = Math.min(messageBurst, this.tokens + ((now - this.tokensAt) * messagesPerS) / 1000);
    this.tokensAt = now;
    this.tokens -= 1;
    if (this.tokens >= 0 || this.resumeTimer !== undefined) return;
    this.call.pause();
    this.host.throttled();
    // Resume once the bucket is back to a tenth of the burst (at least one message).
    const waitMs = Math.ceil(((Math.max(1, messageBurst / 10) - this.tokens) * 1000) / messagesPerS);
    this.resumeTimer = setTimeout(() => {
      this.resumeTimer = undefined;
      if (!this.closed) this.call.resume();
    }, waitMs);
  }

  private close(why: string): void {
    if (this.closed) return;
    clearTimeout(this.resumeTimer);
    this.resumeTimer = undefined;
    this.closed = true;
    this.outbox.close();
    this.host.gone(this, why);
  }
}
