import { test } from 'node:test';
import assert from 'node:assert/strict';
import { RandomPool } from './random-pool.js';

void test('RandomPool: requested lengths, distinct values, refills across the pool end, large requests served', () => {
  const pool = new RandomPool();
  const seen = new Set<string>();
  let total = 0;
  // More than one pool's worth: the refill path runs.
  while (total < 200 * 1024) {
    const b = pool.take(32);
    assert.equal(b.length, 32);
    const hex = b.toString('hex');
    assert.ok(!seen.has(hex), 'a 32-octet value repeated');
    seen.add(hex);
    total += 32;
  }
  assert.equal(pool.take(1).length, 1);
  assert.equal(pool.take(4096).length, 4096);
  // Roughly uniform octets (a zeroed or stuck pool would fail this).
  const big = Buffer.concat(Array.from({ length: 1000 }, () => pool.take(64)));
  const zeros = big.filter((x) => x === 0).length;
  assert.ok(zeros > 100 && zeros < 400, `zero octets ${zeros} of ${big.length}`);
});

void test('RandomPool: a value handed out is not left in the pool', () => {
  const pool = new RandomPool();
  const a = pool.take(32);
  const inner = (pool as unknown as { pool: Buffer }).pool;
  assert.ok(!inner.includes(a), 'the pool still holds the bytes it handed out');
});
