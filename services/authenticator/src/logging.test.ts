import { test } from 'node:test';
import assert from 'node:assert/strict';
import type { Logger } from 'pino';
import { createLogger, RateLimitedLog, redactForLog, redactPaths, REDACTED, REMOTE_LOG_LIMITS, remoteLogs, truncateText } from './logging.js';

/** An in-memory destination: every JSON line written. */
function memoryLogger(level = 'trace', name?: string): { logger: Logger; lines: () => Record<string, unknown>[]; text: () => string } {
  const chunks: string[] = [];
  const logger = createLogger({ level, name, destination: { write: (s: string) => { chunks.push(s); } } });
  return {
    logger,
    text: () => chunks.join(''),
    lines: () => chunks.join('').split('\n').filter((l) => l !== '').map((l) => JSON.parse(l) as Record<string, unknown>),
  };
}

// IEEE 802.11-2020 J.4 PSK for "password"/"IEEE": a real key's bytes, so a leak would be visible.
const PMK_HEX = 'f42c6fc52df0ebef9ebb4b90b38a5f902e83fe1b135a70e23aed762e9710a12e';
const PMK = Buffer.from(PMK_HEX, 'hex');
const PASSPHRASE = 'correct horse battery staple';
const SHARED_SECRET = 'radius-shared-s3cret';

/** Every way the secret bytes could appear in the output. */
const FORBIDDEN = [
  PMK_HEX,
  PMK_HEX.toUpperCase(),
  PMK.toString('base64'),
  JSON.stringify([...PMK]).slice(1, -1), // Buffer#toJSON data array
  `"0":${PMK[0]},"1":${PMK[1]}`, // a Uint8Array stringified by JSON.stringify
  PASSPHRASE,
  SHARED_SECRET,
];

function assertNoSecrets(text: string): void {
  for (const f of FORBIDDEN) assert.ok(!text.includes(f), `leaked ${JSON.stringify(f)} in:\n${text}`);
}

const LEAK_CASES: { desc: string; log: (l: Logger) => void }[] = [
  { desc: 'pmk as hex string', log: (l) => l.info({ pmk: PMK_HEX }, 'derived') },
  { desc: 'pmk as Buffer', log: (l) => l.info({ pmk: PMK }, 'derived') },
  { desc: 'pmk as Uint8Array', log: (l) => l.info({ pmk: new Uint8Array(PMK) }, 'derived') },
  { desc: 'passphrase', log: (l) => l.warn({ passphrase: PASSPHRASE }, 'x') },
  { desc: 'passphrases list', log: (l) => l.warn({ passphrases: [PASSPHRASE] }, 'x') },
  { desc: 'sharedSecret', log: (l) => l.info({ sharedSecret: SHARED_SECRET }, 'x') },
  { desc: 'secret nested one level', log: (l) => l.info({ radius: { secret: SHARED_SECRET } }, 'x') },
  { desc: 'ptk nested two levels as hex', log: (l) => l.info({ sta: { keys: { ptk: PMK_HEX } } }, 'x') },
  { desc: 'psk nested four levels', log: (l) => l.info({ a: { b: { c: { d: { psk: PMK_HEX } } } } }, 'x') },
  { desc: 'key in a list of objects', log: (l) => l.info({ keys: [{ id: 1, key: PMK_HEX }] }, 'x') },
  { desc: 'upper-case key name', log: (l) => l.info({ PMK: PMK_HEX, Passphrase: PASSPHRASE }, 'x') },
  { desc: 'Buffer under an innocent name', log: (l) => l.info({ frame: PMK }, 'x') },
  { desc: 'Buffer nested under innocent names', log: (l) => l.info({ a: { b: { c: { d: [PMK] } } } }, 'x') },
  { desc: 'ArrayBuffer', log: (l) => l.info({ data: new Uint8Array(PMK).buffer }, 'x') },
  { desc: 'child bindings', log: (l) => l.child({ agent: 'ap-1', psk: PMK_HEX, blob: PMK }).info('x') },
  { desc: 'child bindings with child options', log: (l) => l.child({ kek: PMK_HEX, frame: PMK }, { level: 'debug' }).info('x') },
  { desc: 'setBindings', log: (l) => { const c = l.child({ agent: 'a' }); c.setBindings({ pmk: PMK_HEX, raw: PMK }); c.info('x'); } },
  { desc: 'grandchild bindings nested', log: (l) => l.child({ agent: 'ap-1' }).child({ ctx: { gtk: PMK_HEX } }).info('x') },
  { desc: 'Error with a key property', log: (l) => l.error(Object.assign(new Error('install failed'), { tk: PMK_HEX, frame: PMK }), 'boom') },
  { desc: 'err field with a nested secret', log: (l) => l.error({ err: Object.assign(new Error('x'), { detail: { msk: PMK_HEX } }) }, 'boom') },
  { desc: 'interpolated %o object', log: (l) => l.info('keys %o', { kck: PMK_HEX }) },
  { desc: 'interpolated %j object after a merge object', log: (l) => l.info({ agent: 'a' }, 'keys %j', { kek: PMK }) },
  { desc: 'interpolated Buffer', log: (l) => l.info('bytes %o %s', PMK, PMK) },
  { desc: 'Map with a secret key', log: (l) => l.info({ m: new Map([['pmk', PMK_HEX]]) }, 'x') },
  { desc: 'password and private key', log: (l) => l.info({ password: PASSPHRASE, privateKey: PMK_HEX }, 'x') },
];

