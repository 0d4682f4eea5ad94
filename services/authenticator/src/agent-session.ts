/**
 * One agent's AgentLink stream (DESIGN.md "Wire protocol"): per-direction seq checked and
 * assigned, Hello first, the agent's messages read as a bounded async iterable under a
 * per-agent rate, commands written in order through a bounded outbox that awaits 'drain'
 * (LinkStream), and the command seq <-> core reference map for results.
 */
import { randomUUID } from 'node:crypto';
import { status, type ServerDuplexStream } from '@grpc/grpc-js';
import type { AgentHello, LinkCommand } from '@airlock/link';
import { decodeHello, encodeCommand, LinkStream, type AgentBatch, type AgentMessage, type ControllerBatch, type ControllerMessage, type LinkEnd } from '@airlock/proto';
import type { Logger } from 'pino';
import { truncateText, type RateLimitedLevel } from './logging.js';

/** The two shapes of an AgentLink stream: Connect (a message per gRPC message) and ConnectBatched. */
export type AgentCall = ServerDuplexStream<AgentMessage, ControllerMessage> | ServerDuplexStream<AgentBatch, ControllerBatch>;

/** A command body the authenticator sends. */
export type CommandBody = NonNullable<ControllerMessage['body']>;

/** A Hello's outcome: welcomed, or the status ending the stream. */
export type HelloResult = { ok: true } | { ok: false; code: status; message: string };

/** What a session needs from the service that owns it. */
export interface SessionHost {
  /**
   * Validates and registers a Hello; returns the Welcome settings or why not. A promise when
   * the agent's BSSes are taken over from a shared store: the session reads nothing more
   * until it settles (its next messages wait in the link's bounded queue).
   */
  hello(session: AgentSession, hello: AgentHello): HelloResult | Promise<HelloResult>;
  /** An event after Hello, in stream order. */
  event(session: AgentSession, msg: AgentMessage): void;
  /** The stream is over (for whatever reason). */
  gone(session: AgentSession, why: string): void;
  /** A protocol error that ends the stream (counted by reason). */
  protocolError(reason: string): void;
  /** An outgoing command was dropped (queue full). */
  sendDropped(reason: string): void;
  /** The agent sent faster than its message rate: its stream is no longer read for a while. */
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
  /** Messages received and not yet handled (the agent over its rate) at which reading pauses. */
  receiveQueue: number;
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
  private readonly link: LinkStream<AgentMessage, ControllerMessage>;
  /** Core reference of each command waiting for its result, by seq (as a number: a BigInt key hashes slowly, and a stream never reaches 2^53 commands). */
  private readonly pending = new Map<number, number>();
  /** Message token bucket: when empty, the session stops taking messages (and the link stops reading). */
  private tokens: number;
  private tokensAt = performance.now();
  /** The wait of a throttled session, to cut short when it closes. */
  private throttle: { timer: NodeJS.Timeout; resume: () => void } | undefined;

  constructor(
    private readonly call: AgentCall,
    private readonly host: SessionHost,
    logger: Logger,
    private readonly limits: SessionLimits,
    /** The identity its client certificate proves (mTLS), or undefined (plaintext). */
    readonly peerIdentity?: string,
    /** ConnectBatched: messages arrive in batches, and commands of one turn leave in one. */
    batched = false,
  ) {
    this.peer = call.getPeer();
    this.log = logger.child({ session: this.sessionId, peer: this.peer, cert: peerIdentity === undefined ? undefined : truncateText(peerIdentity) });
    this.tokens = limits.messageBurst;
    this.link = new LinkStream<AgentMessage, ControllerMessage>(call, {
      batched,
      maxMessageBytes: limits.maxMessageBytes,
      sendQueue: limits.sendQueue,
      receiveQueue: limits.receiveQueue,
      // A key command's key is wiped once gRPC is done with the message (the write callback
      // runs after it was serialized, or failed): a message waiting in the stream's buffer
      // still refers to it.
      written: wipeCommandKey,
      discarded: wipeCommandKey,
      // An agent that reads nothing: its commands are not held without bound (their keys are
      // wiped as they are discarded); the stream ends and the agent reconnects.
      onOverflow: (waiting) => {
        this.host.protocolError('send_queue_overflow');
        this.fail(status.RESOURCE_EXHAUSTED, `the agent reads nothing: ${waiting} commands wait to be sent (limits.agent_send_queue x 4)`);
      },
      onEnd: (end) => this.close(endReason(end)),
      // Its messages wait (the agent is over its rate) until agent_receive_queue of them do:
      // the stream is no longer read, and HTTP/2 flow control holds the agent back.
      onReadPause: () => this.host.throttled(),
    });
    void this.read();
  }

  /** Sends a command; `ref` is remembered so the agent's result reaches the core. */
  send(body: CommandBody, ref?: number, droppable = false): void {
    if (this.closed) return;
    if (!this.link.accepts(droppable)) {
      // Bounded: a transmit that cannot be queued is dropped and counted; EAPOL
      // retransmission recovers it. Key and port commands are never dropped.
      this.host.sendDropped('send_queue_full');
      return;
    }
    this.outSeq += 1n;
    if (ref !== undefined) this.pending.set(Number(this.outSeq), ref);
    this.link.send({ seq: this.outSeq, body });
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
    this.shut();
    const err = Object.assign(new Error(message), { code, details: message });
    this.call.emit('error', err);
    this.host.gone(this, message);
  }

