import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { ConnectionPlacement, type PlacementCandidate } from './connection-placement.js';

const workers = (...connections: number[]): PlacementCandidate[] => connections.map((c, i) => ({ id: i + 1, connections: c }));

void describe('ConnectionPlacement (the cluster primary: which worker gets a connection)', () => {
  void it('the worker with the fewest connections; among equals, in turn', () => {
    const p = new ConnectionPlacement(10_000);
    assert.equal(p.choose('10.0.0.1', workers(3, 1, 2), 0)?.id, 2);
    const ids = [0, 1, 2, 3].map(() => p.choose('10.0.0.1', workers(1, 1, 5), 0)?.id);
    assert.deepEqual([...new Set(ids)].sort(), [1, 2], 'the two least loaded take turns');
    assert.notEqual(ids[0], ids[1]);
    assert.equal(p.choose('10.0.0.1', [], 0), undefined, 'no ready worker: none');
  });

  void it('a pinned address goes to its worker until the pin expires, whatever the load', () => {
    const p = new ConnectionPlacement(10_000);
    p.pin('10.0.0.7', 3, 1000);
    assert.equal(p.choose('10.0.0.7', workers(0, 0, 50), 5000)?.id, 3);
    assert.equal(p.choose('10.0.0.8', workers(0, 0, 50), 5000)?.id === 3, false, 'other addresses are placed by load');
    assert.equal(p.choose('10.0.0.7', workers(0, 9, 50), 11_000)?.id, 1, 'expired: by load again');
    assert.equal(p.pinned, 0, 'the expired pin is gone');
  });

  void it('a pin to a worker that is not ready is dropped; unpinAllTo and sweep empty the table', () => {
    const p = new ConnectionPlacement(10_000);
    p.pin('a', 3, 0);
    assert.equal(p.choose('a', workers(4, 2), 1)?.id, 2, 'worker 3 is not among the ready');
    assert.equal(p.pinned, 0);
    p.pin('b', 2, 0);
    p.pin('c', 2, 0);
    p.pin('d', 1, 0);
    p.unpinAllTo(2);
    assert.equal(p.pinned, 1);
    p.sweep(9_999);
    assert.equal(p.pinned, 1);
    p.sweep(10_000);
    assert.equal(p.pinned, 0);
  });
});
