import { test } from 'node:test';
import assert from 'node:assert/strict';
import { RateLimitedLog } from './rate-limited-log.js';

void test('rate limit: suppressed lines are kept per key with the context of the last one', () => {
  const r = new RateLimitedLog<string>({ burst: 1, intervalMs: 1000 });
  assert.equal(r.allow('a', 0, 'a0'), true);
  assert.equal(r.allow('a', 1, 'a1'), false);
  assert.equal(r.allow('a', 2, 'a2'), false);
  assert.equal(r.allow('b', 3, 'b0'), true);
  assert.equal(r.pending, true);
  assert.deepEqual(r.sweep(), { summaries: [{ key: 'a', suppressed: 2, context: 'a2' }], others: { keys: 0, suppressed: 0 } });
  assert.equal(r.pending, false);
  assert.deepEqual(r.sweep(), { summaries: [], others: { keys: 0, suppressed: 0 } });
});

void test('rate limit: a line allowed after suppression takes the count (no summary for it later)', () => {
  const r = new RateLimitedLog<string>({ burst: 1, intervalMs: 1000 });
  r.allow('a', 0);
  r.allow('a', 0, 'x');
  assert.equal(r.allow('a', 1000), true);
  assert.equal(r.takeSuppressed('a'), 1);
  assert.equal(r.pending, false);
  assert.deepEqual(r.sweep().summaries, []);
});

void test('rate limit: sweep gives the most suppressed keys first, the rest as one count', () => {
  const r = new RateLimitedLog<number>({ burst: 1, intervalMs: 1000 });
  const counts: [string, number][] = [['a', 2], ['b', 5], ['c', 1], ['d', 5], ['e', 3]];
  for (const [k, n] of counts) for (let i = 0; i <= n; i++) r.allow(k, 0, i);
  const s = r.sweep(2);
  assert.deepEqual(s.summaries.map((x) => [x.key, x.suppressed]), [['b', 5], ['d', 5]]);
  assert.deepEqual(s.others, { keys: 3, suppressed: 6 });
});

void test('rate limit: the key table is capped; keys forgotten with lines suppressed are still counted', () => {
  const r = new RateLimitedLog({ burst: 1, intervalMs: 1000, maxKeys: 100 });
  // An outsider inventing a key per line (spoofed sources), twice each.
  for (let i = 0; i < 10_000; i++) {
    r.allow(`spoofed-${i}`, 0);
    r.allow(`spoofed-${i}`, 0);
  }
  assert.equal(r.size, 100, 'never more than maxKeys');
  assert.equal(r.suppressedTotal, 10_000);
  const s = r.sweep(10);
  assert.equal(s.summaries.length, 10);
  assert.deepEqual(s.others, { keys: 9990, suppressed: 9990 }, 'forgotten keys and keys beyond the summaries');
  assert.equal(s.summaries.reduce((n, x) => n + x.suppressed, 0) + s.others.suppressed, 10_000, 'every suppressed line is in the sweep');
  assert.equal(r.pending, false);
});

void test('rate limit: totalBurst bounds the lines of all keys together', () => {
  const r = new RateLimitedLog({ burst: 5, intervalMs: 10_000, totalBurst: 20 });
  let allowed = 0;
  for (let i = 0; i < 1000; i++) if (r.allow(`k${i}`, 0)) allowed++;
  assert.equal(allowed, 20, 'new keys do not buy new lines');
  assert.equal(r.allow('k0', 499), false);
  assert.equal(r.allow('k0', 500), true, 'the shared bucket refills at 20 per 10 s');
  let later = 0;
  for (let i = 0; i < 1000; i++) if (r.allow(`k${i}`, 10_500)) later++;
  assert.equal(later, 20);
  assert.equal(r.suppressedTotal, 2002 - 41, 'every call not allowed was counted');
});

void test('rate limit: a key over its own rate does not use the shared bucket', () => {
  const r = new RateLimitedLog({ burst: 2, intervalMs: 1000, totalBurst: 3 });
  assert.equal(r.allow('noisy', 0), true);
  assert.equal(r.allow('noisy', 0), true);
  for (let i = 0; i < 100; i++) assert.equal(r.allow('noisy', 0), false);
  assert.equal(r.allow('quiet', 0), true, 'one line of the shared bucket is left for another source');
});

void test('rate limit: bad totalBurst is rejected', () => {
  assert.throws(() => new RateLimitedLog({ totalBurst: 0 }), RangeError);
  assert.throws(() => new RateLimitedLog({ totalBurst: 2.5 }), RangeError);
});
