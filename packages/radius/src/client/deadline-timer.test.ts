import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { DeadlineTimer } from './deadline-timer.js';

void describe('DeadlineTimer', () => {
  void it('fires once at the earliest deadline armed; a later one does not move it, an earlier one does', async () => {
    const t0 = performance.now();
    const fired: number[] = [];
    const timer = new DeadlineTimer(() => fired.push(performance.now() - t0), () => performance.now() - t0);
    timer.arm(80);
    timer.arm(200); // later: the 80 ms timer stays
    timer.arm(30); // earlier: moves
    await new Promise((r) => setTimeout(r, 120));
    assert.equal(fired.length, 1);
    assert.ok(fired[0] >= 29 && fired[0] < 80, `fired at ${fired[0]} ms`);
    timer.arm(Infinity);
    timer.arm(10);
    timer.stop();
    await new Promise((r) => setTimeout(r, 40));
    assert.equal(fired.length, 1, 'stopped: nothing more');
  });
});
