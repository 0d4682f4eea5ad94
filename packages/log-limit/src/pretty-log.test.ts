import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import fc from 'fast-check';
import { prettyLogDestination, prettyLogLine, wantsColour } from './pretty-log.js';
import { REDACTED, SECRET_LOG_KEYS } from './secret-keys.js';

/** 2026-01-02T03:04:05.678Z */
const T = Date.UTC(2026, 0, 2, 3, 4, 5, 678);
const plain = { colour: false, utc: true };

/** A pino JSON line. */
function json(o: Record<string, unknown>): string {
  return JSON.stringify({ level: 30, time: T, pid: 4242, hostname: 'ap-host', ...o });
}

/** Any character a terminal acts on, but LF: C0, DEL, C1, U+2028/U+2029, bidi controls. */
const RAW_CONTROL = /[\u0000-\u0009\u000b-\u001f\u007f-\u009f\u2028\u2029\u202a-\u202e\u2066-\u2069]/;

void describe('prettyLogLine', () => {
  const cases: { desc: string; line: string; want: string }[] = [
    { desc: 'time, level, message; pid, hostname, name and service left out', line: json({ name: 'authenticator', service: 'edge-agent', msg: 'authenticator listening' }), want: '03:04:05.678 INFO  authenticator listening\n' },
    { desc: 'fields as key=value, in order', line: json({ msg: 'welcomed', agent: 'ap-1', session: 7, ok: true, none: null }), want: '03:04:05.678 INFO  welcomed agent=ap-1 session=7 ok=true none=null\n' },
    { desc: 'a value with a space, a quote or "=" is JSON-quoted', line: json({ msg: 'm', reason: 'UNAVAILABLE: no "route"', kv: 'a=b' }), want: '03:04:05.678 INFO  m reason="UNAVAILABLE: no \\"route\\"" kv="a=b"\n' },
    { desc: 'an empty string is quoted', line: json({ msg: 'm', detail: '' }), want: '03:04:05.678 INFO  m detail=""\n' },
    { desc: 'nested objects as dotted keys', line: json({ msg: 'caps', limits: { max: 10, per: { source: 2 } } }), want: '03:04:05.678 INFO  caps limits.max=10 limits.per.source=2\n' },
    { desc: 'arrays as JSON', line: json({ msg: 'networks', ssids: ['corp', 'guest'] }), want: '03:04:05.678 INFO  networks ssids=["corp","guest"]\n' },
    { desc: 'levels: trace .. fatal, and an unknown one', line: [10, 20, 40, 50, 60, 35].map((level) => json({ level, msg: 'x' })).join('\n'), want: ['TRACE', 'DEBUG', 'WARN ', 'ERROR', 'FATAL', 'L35  '].map((l) => `03:04:05.678 ${l} x\n`).join('') },
    { desc: 'no message', line: json({ agent: 'ap-1' }), want: '03:04:05.678 INFO  agent=ap-1\n' },
    { desc: 'no time', line: JSON.stringify({ level: 30, msg: 'm' }), want: '--:--:--.--- INFO  m\n' },
    { desc: 'a secret key name at the top, nested, in an array, in another case', line: json({ msg: 'm', passphrase: 'hunter22', radius: { sharedSecret: 'xyz' }, list: [{ PSK: 'abc' }], Key: { a: 1 } }), want: `03:04:05.678 INFO  m passphrase=${REDACTED} radius.sharedSecret=${REDACTED} list=[{"PSK":"${REDACTED}"}] Key=${REDACTED}\n` },
    { desc: 'ESC, CR, LF in the message', line: json({ msg: 'agent ap\x1b[2J\rFAKE\nline' }), want: '03:04:05.678 INFO  agent ap\\x1b[2J\\rFAKE\\nline\n' },
    { desc: 'C1 CSI and a bidi override in a value (quoted, escaped)', line: json({ msg: 'm', agent: 'ap\u009b31m\u202eevil' }), want: '03:04:05.678 INFO  m agent="ap\\u009b31m\\u202eevil"\n' },
    { desc: 'an ESC in a key', line: json({ msg: 'm', 'k\x1b]0;x\x07': 1 }), want: '03:04:05.678 INFO  m k\\x1b]0;x\\x07=1\n' },
    { desc: 'UTF-8 stays', line: json({ msg: 'café 📡', ssid: 'Café' }), want: '03:04:05.678 INFO  café 📡 ssid=Café\n' },
    {
      desc: 'an Error: its frames on lines of their own, indented',
      line: json({ level: 50, msg: 'listener error', err: { type: 'Error', message: 'boom', stack: 'Error: boom\n    at listen (net.js:1:1)\n    at main (main.js:2:2)' } }),
      want: '03:04:05.678 ERROR listener error err.type=Error err.message=boom\n    at listen (net.js:1:1)\n    at main (main.js:2:2)\n',
    },
    {
      desc: 'an Error whose message holds a line break: the message escaped, only V8 frames on lines of their own',
      line: json({ level: 50, msg: 'failed', err: { type: 'Error', message: 'remote\n03:04:05.678 INFO  fake', stack: 'Error: remote\n03:04:05.678 INFO  fake\n    at x (y.js:1:1)' } }),
      want: '03:04:05.678 ERROR failed err.type=Error err.message="remote\\n03:04:05.678 INFO  fake"\n    at x (y.js:1:1)\n',
    },
    {
      desc: 'a stack that does not begin with its own message stays one escaped value',
      line: json({ level: 50, msg: 'failed', err: { type: 'Error', message: 'short', stack: 'Error: other\nFAKE LINE\n    at x (y.js:1:1)' } }),
      want: '03:04:05.678 ERROR failed err.type=Error err.message=short err.stack="Error: other\\nFAKE LINE\\n    at x (y.js:1:1)"\n',
    },
    {
      desc: 'a stack with a line that is not a frame (a cause\'s message) stays one value',
      line: json({ msg: 'm', err: { type: 'Error', message: 'a', stack: 'Error: a\n    at f (g.js:1:1)\ncaused by: Error: b\nFAKE' } }),
      want: '03:04:05.678 INFO  m err.type=Error err.message=a err.stack="Error: a\\n    at f (g.js:1:1)\\ncaused by: Error: b\\nFAKE"\n',
    },
    { desc: 'a line that is not JSON is printed escaped', line: 'not json \x1b[31m', want: 'not json \\x1b[31m\n' },
    { desc: 'a JSON line that is not an object', line: '"text"', want: '"text"\n' },
  ];
  for (const c of cases) {
    void it(c.desc, () => {
      const text = c.line.split('\n').map((l) => prettyLogLine(l, plain)).join('');
      assert.equal(text, c.want);
    });
  }

  void it('colours: the level and the dimmed time and keys, only when asked', () => {
    const coloured = prettyLogLine(json({ level: 40, msg: 'm', agent: 'ap-1' }), { colour: true, utc: true });
    assert.equal(coloured, '\x1b[2m03:04:05.678\x1b[0m \x1b[33mWARN \x1b[0m m \x1b[2magent\x1b[0m=ap-1\n');
  });

  void it('local time by default', () => {
    const d = new Date(T);
    const hh = String(d.getHours()).padStart(2, '0');
    assert.ok(prettyLogLine(json({ msg: 'm' }), { colour: false }).startsWith(`${hh}:`));
  });

  void it('property: one line per record (plus frames), no raw control character, no value under a secret name', () => {
    const secretKeys = fc.constantFrom(...SECRET_LOG_KEYS);
    const value = fc.oneof(fc.string({ unit: 'binary' }), fc.integer(), fc.boolean(), fc.constant(null));
    const record = fc.record({
      msg: fc.string({ unit: 'binary' }),
      fields: fc.dictionary(fc.string({ unit: 'binary', minLength: 1 }), fc.oneof(value, fc.dictionary(fc.string({ minLength: 1 }), value), fc.array(value))),
      secretKey: secretKeys,
      secret: fc.string({ minLength: 12, maxLength: 40 }).map((s) => `S3CR3T-${s}`),
    });
    fc.assert(
      fc.property(record, (r) => {
        const obj = { level: 30, time: T, msg: r.msg, ...r.fields, [r.secretKey]: r.secret, nested: { [r.secretKey]: r.secret }, list: [{ [r.secretKey]: r.secret }] };
        const out = prettyLogLine(JSON.stringify(obj), plain);
        assert.ok(out.endsWith('\n'));
        assert.equal(out.split('\n').length, 2, 'one line');
        assert.equal(RAW_CONTROL.exec(out), null);
        assert.ok(!out.includes('S3CR3T-'), 'no secret value');
      }),
      { numRuns: 300 },
    );
  });
});

void describe('prettyLogDestination', () => {
  void it('turns each JSON line of a write into one pretty line', () => {
    const out: string[] = [];
    const d = prettyLogDestination({ write: (s: string) => out.push(s) }, plain);
    d.write(`${json({ msg: 'a' })}\n`);
    d.write(`${json({ msg: 'b' })}\n${json({ msg: 'c' })}\n`);
    assert.deepEqual(out, ['03:04:05.678 INFO  a\n', '03:04:05.678 INFO  b\n03:04:05.678 INFO  c\n']);
  });
});

void describe('wantsColour', () => {
  const cases: { desc: string; tty: boolean | undefined; env: NodeJS.ProcessEnv; want: boolean }[] = [
    { desc: 'a TTY', tty: true, env: {}, want: true },
    { desc: 'a pipe or a file', tty: undefined, env: {}, want: false },
    { desc: 'a TTY with NO_COLOR', tty: true, env: { NO_COLOR: '1' }, want: false },
    { desc: 'a TTY with NO_COLOR empty (unset, per no-color.org)', tty: true, env: { NO_COLOR: '' }, want: true },
  ];
  for (const c of cases) void it(c.desc, () => assert.equal(wantsColour(c.tty, c.env), c.want));
});