for (const c of LEAK_CASES) {
  void test(`secrets never logged: ${c.desc}`, () => {
    const { logger, text } = memoryLogger();
    c.log(logger);
    const out = text();
    assert.ok(out.length > 0, 'a line was written');
    assertNoSecrets(out);
    for (const line of out.trim().split('\n')) JSON.parse(line); // still valid JSON
  });
}

void test('censored values read "[redacted]"; bytes read { bytes: N }; other fields kept', () => {
  const { logger, lines } = memoryLogger();
  logger.info({ pmk: PMK, reason: 'mic', seq: 3, frame: PMK.subarray(0, 10), nested: { passphrase: PASSPHRASE, ok: true } }, 'msg 2/4');
  const [line] = lines();
  assert.equal(line['pmk'], REDACTED);
  assert.equal(line['reason'], 'mic');
  assert.equal(line['seq'], 3);
  assert.deepEqual(line['frame'], { bytes: 10 });
  assert.deepEqual(line['nested'], { passphrase: REDACTED, ok: true });
  assert.equal(line['msg'], 'msg 2/4');
});

void test('child loggers carry agent, bssid and sta', () => {
  const { logger, lines } = memoryLogger('info', 'authenticator');
  const sta = logger.child({ agent: 'ap-7', bssid: '02:00:00:00:00:09', sta: '02:00:00:00:01:01' });
  sta.info({ state: 'PTKSTART' }, 'transition');
  const [line] = lines();
  assert.equal(line['agent'], 'ap-7');
  assert.equal(line['bssid'], '02:00:00:00:00:09');
  assert.equal(line['sta'], '02:00:00:00:01:01');
  assert.equal(line['state'], 'PTKSTART');
  assert.equal(line['name'], 'authenticator');
  assert.equal(line['level'], 30);
});

void test('level filters lines', () => {
  const { logger, lines } = memoryLogger('warn');
  logger.info('hidden');
  logger.debug('hidden');
  logger.warn('shown');
  assert.deepEqual(lines().map((l) => l['msg']), ['shown']);
});

void test('the caller\'s object is not modified', () => {
  const { logger } = memoryLogger();
  const obj = { pmk: PMK, nested: { secret: SHARED_SECRET } };
  logger.info(obj, 'x');
  assert.equal(obj.pmk, PMK);
  assert.equal(obj.nested.secret, SHARED_SECRET);
});

void test('cycles and shared references', () => {
  const a: Record<string, unknown> = { name: 'a' };
  a['self'] = a;
  const shared = { v: 1 };
  assert.deepEqual(redactForLog({ a, x: shared, y: shared }), { a: { name: 'a', self: '[Circular]' }, x: { v: 1 }, y: { v: 1 } });
  const { logger, lines } = memoryLogger();
  logger.info({ a }, 'cyclic');
  assert.equal(lines().length, 1);
});

void test('redact paths cover depth 0..2 for each key', () => {
  const paths = redactPaths();
  for (const k of ['pmk', 'ptk', 'kck', 'kek', 'tk', 'gtk', 'msk', 'psk', 'passphrase', 'passphrases', 'secret', 'sharedSecret', 'key', 'password']) {
    assert.ok(paths.includes(k) && paths.includes(`*.${k}`) && paths.includes(`*.*.${k}`), k);
  }
});

