import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { Fifo } from './fifo.js';

void describe('Fifo', () => {
  void it('takes in push order, in runs, across its compaction', () => {
    const q = new Fifo<number>();
    for (let i = 0; i < 5000; i++) q.push(i);
    const out: number[] = [];
    while (q.length > 0) {
      out.push(...q.take(7));
      if (out.length % 700 === 0) q.push(5000 + out.length); // pushes between takes
    }
    const pushedLater = out.filter((x) => x >= 5000);
    assert.deepEqual(out.filter((x) => x < 5000), Array.from({ length: 5000 }, (_v, i) => i));
    assert.deepEqual(pushedLater, [...pushedLater].sort((a, b) => a - b));
    assert.deepEqual(q.take(3), []);
  });

  void it('at(i) reads the i-th waiting; clear() returns what waited', () => {
    const q = new Fifo<string>();
    for (const s of ['a', 'b', 'c', 'd']) q.push(s);
    q.take(1);
    assert.equal(q.at(0), 'b');
    assert.equal(q.at(2), 'd');
    assert.equal(q.at(3), undefined);
    assert.deepEqual(q.clear(), ['b', 'c', 'd']);
    assert.equal(q.length, 0);
  });
});
