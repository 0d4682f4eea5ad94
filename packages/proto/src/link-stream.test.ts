import assert from 'node:assert/strict';
import { EventEmitter } from 'node:events';
import { describe, it } from 'node:test';
import { LinkStream, type LinkEnd, type LinkStreamOptions } from './link-stream.js';

type M = { seq: number; body: { $case: 'txStatus'; value: { n: number } } };
const msg = (seq: number): M => ({ seq, body: { $case: 'txStatus', value: { n: seq } } });
const turn = (): Promise<void> => new Promise((r) => setImmediate(r));

/** A stand-in for a grpc-js duplex call: records writes, pauses and resumes. */
class FakeCall extends EventEmitter {
  readonly written: unknown[] = [];
  readonly callbacks: (() => void)[] = [];
  accept = true;
  paused = false;
  pauses = 0;
  ended = false;
  write(m: unknown, cb?: () => void): boolean {
    this.written.push(m);
    if (cb) this.callbacks.push(cb);
    return this.accept;
  }
  end(): void {
    this.ended = true;
  }
  pause(): this {
    this.paused = true;
    this.pauses++;
    return this;
  }
  resume(): this {
    this.paused = false;
    return this;
  }
}

function rig(batched: boolean, o: Partial<LinkStreamOptions<M>> = {}) {
  const call = new FakeCall();
  const ends: LinkEnd[] = [];
  const link = new LinkStream<M, M>(call, { batched, maxMessageBytes: 65536, sendQueue: 4, receiveQueue: 4, onOverflow: () => {}, onEnd: (e) => ends.push(e), ...o });
  return { call, link, ends };
}

/** Takes `n` messages from the link (their seqs). */
async function take(link: LinkStream<M, M>, n: number): Promise<number[]> {
  const out: number[] = [];
  for (let i = 0; i < n; i++) {
    const r = await link.next();
    if (r.done) break;
    out.push(r.value.seq);
  }
  return out;
}

void describe('LinkStream', () => {
  void it('Connect: messages arrive in order, one by one, as an async iterable', async () => {
    const { call, link } = rig(false);
    const got: number[] = [];
    const reading = (async () => {
      for await (const m of link) got.push(m.seq);
    })();
    for (let i = 1; i <= 3; i++) call.emit('data', msg(i));
    call.emit('end');
    await reading;
    assert.deepEqual(got, [1, 2, 3]);
  });

  void it('ConnectBatched: batches are unpacked in order', async () => {
    const { call, link } = rig(true, { receiveQueue: 100 });
    call.emit('data', { messages: [msg(1), msg(2)] });
    call.emit('data', { messages: [msg(3)] });
    assert.deepEqual(await take(link, 3), [1, 2, 3]);
  });

  void it('reading pauses once receiveQueue messages wait for the consumer, and resumes once half are taken', async () => {
    let pauses = 0;
    const { call, link } = rig(false, { receiveQueue: 4, onReadPause: () => pauses++ });
    for (let i = 1; i <= 3; i++) call.emit('data', msg(i));
    assert.equal(call.paused, false);
    call.emit('data', msg(4));
    assert.equal(call.paused, true, 'four waiting: paused');
    assert.equal(pauses, 1);
    assert.equal(link.waiting, 4);
    await take(link, 1);
    assert.equal(call.paused, true, 'three still wait');
    await take(link, 1);
    assert.equal(call.paused, false, 'two (half) wait: reading again');
    assert.deepEqual(await take(link, 2), [3, 4]);
  });

  void it("a clean end is reported after the consumer took what came before it", async () => {
    const { call, link, ends } = rig(false);
    call.emit('data', msg(1));
    call.emit('data', msg(2));
    call.emit('end');
    assert.deepEqual(ends, [], 'two messages still wait');
    assert.deepEqual(await take(link, 5), [1, 2]);
    assert.deepEqual(ends, [{ how: 'end' }]);
  });

  void it('a failed stream is reported at once; what waited is dropped and the consumer stops', async () => {
    const { call, link, ends } = rig(false);
    call.emit('data', msg(1));
    const error = Object.assign(new Error('boom'), { code: 14 });
    call.emit('error', error);
    assert.deepEqual(ends, [{ how: 'error', error }]);
    assert.deepEqual(await take(link, 5), []);
    call.emit('close');
    assert.equal(ends.length, 1, 'reported once');
  });

  void it('a consumer waiting for a message hears the end', async () => {
    const { call, link, ends } = rig(false);
    const next = link.next();
    call.emit('cancelled');
    assert.deepEqual(await next, { done: true, value: undefined });
    assert.deepEqual(ends, [{ how: 'cancelled' }]);
  });

  void it('close(): nothing more is delivered, reported or written; the waiting consumer is released', async () => {
    const { call, link, ends } = rig(false);
    const next = link.next();
    link.close();
    assert.deepEqual(await next, { done: true, value: undefined });
    call.emit('data', msg(1));
    call.emit('error', new Error('after close'));
    assert.deepEqual(ends, []);
    assert.equal(link.accepts(false), false);
    link.send(msg(1));
    assert.deepEqual(call.written, []);
  });

  void it("writes await 'drain': after a refused write the rest waits for the call's 'drain', in order", async () => {
    const { call, link } = rig(false, { sendQueue: 10 });
    call.accept = false;
    link.send(msg(1));
    link.send(msg(2));
    link.send(msg(3));
    assert.deepEqual(call.written, [msg(1)]);
    assert.equal(link.sendWaiting, 2);
    call.accept = true;
    call.emit('drain');
    await turn();
    assert.deepEqual(call.written, [msg(1), msg(2), msg(3)]);
  });

  void it('ConnectBatched: every message of a written batch is handed to `written` once gRPC is done with it', async () => {
    const done: number[] = [];
    const { call, link } = rig(true, { written: (m) => done.push(m.seq) });
    link.send(msg(1));
    link.send(msg(2));
    await turn();
    assert.deepEqual(call.written, [{ messages: [msg(1), msg(2)] }]);
    assert.deepEqual(done, []);
    call.callbacks[0]();
    assert.deepEqual(done, [1, 2]);
  });

  void it('end(): what waits goes out first, then the call ends', () => {
    const { call, link } = rig(true);
    link.send(msg(1));
    link.end();
    assert.deepEqual(call.written, [{ messages: [msg(1)] }]);
    assert.equal(call.ended, true);
  });

  void it('an outbox past its hard limit reports overflow (the peer reads nothing)', async () => {
    const overflows: number[] = [];
    const discarded: number[] = [];
    const { call, link } = rig(false, { sendQueue: 1, sendHardLimit: 2, onOverflow: (n) => overflows.push(n), discarded: (m) => discarded.push(m.seq) });
    call.accept = false;
    for (let i = 1; i <= 4; i++) link.send(msg(i));
    assert.deepEqual(overflows, [3]);
    assert.deepEqual(discarded.sort(), [2, 3, 4]);
    await turn();
  });
});
