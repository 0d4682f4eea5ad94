import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { Outbox } from './outbox.js';

type M = { seq: number; body: { $case: 'txStatus'; value: { n: number } } };
const msg = (seq: number): M => ({ seq, body: { $case: 'txStatus', value: { n: seq } } });
const turn = (): Promise<void> => new Promise((r) => setImmediate(r));

function rig(batched: boolean, queueLimit = 2) {
  const ones: number[] = [];
  const batches: number[][] = [];
  let accept = true;
  const box = new Outbox<M>({
    batched,
    maxMessageBytes: 65536,
    queueLimit,
    writeOne: (m) => (ones.push(m.seq), accept),
    writeBatch: (ms) => (batches.push(ms.map((m) => m.seq)), accept),
  });
  return { box, ones, batches, setAccept: (a: boolean) => (accept = a) };
}

describe('Outbox', () => {
  for (const batched of [false, true]) {
    it(`${batched ? 'batched' : 'Connect'}: a backlog past hardLimit (the peer reads nothing) gives up once: onOverflow, what waits discarded, nothing more written`, async () => {
      const discarded: number[] = [];
      const overflows: number[] = [];
      const written: number[] = [];
      let accept = false;
      const box = new Outbox<M>({
        batched,
        maxMessageBytes: 65536,
        queueLimit: 2,
        hardLimit: 5,
        writeOne: (m) => (written.push(m.seq), accept),
        writeBatch: (ms) => (written.push(...ms.map((m) => m.seq)), accept),
        discarded: (m) => discarded.push(m.seq),
        onOverflow: (n) => overflows.push(n),
      });
      box.push(msg(1)); // the stream pushes back from here on
      await turn();
      for (let i = 2; i <= 6; i++) box.push(msg(i));
      assert.deepEqual(overflows, [], 'five waiting is the limit, not past it');
      box.push(msg(7));
      assert.deepEqual(overflows, [6]);
      assert.deepEqual(discarded.sort((a, b) => a - b), [2, 3, 4, 5, 6, 7]);
      box.push(msg(8));
      accept = true;
      box.flush();
      await turn();
      assert.deepEqual(written, [1], 'nothing is written after giving up');
      assert.deepEqual(overflows, [6], 'once');
    });
  }

  it('batched: what is pushed in one turn leaves in one batch, at the end of the turn', async () => {
    const r = rig(true);
    r.box.push(msg(1));
    r.box.push(msg(2));
    assert.deepEqual(r.batches, []);
    await turn();
    r.box.push(msg(3));
    await turn();
    assert.deepEqual(r.batches, [[1, 2], [3]]);
    assert.deepEqual(r.ones, []);
  });

  it('Connect: each message at once; after a refused write they wait for flush (drain), in order', () => {
    const r = rig(false);
    r.box.push(msg(1));
    r.setAccept(false);
    r.box.push(msg(2)); // written, but the stream pushes back
    r.box.push(msg(3));
    r.box.push(msg(4));
    assert.deepEqual(r.ones, [1, 2]);
    r.setAccept(true);
    r.box.flush();
    assert.deepEqual(r.ones, [1, 2, 3, 4]);
  });

  it('while the stream pushes back, a droppable message is refused once queueLimit wait; others still queue', () => {
    const r = rig(false, 2);
    r.setAccept(false);
    r.box.push(msg(1));
    assert.equal(r.box.accepts(true), true);
    r.box.push(msg(2));
    r.box.push(msg(3));
    assert.equal(r.box.accepts(true), false, 'two waiting: a droppable one is refused');
    assert.equal(r.box.accepts(false), true, 'a non-droppable one is never refused');
    r.setAccept(true);
    r.box.flush();
    assert.equal(r.box.accepts(true), true);
  });

  it('close: nothing more is written, what waited is dropped', async () => {
    const r = rig(true);
    r.box.push(msg(1));
    r.box.close();
    r.box.push(msg(2));
    await turn();
    r.box.flush();
    assert.deepEqual(r.batches, []);
  });
});