// ---------------------------------------------------------------------------------------
// RateLimitedLog on virtual time.

void test('rate limit: 5 at once, then suppressed, then one per 2 s', () => {
  const r = new RateLimitedLog(); // 5 per 10 s
  const t0 = 1_000_000;
  for (let i = 0; i < 5; i++) assert.equal(r.allow('ap-1:truncated', t0), true, `line ${i}`);
  assert.equal(r.allow('ap-1:truncated', t0), false);
  assert.equal(r.allow('ap-1:truncated', t0 + 1999), false);
  assert.equal(r.suppressed('ap-1:truncated'), 2);
  assert.equal(r.allow('ap-1:truncated', t0 + 2000), true, 'one token back after 2 s');
  assert.equal(r.allow('ap-1:truncated', t0 + 2000), false);
  assert.equal(r.takeSuppressed('ap-1:truncated'), 3);
  assert.equal(r.suppressed('ap-1:truncated'), 0);
  assert.equal(r.suppressedTotal, 3);
});

void test('rate limit: at most 5 per 10 s window in steady flood', () => {
  const r = new RateLimitedLog({ burst: 5, intervalMs: 10_000 });
  let allowed = 0;
  for (let t = 0; t < 100_000; t += 10) if (r.allow('k', t)) allowed++;
  // 5 at start, then 5 per 10 s: 5 + 99990 / 2000 -> 54
  assert.equal(allowed, 54);
});

void test('rate limit: keys are independent; full refill after the interval', () => {
  const r = new RateLimitedLog({ burst: 2, intervalMs: 1000 });
  assert.equal(r.allow('a', 0), true);
  assert.equal(r.allow('a', 0), true);
  assert.equal(r.allow('a', 0), false);
  assert.equal(r.allow('b', 0), true);
  assert.equal(r.allow('a', 10_000), true);
  assert.equal(r.allow('a', 10_000), true);
  assert.equal(r.allow('a', 10_000), false, 'the bucket holds at most burst');
});

void test('rate limit: a clock going backwards refills nothing', () => {
  const r = new RateLimitedLog({ burst: 1, intervalMs: 1000 });
  assert.equal(r.allow('a', 5000), true);
  assert.equal(r.allow('a', 0), false);
  assert.equal(r.allow('a', 5999), false);
  assert.equal(r.allow('a', 6000), true);
});

void test('rate limit: maxKeys forgets the least recently used key', () => {
  const r = new RateLimitedLog({ burst: 1, intervalMs: 1000, maxKeys: 2 });
  assert.equal(r.allow('a', 0), true);
  assert.equal(r.allow('b', 0), true);
  assert.equal(r.allow('a', 0), false); // a is now most recent
  assert.equal(r.allow('c', 0), true); // forgets b
  assert.equal(r.suppressed('a'), 1);
  assert.equal(r.allow('b', 0), true, 'b was forgotten: a fresh bucket');
});

void test('rate limit: drainSuppressed lists and resets quiet keys', () => {
  const r = new RateLimitedLog({ burst: 1, intervalMs: 1000 });
  r.allow('a', 0);
  r.allow('a', 0);
  r.allow('a', 0);
  r.allow('b', 0);
  assert.deepEqual(r.drainSuppressed(), [{ key: 'a', suppressed: 2 }]);
  assert.deepEqual(r.drainSuppressed(), []);
});

void test('rate limit: log() writes a suppressed summary on the next allowed line', () => {
  const { logger, lines } = memoryLogger();
  const r = new RateLimitedLog({ burst: 2, intervalMs: 1000 });
  for (let i = 0; i < 7; i++) r.log(logger, 'warn', 'ap-1:bad-eapol', 0, { agent: 'ap-1', reason: 'truncated' }, 'dropped EAPOL frame');
  assert.equal(r.log(logger, 'warn', 'ap-1:bad-eapol', 500, { agent: 'ap-1', reason: 'truncated' }, 'dropped EAPOL frame'), true);
  const out = lines();
  assert.equal(out.length, 3);
  assert.equal(out[0]['msg'], 'dropped EAPOL frame');
  assert.equal(out[2]['msg'], 'dropped EAPOL frame (suppressed 5 similar messages)');
  assert.equal(out[2]['suppressed'], 5);
  assert.equal(out[2]['reason'], 'truncated');
});