  /** Ends the stream normally (authenticator shutting down). */
  end(): void {
    if (this.closed) return;
    this.shut(true); // what is queued goes out first (batched: this turn's commands)
    this.host.gone(this, 'authenticator closed the stream');
  }

  /** Takes the agent's messages in order, no faster than its rate. */
  private async read(): Promise<void> {
    try {
      for await (const m of this.link) {
        if (this.closed) return;
        const waitMs = this.meter();
        if (waitMs > 0) {
          // Over its rate: nothing it sent is dropped and it is not cut off. This session
          // takes nothing for a while, so its link stops reading once its queue is full,
          // HTTP/2 flow control makes the agent wait, and the other agents keep their share
          // of the event loop.
          await new Promise<void>((resume) => (this.throttle = { timer: setTimeout(resume, waitMs), resume }));
          this.throttle = undefined;
          if (this.closed) return;
        }
        const pending = this.onMessage(m);
        if (pending !== undefined) await pending;
      }
    } catch (e) {
      this.internalError(e, undefined);
    }
  }

  /** Handles one message; a promise while a Hello is being taken over (the next message waits for it). */
  private onMessage(m: AgentMessage): Promise<void> | undefined {
    // Every message carries seq, from 1, +1 each: a gap or a duplicate ends the stream.
    const expected = this.inSeq + 1n;
    if (m.seq !== expected) {
      const reason = m.seq === 0n ? 'seq_zero' : m.seq <= this.inSeq ? 'duplicate_seq' : 'seq_gap';
      const what = { seq_zero: 'seq must start at 1', duplicate_seq: 'duplicate sequence number', seq_gap: 'sequence gap' }[reason];
      this.host.protocolError(reason);
      this.fail(status.FAILED_PRECONDITION, `${what}: expected seq ${expected}, got ${m.seq}`);
      return undefined;
    }
    this.inSeq = m.seq;
    const body = m.body;
    if (this.agentId === undefined) {
      if (body?.$case !== 'hello') {
        this.host.protocolError('no_hello');
        this.fail(status.FAILED_PRECONDITION, `the first message must be Hello, got ${body?.$case ?? 'an empty message'}`);
        return undefined;
      }
      const r = this.host.hello(this, decodeHello(body.value));
      if (!(r instanceof Promise)) {
        this.helloAnswered(r);
        return undefined;
      }
      return r.then((res) => this.helloAnswered(res), (e: unknown) => this.internalError(e, 'hello'));
    }
    if (body?.$case === 'hello') {
      this.host.protocolError('repeated_hello');
      this.fail(status.FAILED_PRECONDITION, 'Hello may only be the first message of a stream');
      return undefined;
    }
    try {
      this.host.event(this, m);
    } catch (e) {
      this.internalError(e, body?.$case);
    }
    return undefined;
  }

  private helloAnswered(r: HelloResult): void {
    if (r.ok) return;
    // UNAVAILABLE is the authenticator's own state (shutting down, its shared store away), not a bad Hello.
    if (r.code !== status.UNAVAILABLE) this.host.protocolError('bad_hello');
    this.fail(r.code, r.message);
  }

  /** A bug must not take the other agents down with it: end this stream (the agent reconnects and resyncs) and keep serving. */
  private internalError(e: unknown, event: string | undefined): void {
    this.log.error({ err: e instanceof Error ? { message: e.message, stack: e.stack } : String(e), event }, 'internal error handling an agent event');
    this.host.protocolError('internal_error');
    this.fail(status.INTERNAL, 'internal error in the authenticator; reconnect');
  }

  /**
   * One token per message: 0 while the bucket holds one, else how long to wait until it is
   * back to a tenth of the burst (at least one message).
   */
  private meter(): number {
    const now = performance.now();
    const { messagesPerS, messageBurst } = this.limits;
    this.tokens = Math.min(messageBurst, this.tokens + ((now - this.tokensAt) * messagesPerS) / 1000);
    this.tokensAt = now;
    this.tokens -= 1;
    if (this.tokens >= 0) return 0;
    return Math.ceil(((Math.max(1, messageBurst / 10) - this.tokens) * 1000) / messagesPerS);
  }

  /** This end is done with the stream (`end`: what is queued goes out, then the call ends). */
  private shut(end = false): void {
    this.closed = true;
    if (this.throttle !== undefined) {
      clearTimeout(this.throttle.timer);
      this.throttle.resume();
    }
    if (end) this.link.end();
    else this.link.close();
  }

  private close(why: string): void {
    if (this.closed) return;
    this.shut();
    this.host.gone(this, why);
  }
}

/** Why a stream ended, in the words of the session's log. */
function endReason(end: LinkEnd): string {
  switch (end.how) {
    case 'end':
      return 'agent ended the stream';
    case 'error':
      return `stream error: ${end.error.message}`;
    case 'cancelled':
      return 'agent cancelled the stream';
    case 'close':
      return 'stream closed';
  }
}
