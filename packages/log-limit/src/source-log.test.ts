import { test } from 'node:test';
import assert from 'node:assert/strict';
import { SourceLog, type LineLogger } from './source-log.js';

interface Line {
  level: string;
  obj: Record<string, unknown>;
  msg: string;
  bindings: string;
}

/** A LineLogger writing into `lines`, tagged with `bindings` (a pino child's). */
function recorder(lines: Line[], bindings = ''): LineLogger {
  const at = (level: string) => (obj: object, msg: string): void => {
    lines.push({ level, obj: obj as Record<string, unknown>, msg, bindings });
  };
  return { error: at('error'), warn: at('warn'), info: at('info'), debug: at('debug'), trace: at('trace') };
}

/** A SourceLog on a virtual clock and mocked timers. */
function setup(t: import('node:test').TestContext, opts: { burst?: number; maxKeys?: number; totalBurst?: number; maxSummaries?: number } = {}) {
  t.mock.timers.enable({ apis: ['setTimeout'] });
  let now = 0;
  const lines: Line[] = [];
  const suppressed: string[] = [];
  const root = recorder(lines, 'root');
  const log = new SourceLog({ source: 'agent', logger: root, intervalMs: 10_000, now: () => now, onSuppressed: (s) => suppressed.push(s), ...opts });
  const advance = (ms: number): void => {
    now += ms;
    t.mock.timers.tick(ms);
  };
  return { log, lines, suppressed, root, advance };
}

void test('SourceLog: a flood from one source writes burst lines, then one summary when the window ends', (t) => {
  const { log, lines, suppressed, advance } = setup(t);
  const ap1 = recorder(lines, 'ap-1');
  for (let i = 0; i < 1300; i++) log.write(ap1, 'warn', 'ap-1|command-result', { error: 'x' }, 'agent could not apply a command');
  assert.equal(lines.length, 5);
  assert.equal(suppressed.length, 1295);
  assert.deepEqual(new Set(suppressed), new Set(['agent']));
  advance(9_999);
  assert.equal(lines.length, 5, 'nothing before the window ends');
  advance(1);
  assert.equal(lines.length, 6);
  const s = lines[5];
  assert.equal(s.bindings, 'ap-1', "written with the source's own logger");
  assert.equal(s.level, 'warn');
  assert.equal(s.msg, '1295 similar messages suppressed: agent could not apply a command');
  assert.deepEqual(s.obj, { source: 'agent', sourceKey: 'ap-1|command-result', suppressed: 1295, windowS: 10 });
  advance(60_000);
  assert.equal(lines.length, 6, 'no timer while nothing is suppressed');
});

void test('SourceLog: sources are limited apart — a flooding agent leaves the others their lines', (t) => {
  const { log, lines } = setup(t);
  const flooder = recorder(lines, 'raw-1');
  const healthy = recorder(lines, 'ap-1');
  for (let i = 0; i < 100; i++) log.write(flooder, 'warn', 'raw-1|command-result', {}, 'm');
  for (let i = 0; i < 3; i++) assert.equal(log.write(healthy, 'warn', 'ap-1|command-result', {}, 'm'), true);
  assert.equal(lines.filter((l) => l.bindings === 'ap-1').length, 3);
});

void test('SourceLog: the line after suppression says how many went before it', (t) => {
  const { log, lines, advance } = setup(t, { burst: 1 });
  const l = recorder(lines);
  log.write(l, 'info', 'k', { a: 1 }, 'frame dropped');
  log.write(l, 'info', 'k', { a: 1 }, 'frame dropped');
  log.write(l, 'info', 'k', { a: 1 }, 'frame dropped');
  advance(5_000); // half a window: nothing yet
  assert.equal(lines.length, 1);
  advance(5_000); // the window ends: a summary, and the bucket is full again
  assert.equal(lines.length, 2);
  assert.equal(lines[1].msg, '2 similar messages suppressed: frame dropped');
  assert.equal(log.write(l, 'info', 'k', { a: 1 }, 'frame dropped'), true);
  assert.equal(lines[2].msg, 'frame dropped', 'the summary took the count');
  assert.equal(log.write(l, 'info', 'k', { a: 1 }, 'frame dropped'), false);
  advance(10_000);
  assert.equal(lines[3].msg, '1 similar message suppressed: frame dropped');
});

void test('SourceLog: key churn is bounded — at most maxSummaries summaries and one line for the rest', (t) => {
  const { log, lines, advance } = setup(t, { burst: 1, maxKeys: 50, totalBurst: 10, maxSummaries: 3 });
  const l = recorder(lines, 'spoofed');
  // 5000 spoofed sources, 4 lines each.
  for (let i = 0; i < 5000; i++) for (let j = 0; j < 4; j++) log.write(l, 'warn', `radius|10.0.${i >> 8}.${i & 0xff}|unknown-id`, {}, 'RADIUS response dropped');
  assert.equal(lines.length, 10, 'the shared bucket: 10 lines in the window');
  assert.ok(log.keys <= 50, `the key table holds ${log.keys}`);
  advance(10_000);
  const summaries = lines.slice(10);
  assert.equal(summaries.length, 4);
  const others = summaries[3];
  assert.equal(others.bindings, 'root');
  const summed = summaries.slice(0, 3).reduce((n, s) => n + (s.obj['suppressed'] as number), 0) + (others.obj['suppressed'] as number);
  assert.equal(summed, 20_000 - 10, 'every suppressed line is counted in the summaries');
  assert.match(others.msg, /^\d+ similar messages suppressed from \d+ more agent sources$/);
});

void test('SourceLog: close() writes what is pending at once', (t) => {
  const { log, lines } = setup(t, { burst: 1 });
  const l = recorder(lines);
  log.write(l, 'error', 'k', {}, 'm');
  log.write(l, 'error', 'k', {}, 'm');
  log.close();
  assert.deepEqual(lines.map((x) => x.msg), ['m', '1 similar message suppressed: m']);
});
