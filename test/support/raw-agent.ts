/**
 * A hostile AgentLink client for tests (DESIGN.md "Wire protocol", "Security"): it opens
 * Connect over real gRPC with the generated AgentLinkClient and sends whatever a test
 * chooses — any body, any seq, malformed fields — recording every ControllerMessage it
 * receives and the status the stream ends with. It applies no command and checks nothing:
 * the test decides what to answer.
 */
import * as grpc from '@grpc/grpc-js';
import { AgentLinkClient, type AgentMessage, type BssInfo, type ControllerMessage, type Hello } from '@airlock/proto';

/** A body an agent can send. */
export type AgentBody = NonNullable<AgentMessage['body']>;

/** How a stream ended: the gRPC status code and details the client saw. */
export interface EndStatus {
  code: grpc.status;
  /** The code's name ("FAILED_PRECONDITION"), for messages. */
  codeName: string;
  details: string;
}

/** A raw AgentLink client: one Connect stream, driven message by message. */
export class RawAgent {
  /** Every ControllerMessage received, in arrival order. */
  readonly received: ControllerMessage[] = [];
  /** Every message written, in write order. */
  readonly sent: AgentMessage[] = [];
  /** Errors the call emitted (a non-OK status arrives here too). */
  readonly errors: Error[] = [];
  /** Set once the call has its final status. */
  status: EndStatus | undefined;
  private readonly client: AgentLinkClient;
  private readonly call: grpc.ClientDuplexStream<AgentMessage, ControllerMessage>;
  private nextSeq = 1n;
  private readonly waiters = new Set<() => void>();

  /** Opens Connect to `target` ("127.0.0.1:port"), with `credentials` (default: plaintext). */
  constructor(target: string, opts: { credentials?: grpc.ChannelCredentials; maxMessageBytes?: number } = {}) {
    const maxMessageBytes = opts.maxMessageBytes ?? 1 << 20;
    this.client = new AgentLinkClient(target, opts.credentials ?? grpc.credentials.createInsecure(), {
      'grpc.max_receive_message_length': maxMessageBytes,
      'grpc.max_send_message_length': maxMessageBytes,
    });
    this.call = this.client.connect();
    // A call without an 'error' listener crashes the process when the server ends it.
    this.call.on('error', (e: Error) => {
      this.errors.push(e);
      this.notify();
    });
    this.call.on('data', (m: ControllerMessage) => {
      this.received.push(m);
      this.notify();
    });
    this.call.on('status', (s: grpc.StatusObject) => {
      this.status = { code: s.code, codeName: grpc.status[s.code] ?? String(s.code), details: s.details };
      this.notify();
    });
  }

  /** True until the call has its final status. */
  get open(): boolean {
    return this.status === undefined;
  }

  /** The seq of the last ControllerMessage received (0n before any). */
  get lastReceivedSeq(): bigint {
    return this.received.at(-1)?.seq ?? 0n;
  }

  /**
   * Sends `body` with `seq` (default: one more than the previous message sent). Returns
   * the seq used; later default seqs continue from it.
   */
  send(body: AgentBody | undefined, seq: bigint = this.nextSeq): bigint {
    const msg: AgentMessage = { seq, body };
    this.sent.push(msg);
    this.nextSeq = seq + 1n;
    this.call.write(msg);
    return seq;
  }

  /** Sends a Hello built from `hello` (defaults: software version, no stations, no TX status). */
  hello(hello: Partial<Hello> & Pick<Hello, 'agentId' | 'bsses'>, seq?: bigint): bigint {
    return this.send({ $case: 'hello', value: { softwareVersion: 'raw-agent/0', stations: [], reportsTxStatus: false, ...hello } }, seq);
  }

  /** Resolves with the first received message (from index `from` on) matching `pred`; rejects after `ms`. */
  async nextMessage(pred: (m: ControllerMessage) => boolean, ms = 3000, from = 0): Promise<ControllerMessage> {
    let found: ControllerMessage | undefined;
    const ok = await this.until(() => {
      found = this.received.slice(from).find(pred);
      return found !== undefined || this.status !== undefined;
    }, ms);
    if (found !== undefined) return found;
    const why = ok ? `the stream ended with ${this.status?.codeName}: ${this.status?.details}` : `nothing arrived within ${ms} ms`;
    throw new Error(`expected message not received: ${why}; received ${this.received.map((m) => `${m.seq}:${m.body?.$case}`).join(', ')}`);
  }

  /** Resolves with the final status; rejects when the stream is still open after `ms`. */
  async ended(ms = 3000): Promise<EndStatus> {
    await this.until(() => this.status !== undefined, ms);
    if (this.status === undefined) throw new Error(`the stream is still open after ${ms} ms`);
    return this.status;
  }

  /**
   * Stops reading the stream (an agent that reads nothing): messages stay in gRPC's and
   * HTTP/2's buffers, the flow-control window closes and the authenticator's writes push back.
   */
  pauseReading(): void {
    this.call.pause();
  }

  /** Reads again: what waits is delivered, then the final status if the stream has ended. */
  resumeReading(): void {
    this.call.resume();
  }

  /** Ends the call from this side and closes the channel. Safe to call twice. */
  close(): void {
    this.call.end();
    this.call.cancel();
    this.client.close();
  }

  private until(cond: () => boolean, ms: number): Promise<boolean> {
    if (cond()) return Promise.resolve(true);
    return new Promise((resolve) => {
      const check = (): void => {
        if (!cond()) return;
        clearTimeout(timer);
        this.waiters.delete(check);
        resolve(true);
      };
      const timer = setTimeout(() => {
        this.waiters.delete(check);
        resolve(cond());
      }, ms);
      this.waiters.add(check);
    });
  }

  private notify(): void {
    for (const w of [...this.waiters]) w();
  }
}

/** A BssInfo with the given fields (others empty). */
export function bssInfo(b: Partial<BssInfo> & Pick<BssInfo, 'bssid' | 'ssid' | 'rsne'>): BssInfo {
  return { wired: false, interfaceMac: Buffer.alloc(0), rsnxe: Buffer.alloc(0), beaconProtection: false, ...b };
}
