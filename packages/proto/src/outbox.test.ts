import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { Outbox } from './outbox.js';

type M = { seq: number; body: { $case: 'eapolReceived'; value: { frame: Buffer } } };
const msg = (seq: number, frameBytes = 8): M => ({ seq, body: { $case: 'eapolReceived', value: { frame: Buffer.alloc(frameBytes) } } });
const turn = (): Promise<void> => new Promise((r) => setImmediate(r));

/** An outbox on a stream that accepts writes while `accept` says so and drains when the test says so. */
function rig(batched: boolean, o: { queueLimit?: number; hardLimit?: number; maxMessageBytes?: number } = {}) {
  const ones: number[] = [];
  const batches: number[][] = [];
  const discarded: number[] = [];
  const overflows: number[] = [];
  let accept = true;
  let drains = 0;
  let drain: (() => void) | undefined;
  const box = new Outbox<M>({
    batched,
    maxMessageBytes: o.maxMessageBytes ?? 65536,
    queueLimit: o.queueLimit ?? 2,
    hardLimit: o.hardLimit,
    writeOne: (m) => (ones.push(m.seq), accept),
    writeBatch: (ms) => (batches.push(ms.map((m) => m.seq)), accept),
    drained: () => {
      drains++;
      return new Promise((r) => (drain = r));
    },
    discarded: (m) => discarded.push(m.seq),
    onOverflow: (n) => overflows.push(n),
  });
  return {
    box,
    ones,
    batches,
    discarded,
    overflows,
    setAccept: (a: boolean) => (accept = a),
    /** How many times the outbox waited for 'drain'. */
    drains: () => drains,
    /** The stream emits 'drain'. */
    drain: async () => {
      drain?.();
      drain = undefined;
      await turn();
    },
  };
}

void describe('Outbox', () => {
  for (const batched of [false, true]) {
    void it(`${batched ? 'batched' : 'Connect'}: a backlog past hardLimit (the peer reads nothing) gives up once: onOverflow, what waits discarded, nothing more written`, async () => {
      const r = rig(batched, { queueLimit: 2, hardLimit: 5 });
      r.setAccept(false);
      r.box.push(msg(1)); // the stream pushes back from here on
      await turn();
      for (let i = 2; i <= 6; i++) r.box.push(msg(i));
      assert.deepEqual(r.overflows, [], 'five waiting is the limit, not past it');
      r.box.push(msg(7));
      assert.deepEqual(r.overflows, [6]);
      assert.deepEqual(r.discarded.sort((a, b) => a - b), [2, 3, 4, 5, 6, 7]);
      r.box.push(msg(8));
      assert.ok(r.discarded.includes(8), 'a message pushed after the end is discarded too (its key wiped)');
      r.setAccept(true);
      await r.drain();
      r.box.flush();
      assert.deepEqual([...r.ones, ...r.batches.flat()], [1], 'nothing is written after giving up');
      assert.deepEqual(r.overflows, [6], 'once');
    });
  }

  void it('batched: what is pushed in one turn leaves in one batch, at the end of the turn', async () => {
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

  void it("batched: a turn's messages over half the message limit leave in several batches, and after a refused one the rest awaits 'drain'", async () => {
    const r = rig(true, { maxMessageBytes: 1000, queueLimit: 100 });
    for (let i = 1; i <= 12; i++) r.box.push(msg(i, 100)); // ~200 octets each: two per 500-octet batch
    r.setAccept(false);
    await turn();
    assert.deepEqual(r.batches, [[1, 2]], 'the first batch was refused: nothing more until drain');
    assert.equal(r.box.waiting, 10);
    r.setAccept(true);
    await r.drain();
    assert.deepEqual(r.batches, [[1, 2], [3, 4], [5, 6], [7, 8], [9, 10], [11, 12]], 'in order');
    assert.equal(r.box.waiting, 0);
  });

  void it("Connect: each message at once; after a refused write they wait for 'drain', in order", async () => {
    const r = rig(false);
    r.box.push(msg(1));
    r.setAccept(false);
    r.box.push(msg(2)); // written, but the stream pushes back
    r.box.push(msg(3));
    r.box.push(msg(4));
    assert.deepEqual(r.ones, [1, 2]);
    assert.equal(r.drains(), 1, "the outbox awaits the stream's 'drain'");
    r.setAccept(true);
    await r.drain();
    assert.deepEqual(r.ones, [1, 2, 3, 4]);
    r.box.push(msg(5));
    assert.deepEqual(r.ones, [1, 2, 3, 4, 5], 'at once again');
  });

  void it("Connect: a write refused again after 'drain' waits for the next one", async () => {
    const r = rig(false, { queueLimit: 10 });
    r.setAccept(false);
    for (let i = 1; i <= 4; i++) r.box.push(msg(i));
    assert.deepEqual(r.ones, [1]);
    await r.drain(); // still refusing: one more written, the next drain awaited
    assert.deepEqual(r.ones, [1, 2]);
    assert.equal(r.drains(), 2);
    r.setAccept(true);
    await r.drain();
    assert.deepEqual(r.ones, [1, 2, 3, 4]);
  });

  void it('while the stream pushes back, a droppable message is refused once queueLimit wait; others still queue', async () => {
    const r = rig(false, { queueLimit: 2 });
    r.setAccept(false);
    r.box.push(msg(1));
    assert.equal(r.box.accepts(true), true);
    r.box.push(msg(2));
    r.box.push(msg(3));
    assert.equal(r.box.accepts(true), false, 'two waiting: a droppable one is refused');
    assert.equal(r.box.accepts(false), true, 'a non-droppable one is never refused');
    r.setAccept(true);
    await r.drain();
    assert.equal(r.box.accepts(true), true);
  });

  void it('batched: a burst in one turn is not refused while the stream takes writes', () => {
    const r = rig(true, { queueLimit: 2 });
    for (let i = 1; i <= 10; i++) {
      assert.equal(r.box.accepts(true), true);
      r.box.push(msg(i));
    }
  });

  void it('flush writes everything that waits at once (before the stream ends), backpressure or not', async () => {
    const r = rig(true, { maxMessageBytes: 1000, queueLimit: 100 });
    r.setAccept(false);
    for (let i = 1; i <= 6; i++) r.box.push(msg(i, 100));
    await turn();
    assert.deepEqual(r.batches, [[1, 2]]);
    r.box.flush();
    assert.deepEqual(r.batches, [[1, 2], [3, 4], [5, 6]]);
  });

  void it('close: nothing more is written, what waited is dropped', async () => {
    const r = rig(true);
    r.box.push(msg(1));
    r.box.close();
    r.box.push(msg(2));
    await turn();
    r.box.flush();
    assert.deepEqual(r.batches, []);
    assert.deepEqual(r.discarded, [1, 2]);
  });
});
