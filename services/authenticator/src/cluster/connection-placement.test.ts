import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { ConnectionPlacement, type PlacementCandidate } from './connection-placement.js';

const workers = (...connections: number[]): PlacementCandidate[] => connections.map((c, i) => ({ id: i + 1, connections: c }));

void describe('ConnectionPlacement (the cluster primary: which worker gets a connection)', () => {
  void it('the worker with the fewest connections; among equals, in turn; none without a ready worker', () => {
    const p = new ConnectionPlacement();
    assert.equal(p.choose(workers(3, 1, 2))?.id, 2);
    const ids = [0, 1, 2, 3].map(() => p.choose(workers(1, 1, 5))?.id);
    assert.deepEqual([...new Set(ids)].sort(), [1, 2], 'the two least loaded take turns');
    assert.notEqual(ids[0], ids[1]);
    assert.equal(p.choose([]), undefined, 'no ready worker: none');
  });
});