void test('rate limit: bad options are rejected', () => {
  assert.throws(() => new RateLimitedLog({ burst: 0 }), RangeError);
  assert.throws(() => new RateLimitedLog({ intervalMs: 1.5 }), RangeError);
});

// ---------------------------------------------------------------------------------------
// The authenticator's limits on lines driven by remote input (remoteLogs), through pino.

void test('remote logs: an agent flooding failed CommandResults gets 5 lines, then one summary; truncated error text', (t) => {
  t.mock.timers.enable({ apis: ['setTimeout'] });
  const { logger, lines, text } = memoryLogger('info');
  const counted: string[] = [];
  const logs = remoteLogs(logger, (source) => counted.push(source), () => 0);
  const agentLog = logger.child({ agent: 'raw-1' });
  const error = truncateText('E'.repeat(60_000));
  for (let i = 0; i < 1300; i++) logs.agent.write(agentLog, 'warn', 'raw-1|command-result', { commandSeq: String(i), error }, 'agent could not apply a command');
  assert.equal(lines().length, REMOTE_LOG_LIMITS.burst);
  assert.equal(counted.length, 1300 - REMOTE_LOG_LIMITS.burst);
  t.mock.timers.tick(REMOTE_LOG_LIMITS.intervalMs);
  const out = lines();
  assert.equal(out.length, REMOTE_LOG_LIMITS.burst + 1);
  const summary = out.at(-1)!;
  assert.equal(summary['msg'], '1295 similar messages suppressed: agent could not apply a command');
  assert.equal(summary['agent'], 'raw-1', "on the agent's own logger");
  assert.equal(summary['sourceKey'], 'raw-1|command-result');
  assert.equal(summary['suppressed'], 1295);
  assert.match(String(out[0]['error']), /^E{200}…\(\+59800 bytes\)$/);
  assert.ok(text().length < 5000, `${text().length} bytes of log for 1300 lines of 60 KB`);
  logs.close();
});

void test('remote logs: key table capped, new keys buy no lines beyond the total, every suppressed line summarised', (t) => {
  t.mock.timers.enable({ apis: ['setTimeout'] });
  const { logger, lines } = memoryLogger('info');
  let counted = 0;
  const logs = remoteLogs(logger, () => counted++, () => 0);
  // Garbage datagrams from 50000 source addresses, 2 each.
  for (let i = 0; i < 50_000; i++) {
    for (let j = 0; j < 2; j++) logs.radius.write(logger, 'warn', `fake|10.${i >> 16}.${(i >> 8) & 0xff}.${i & 0xff}|unknown-id`, { server: 'fake' }, 'RADIUS response dropped');
  }
  const written = lines().length;
  assert.equal(written, REMOTE_LOG_LIMITS.totalBurst);
  assert.equal(counted, 100_000 - written);
  assert.ok(logs.radius.keys <= REMOTE_LOG_LIMITS.maxKeys, `${logs.radius.keys} keys`);
  t.mock.timers.tick(REMOTE_LOG_LIMITS.intervalMs);
  const summaries = lines().slice(written);
  assert.equal(summaries.length, REMOTE_LOG_LIMITS.maxSummaries + 1, 'per-key summaries, then one line for the rest');
  const total = summaries.reduce((n, l) => n + (l['suppressed'] as number), 0);
  assert.equal(total, counted, 'every suppressed line is in a summary');
  assert.match(String(summaries.at(-1)!['msg']), /^\d+ similar messages suppressed from \d+ more radius sources$/);
  // The other kinds of sources keep their own budget.
  assert.equal(logs.agent.write(logger, 'warn', 'ap-1|command-result', {}, 'agent could not apply a command'), true);
  logs.close();
});

void test("remote logs: summary fields pass the logger's redaction (no field named key)", (t) => {
  t.mock.timers.enable({ apis: ['setTimeout'] });
  const { logger, lines } = memoryLogger('info');
  const logs = remoteLogs(logger, () => undefined, () => 0);
  for (let i = 0; i < 10; i++) logs.bss.write(logger, 'info', '02a100010001|drop:malformed_eapol', { reason: 'malformed_eapol' }, 'frame dropped');
  logs.close();
  const last = lines().at(-1)!;
  assert.equal(last['sourceKey'], '02a100010001|drop:malformed_eapol');
  assert.equal(last['source'], 'bss');
  assert.ok(!JSON.stringify(lines()).includes(REDACTED));
});
