import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { takeOldest } from './oldest.js';

void describe('takeOldest', () => {
  void it('takes entries in insertion order; a key set again (deleted first) counts as new', () => {
    const m = new Map<string, number>([['a', 1], ['b', 2], ['c', 3]]);
    assert.deepEqual(takeOldest(m), ['a', 1]);
    m.delete('b');
    m.set('b', 22); // touched: now the newest
    m.set('d', 4);
    assert.deepEqual(takeOldest(m), ['c', 3]);
    assert.deepEqual(takeOldest(m), ['b', 22]);
    assert.deepEqual(takeOldest(m), ['d', 4]);
    assert.equal(takeOldest(m), undefined);
    m.set('e', 5);
    assert.deepEqual(takeOldest(m), ['e', 5], 'entries set after the cursor ran off the end are found');
  });

  void it('matches keys().next() order under random churn, with the map compacted along the way', () => {
    let seed = 7;
    const rand = (n: number): number => ((seed = (seed * 1103515245 + 12345) & 0x7fffffff) % n);
    const m = new Map<number, number>();
    const model: number[] = [];
    for (let i = 0; i < 50_000; i++) {
      const op = rand(10);
      if (op < 6) {
        m.set(i, i);
        model.push(i);
      } else if (op < 8 && model.length > 0) {
        const k = model[rand(model.length)];
        m.delete(k);
        model.splice(model.indexOf(k), 1);
      } else if (model.length > 0) {
        const got = takeOldest(m);
        assert.equal(got?.[0], model.shift());
      }
    }
    assert.equal(m.size, model.length);
  });

  void it('keeps a bounded map cheap: 400,000 inserts into 65,536 entries', () => {
    const m = new Map<string, number>();
    for (let i = 0; i < 400_000; i++) {
      if (m.size >= 65_536) takeOldest(m);
      m.set(`k${i}`, i);
    }
    assert.equal(m.size, 65_536);
    assert.equal(m.keys().next().value, `k${400_000 - 65_536}`);
  });
});
