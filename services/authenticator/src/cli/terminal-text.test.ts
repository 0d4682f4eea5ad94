import assert from 'node:assert/strict';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, describe, it } from 'node:test';
import { explainText, table } from './admin.js';
import { runCli } from './airlock.js';
import { escapeControls, escapeJsonControls, line } from './terminal-text.js';

/** Any character a terminal acts on: C0 but LF, DEL, C1, U+2028/U+2029, bidi controls. */
const RAW_CONTROL = /[\u0000-\u0009\u000b-\u001f\u007f-\u009f\u2028\u2029\u202a-\u202e\u2066-\u2069]/;

describe('escapeControls', () => {
  const cases: { desc: string; in: string; out: string }[] = [
    { desc: 'empty', in: '', out: '' },
    { desc: 'plain ASCII', in: 'ap-1 connected', out: 'ap-1 connected' },
    { desc: 'UTF-8 with an accent', in: 'café', out: 'café' },
    { desc: 'emoji (a surrogate pair)', in: 'ap 📡 lobby', out: 'ap 📡 lobby' },
    { desc: 'CJK and right-to-left script without overrides', in: '接入点 שלום', out: '接入点 שלום' },
    { desc: 'a backslash stays as it is', in: 'a\\x1b', out: 'a\\x1b' },
    { desc: 'ESC [2J (clear screen) and ESC [H (cursor home)', in: 'ap\x1b[2J\x1b[H', out: 'ap\\x1b[2J\\x1b[H' },
    { desc: 'ESC ] OSC title, ended by BEL', in: '\x1b]0;pwned\x07', out: '\\x1b]0;pwned\\x07' },
    { desc: 'CR (overwrite the row)', in: 'ap-1\rap-2', out: 'ap-1\\rap-2' },
    { desc: 'LF (a fake row)', in: 'ap-1\nap-2  connected', out: 'ap-1\\nap-2  connected' },
    { desc: 'CRLF', in: 'a\r\nb', out: 'a\\r\\nb' },
    { desc: 'TAB', in: 'a\tb', out: 'a\\tb' },
    { desc: 'NUL', in: 'a\x00b', out: 'a\\x00b' },
    { desc: 'backspace', in: 'ok\x08\x08no', out: 'ok\\x08\\x08no' },
    { desc: 'unit separator, the last C0', in: '\x1f', out: '\\x1f' },
    { desc: 'DEL', in: 'a\x7fb', out: 'a\\x7fb' },
    { desc: 'C1 0x9b, the 8-bit CSI', in: '\u009b2J', out: '\\x9b2J' },
    { desc: 'C1 0x80 and 0x9f, its ends', in: '\u0080\u009f', out: '\\x80\\x9f' },
    { desc: 'NBSP (0xa0) is printable', in: 'a\u00a0b', out: 'a\u00a0b' },
    { desc: 'RIGHT-TO-LEFT OVERRIDE U+202E', in: 'ap-1\u202ebad', out: 'ap-1\\u202ebad' },
    { desc: 'LRE U+202A and PDF U+202C', in: '\u202ax\u202c', out: '\\u202ax\\u202c' },
    { desc: 'the isolates U+2066..U+2069', in: '\u2066\u2067\u2068\u2069', out: '\\u2066\\u2067\\u2068\\u2069' },
    { desc: 'LINE and PARAGRAPH SEPARATOR', in: 'a\u2028b\u2029c', out: 'a\\u2028b\\u2029c' },
    { desc: 'zero-width joiner inside an emoji stays', in: '👩‍💻', out: '👩‍💻' },
  ];
  for (const c of cases) {
    it(c.desc, () => {
      const got = escapeControls(c.in);
      assert.equal(got, c.out);
      assert.equal(RAW_CONTROL.test(got) || got.includes('\n'), false, 'no raw control character left');
      assert.equal(escapeControls(got), got, 'idempotent');
    });
  }
});

