import assert from 'node:assert/strict';
import { EventEmitter } from 'node:events';
import { describe, it } from 'node:test';
import { pino } from 'pino';
import { status } from '@grpc/grpc-js';
import { Cipher, type ControllerMessage } from '@airlock/proto';
import { AgentSession, type AgentCall, type SessionHost } from './agent-session.js';

/** A stream that keeps each write's callback until the test says gRPC is done with it. */
class FakeCall extends EventEmitter {
  readonly written: { m: unknown; done: () => void }[] = [];
  accept = true;
  getPeer(): string {
    return '127.0.0.1:1';
  }
  write(m: unknown, done: () => void): boolean {
    this.written.push({ m, done });
    return this.accept;
  }
}

const host: SessionHost = {
  hello: () => ({ ok: true }),
  event: () => {},
  gone: () => {},
  protocolError: () => {},
  sendDropped: () => {},
  throttled: () => {},
  remoteLine: () => {},
};
const limits = { sendQueue: 4, receiveQueue: 16, messagesPerS: 1000, messageBurst: 1000, maxMessageBytes: 1 << 20 };
const turn = (): Promise<void> => new Promise((r) => setImmediate(r));

function rig(batched: boolean): { call: FakeCall; session: AgentSession } {
  const call = new FakeCall();
  const session = new AgentSession(call as unknown as AgentCall, host, pino({ level: 'silent' }), limits, undefined, batched);
  return { call, session };
}

const bssid = Buffer.from('020000000001', 'hex');
const sta = Buffer.from('020000000002', 'hex');
type Body = NonNullable<ControllerMessage['body']>;
const installPtk = (key: Buffer): Body => ({ $case: 'installPairwiseKey', value: { bssid, sta, cipher: Cipher.CIPHER_CCMP_128, keyId: 0, key } });
const installGtk = (key: Buffer): Body => ({ $case: 'installGroupKey', value: { bssid, cipher: Cipher.CIPHER_CCMP_128, keyId: 1, key, setTx: true } });

void describe('AgentSession key commands', () => {
  void it('Connect: the TK of InstallPairwiseKey is intact until gRPC is done with the message, then reads zeros', () => {
    const { call, session } = rig(false);
    const tk = Buffer.alloc(16, 0xa5);
    session.send(installPtk(tk), 1);
    assert.equal(call.written.length, 1);
    assert.ok(tk.every((b) => b === 0xa5), 'not wiped before it was serialized');
    call.written[0].done();
    assert.ok(tk.every((b) => b === 0), 'wiped after the write');
  });

  void it('ConnectBatched: every GTK and TK of a batch reads zeros once the batch is written', async () => {
    const { call, session } = rig(true);
    const gtk = Buffer.alloc(16, 0x5a);
    const tk = Buffer.alloc(32, 0x3c);
    session.send(installGtk(gtk), 1);
    session.send(installPtk(tk), 2);
    await turn();
    assert.equal(call.written.length, 1);
    assert.ok(gtk.every((b) => b === 0x5a) && tk.every((b) => b === 0x3c));
    call.written[0].done();
    assert.ok(gtk.every((b) => b === 0) && tk.every((b) => b === 0));
  });

  void it('a key command still queued when the stream ends is wiped with the queue', () => {
    const { call, session } = rig(false);
    call.accept = false;
    session.send(installGtk(Buffer.alloc(16, 1)), 1); // written; the stream pushes back
    const queued = Buffer.alloc(16, 2);
    session.send(installPtk(queued), 2);
    assert.equal(call.written.length, 1);
    session.fail(status.UNAVAILABLE, 'test');
    assert.ok(queued.every((b) => b === 0));
  });
});

void describe('AgentSession reading', () => {
  /** A call that can be paused, and a host that welcomes any Hello and records events. */
  function reader(limits: { messagesPerS: number; messageBurst: number; receiveQueue: number }) {
    const call = new (class extends FakeCall {
      paused = false;
      pause(): this {
        this.paused = true;
        return this;
      }
      resume(): this {
        this.paused = false;
        return this;
      }
    })();
    const handled: bigint[] = [];
    let throttled = 0;
    const h: SessionHost = {
      ...host,
      hello: (session, hello) => {
        session.agentId = hello.agentId;
        return { ok: true };
      },
      event: (_s, m) => void handled.push(m.seq),
      throttled: () => void throttled++,
    };
    const session = new AgentSession(call as unknown as AgentCall, h, pino({ level: 'silent' }), { sendQueue: 4, maxMessageBytes: 1 << 20, ...limits });
    return { call, session, handled, throttled: () => throttled };
  }
  const hello = { seq: 1n, body: { $case: 'hello', value: { agentId: 'ap-1', softwareVersion: 't', bsses: [], stations: [], reportsTxStatus: false } } };
  const counters = (seq: number) => ({ seq: BigInt(seq), body: { $case: 'stationCounters', value: { bssid, sta, rxBytes: 0n, txBytes: 0n, rxPackets: 0n, txPackets: 0n } } });

  void it('an agent over its rate: its messages wait, reading pauses at receiveQueue, and every one is handled in order at the rate', async () => {
    const r = reader({ messagesPerS: 200, messageBurst: 10, receiveQueue: 4 });
    r.call.emit('data', hello);
    for (let seq = 2; seq <= 31; seq++) r.call.emit('data', counters(seq));
    await turn();
    assert.equal(r.handled.length, 9, 'the burst (the Hello took one token)');
    assert.equal(r.call.paused, true, 'reading paused: the rest waits in flow control');
    assert.equal(r.throttled(), 1);
    // 21 more at 200/s, after waiting for a tenth of the burst each time: about 0.1 s.
    const until = Date.now() + 2000;
    while (r.handled.length < 30 && Date.now() < until) await new Promise((res) => setTimeout(res, 10));
    assert.deepEqual(r.handled, Array.from({ length: 30 }, (_v, i) => BigInt(i + 2)), 'all, in seq order');
    assert.equal(r.session.closed, false);
  });

  void it('a stream that ends while messages wait for the rate closes the session without handling them', async () => {
    const r = reader({ messagesPerS: 10, messageBurst: 10, receiveQueue: 100 });
    r.call.emit('data', hello);
    for (let seq = 2; seq <= 20; seq++) r.call.emit('data', counters(seq));
    await turn();
    const handled = r.handled.length;
    r.call.emit('error', new Error('transport gone'));
    assert.equal(r.session.closed, true, 'closed at once (the throttle wait is cut short)');
    await new Promise((res) => setTimeout(res, 50));
    assert.equal(r.handled.length, handled, 'nothing more handled');
  });
});
