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
const limits = { sendQueue: 4, messagesPerS: 1000, messageBurst: 1000, maxMessageBytes: 1 << 20 };
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