describe('table and free-text lines', () => {
  it('a hostile cell stays in its row and column, escaped', () => {
    const t = table(['AGENT', 'STATE'], [['ap\x1b[2J\nfake  connected', 'connected'], ['ap-2', 'connected']]);
    const first = 'ap\\x1b[2J\\nfake  connected';
    assert.deepEqual(t.split('\n'), [`${'AGENT'.padEnd(first.length)}  STATE`, `${first}  connected`, `${'ap-2'.padEnd(first.length)}  connected`]);
  });

  it('line`...` escapes every interpolated value and keeps its own text', () => {
    assert.equal(line`station ${'02:00:00:00:00:01'} (agent ${'a\r\u202eb'}), VLAN ${7}`, 'station 02:00:00:00:00:01 (agent a\\r\\u202eb), VLAN 7');
    assert.equal(line`no values`, 'no values');
  });

  it('explain: a failed SAE exchange is one line with its words (escaped)', () => {
    const text = explainText('02:00:00:00:00:01', {
      station: undefined,
      handshakes: [{ bssid: '02:00:00:00:00:02', akm: 'sae', startedUnixMs: 0n, durationMs: 0, result: 'rejected', detail: "SAE failed (wrong password): the station's SAE Confirm did not verify\x1b[2J", msg1Sent: 0, msg3Sent: 0, micFailures: 0, diagnosisCause: '', diagnosis: '', joinMs: 0, stage: 'sae' }],
    });
    const lines = text.split('\n');
    assert.equal(lines.length, 2);
    assert.ok(lines.every((l) => !RAW_CONTROL.test(l)), text);
    assert.match(lines[1], /02:00:00:00:00:02  sae  SAE failed \(wrong password\): the station's SAE Confirm did not verify\\x1b\[2J$/);
    assert.doesNotMatch(lines[1], /msg 1\/4/);
  });

  it('explain: an SAE join names where its PMK came from in SAE words, not 802.1X', () => {
    const eap = { identity: '', userName: '', method: '', rounds: [], roundsTotal: 0, result: 'accept', pmksaCached: true, vlanId: 0, sessionTimeoutS: 0 };
    const hs = { bssid: '02:00:00:00:00:02', akm: 'sae', startedUnixMs: 0n, durationMs: 5, result: 'success', detail: '', msg1Sent: 1, msg3Sent: 1, micFailures: 0, diagnosisCause: '', diagnosis: '', joinMs: 9, stage: '', eap };
    const cached = explainText('02:00:00:00:00:01', { station: undefined, handshakes: [hs] });
    assert.match(cached, /SAE: PMKSA cache hit \(no SAE exchange\); no VLAN/);
    assert.doesNotMatch(cached, /802\.1X/);
    const fresh = explainText('02:00:00:00:00:01', { station: undefined, handshakes: [{ ...hs, eap: { ...eap, pmksaCached: false, identity: 'guest', vlanId: 30 } }] });
    assert.match(fresh, /SAE: SAE exchange accepted, password identifier "guest"; VLAN 30/);
  });

  it('explain: every value from the authenticator is escaped, one line each', () => {
    const text = explainText('02:00:00:00:00:01', {
      station: { sta: '02:00:00:00:00:01', bssid: '02:00:00:00:00:02', agentId: 'ap\x1b[2J', state: 'authorized', akm: 'psk', vlanId: 0, sinceUnixMs: 0n, lastHandshakeResult: 'success', lastHandshakeDetail: '', ptkState: 'PTKINITDONE\n' },
      handshakes: [{ bssid: '02:00:00:00:00:02', akm: 'psk', startedUnixMs: 0n, durationMs: 5, result: 'timeout', detail: 'no answer\r\x1b[1A', msg1Sent: 4, msg3Sent: 0, micFailures: 0, diagnosisCause: 'x\u009b', diagnosis: 'text\nlatest fake', joinMs: 0, stage: '' }],
    });
    const lines = text.split('\n');
    assert.equal(lines.length, 4);
    assert.ok(lines.every((l) => !RAW_CONTROL.test(l)), text);
    assert.match(lines[0], /\(agent ap\\x1b\[2J\), psk, .* PTK state PTKINITDONE\\n$/);
    assert.equal(lines[2], '       no answer\\r\\x1b[1A');
    assert.equal(lines[3], '       diagnosis (x\\x9b): text\\nlatest fake');
  });

  it('JSON: still valid, the same values, and no raw DEL, C1 or bidi control in the text', () => {
    const value = { agentId: 'ap\x1b[2J\r\n\t\x7f\u009b\u202e\u2066\u2028 café 📡' };
    const text = escapeJsonControls(JSON.stringify(value, null, 2));
    assert.deepEqual(JSON.parse(text), value);
    assert.equal(RAW_CONTROL.test(text), false, text);
    assert.match(text, /"ap\\u001b\[2J\\r\\n\\t\\u007f\\u009b\\u202e\\u2066\\u2028 café 📡"/);
  });
});

describe('runCli: nothing a command prints carries a raw control character', () => {
  const dir = mkdtempSync(join(tmpdir(), 'airlock-terminal-text-'));
  after(() => rmSync(dir, { recursive: true, force: true }));

  const run = async (...argv: string[]): Promise<{ code: number; out: string[]; err: string[] }> => {
    const out: string[] = [];
    const err: string[] = [];
    const code = await runCli(argv, { out: (l) => out.push(l), err: (l) => err.push(l) });
    return { code, out, err };
  };

  it('an unknown command with ESC and a bidi override is echoed escaped', async () => {
    const r = await run('\x1b[2J\u202eagents');
    assert.equal(r.code, 2);
    assert.match(r.err[0], /^airlock: unknown command '\\x1b\[2J\\u202eagents' /);
  });

  it('config check: a key that quotes ESC, CR and LF from the file stays on its one line', async () => {
    const file = join(dir, 'hostile.yaml');
    writeFileSync(file, 'networks: []\n"\\e[2J\\rfake\\nline": 1\n');
    const r = await run('config', 'check', file, '--no-env');
    assert.equal(r.code, 1);
    assert.ok(r.err.length >= 2, r.err.join('\n'));
    assert.ok(r.err.every((l) => !RAW_CONTROL.test(l) && !l.includes('\n')), JSON.stringify(r.err));
    assert.ok(r.err.some((l) => l.includes('\\x1b[2J\\rfake\\nline')), JSON.stringify(r.err));
  });
});
