/**
 * Terminal escapes do not reach the operator (issue 13 item 6). A real authenticator
 * process with plaintext AgentLink, where the agent id is whatever the agent's Hello says
 * (under mTLS it must equal the certificate's CN, which the test PKI keeps to
 * [A-Za-z0-9._-]): an agent names itself with ESC sequences (clear screen, cursor home, an
 * OSC window title), CR, LF and a fake row, TAB, DEL, the 8-bit CSI 0x9b and a bidi
 * override. The real `airlock` binary's stdout for `agents`, `stations` and `explain`
 * holds no raw control character (no byte < 0x20 but the LF ending each line, no DEL, no
 * C1, no bidi control), keeps one row per agent or station, and shows the id escaped;
 * `agents --json` still parses to the exact id. The authenticator logs in the pretty format
 * (log.format: pretty, issue 14 "Readable logs"): its log holds no raw control character
 * either, one record per line, the id JSON-quoted with every control escaped.
 */
import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import pino from 'pino';
import { EdgeAgent, SimDriver, simBsses, simStations } from '@airlock/edge-agent';
import { formatMac } from '@airlock/rsn';
import { REPO_ROOT, startAuthenticatorProcess, type AuthenticatorProcess } from '../support/authenticator-process.js';
import { testPkiDir } from '../support/test-pki.js';
import { TEST_PASSPHRASE, TEST_SSID, waitFor } from '../support/topology.js';

const AIRLOCK = join(REPO_ROOT, 'services/authenticator/dist/cli/airlock.js');
const STATIONS = 2;

/** The agent's id: clear screen, cursor home, CR and a fake row, an OSC title, TAB, DEL, 8-bit CSI, RLO, an isolate, and UTF-8 that must stay. */
const HOSTILE_ID = 'ap-9\x1b[2J\x1b[H\rFAKE\nap-1  connected\x1b]0;owned\x07\t\x7f\u009b31m\u202eevil\u2066 café 📡';
/** The same as the operator must see it: one line, each control as an escape. */
const SHOWN_ID = 'ap-9\\x1b[2J\\x1b[H\\rFAKE\\nap-1  connected\\x1b]0;owned\\x07\\t\\x7f\\x9b31m\\u202eevil\\u2066 café 📡';

/** Runs the `airlock` binary; resolves with its exit code and raw stdout/stderr bytes. */
function airlock(args: string[]): Promise<{ code: number; stdout: Buffer; stderr: Buffer }> {
  return new Promise((resolve) => {
    execFile(process.execPath, [AIRLOCK, ...args], { encoding: 'buffer', timeout: 15_000 }, (err, stdout, stderr) => {
      const code = err === null ? 0 : typeof err.code === 'number' ? err.code : -1;
      resolve({ code, stdout, stderr });
    });
  });
}

/** Fails when `bytes` holds anything a terminal would act on; returns the text. */
function assertNoRawControl(bytes: Buffer, what: string): string {
  for (const [i, b] of bytes.entries()) {
    assert.ok((b >= 0x20 && b !== 0x7f) || b === 0x0a, `${what}: raw byte 0x${b.toString(16).padStart(2, '0')} at ${i}`);
  }
  assert.equal(bytes.at(-1), 0x0a, `${what}: ends with a line break`);
  const text = new TextDecoder('utf-8', { fatal: true }).decode(bytes);
  const c1OrBidi = /[\u0080-\u009f\u2028\u2029\u202a-\u202e\u2066-\u2069]/u.exec(text);
  assert.equal(c1OrBidi, null, `${what}: raw U+${c1OrBidi?.[0].codePointAt(0)?.toString(16)}`);
  return text;
}

void describe('terminal escapes in remote text do not reach the operator', () => {
  let dir: string;
  let auth: AuthenticatorProcess;
  let driver: SimDriver;
  let agent: EdgeAgent;
  let sta: string;

  const cli = async (...args: string[]): Promise<string> => {
    const r = await airlock([...args, '--server', `localhost:${auth.adminPort}`, '--pki-dir', testPkiDir()]);
    assert.equal(r.code, 0, r.stderr.toString());
    if (r.stderr.length > 0) assertNoRawControl(r.stderr, `airlock ${args[0]} stderr`);
    return assertNoRawControl(r.stdout, `airlock ${args.join(' ')}`);
  };

  before(async () => {
    dir = mkdtempSync(join(tmpdir(), 'airlock-terminal-escapes-'));
    auth = await startAuthenticatorProcess('terminal-escapes', dir, { log: { level: 'debug', format: 'pretty' }, networks: [{ ssid: TEST_SSID, akms: ['psk'], passphrases: [TEST_PASSPHRASE], group_rekey_s: 0 }] });
    const t = { agentNumber: 1, bsses: 1, stations: STATIONS, ssid: TEST_SSID, passphrase: TEST_PASSPHRASE };
    const stations = simStations(t);
    sta = formatMac(stations[0].mac);
    driver = new SimDriver({ bsses: simBsses(t), stations, behaviour: { joinSpreadMs: 100, rejoinAfterDisconnect: false }, seed: 13 });
    // Plaintext AgentLink: nothing but the 128-character limit constrains the id.
    agent = new EdgeAgent({ agentId: HOSTILE_ID, target: auth.grpcTarget, driver, logger: pino({ level: 'silent' }) });
    await agent.start();
    assert.ok(await waitFor(() => driver.authorizedCount() === STATIONS, 15_000), 'both stations authorized under the hostile agent');
  });
  after(async () => {
    await agent?.stop();
    await auth?.stop();
    if (dir !== undefined) rmSync(dir, { recursive: true, force: true });
  });

  void it('agents: one row, the id escaped', async () => {
    const lines = (await cli('agents')).split('\n');
    assert.equal(lines.pop(), '', 'the last line ends with LF');
    assert.equal(lines.length, 2, `a header and one row, no fake row:\n${lines.join('\n')}`);
    assert.match(lines[0], /^AGENT\s+STATE\s+STATIONS\s+BSSIDS/);
    assert.ok(lines[1].startsWith(`${SHOWN_ID}  connected  2 `), lines[1]);
  });

  void it('stations and explain: the agent column and the explain line escaped', async () => {
    const lines = (await cli('stations')).split('\n');
    assert.equal(lines.pop(), '');
    assert.equal(lines.length, 1 + STATIONS, `a header and one row per station:\n${lines.join('\n')}`);
    for (const l of lines.slice(1)) {
      assert.match(l, /^02:\S+ {2}authorized {2}02:\S+ {2}/);
      assert.ok(l.includes(`  ${SHOWN_ID}  psk  `), l);
    }
    const explain = await cli('explain', sta);
    assert.ok(explain.startsWith(`station ${sta}: authorized on `), explain);
    assert.ok(explain.includes(` (agent ${SHOWN_ID}), psk, `), explain);
  });

  void it('the pretty log: no raw control character, one record per line, the id escaped, no passphrase', () => {
    const text = assertNoRawControl(readFileSync(auth.logFile), 'the authenticator\'s pretty log');
    const lines = text.split('\n').filter((l) => l !== '');
    for (const l of lines) assert.match(l, /^(\d\d:\d\d:\d\d\.\d{3} (TRACE|DEBUG|INFO |WARN |ERROR|FATAL) |    at )/, `a pretty record (or a stack frame): ${l}`);
    assert.ok(lines.some((l) => l.includes(' DEBUG ')), 'debug lines, where the most detail is');
    // JSON.stringify escapes C0 and quotes; DEL, C1 and bidi controls as \uHHHH (escapeJsonControls).
    const shown = JSON.stringify(HOSTILE_ID).replace(/[\u007f-\u009f\u2028\u2029\u202a-\u202e\u2066-\u2069]/g, (c) => `\\u${c.charCodeAt(0).toString(16).padStart(4, '0')}`);
    assert.ok(lines.some((l) => l.includes(`agent=${shown}`)), `the hostile id as agent=${shown}`);
    assert.ok(!text.includes(TEST_PASSPHRASE), 'no passphrase');
  });

  void it('agents --json: valid JSON with the exact id, and no raw control character in the bytes', async () => {
    const text = await cli('agents', '--json');
    const agents = JSON.parse(text) as { agentId: string }[];
    assert.deepEqual(agents.map((a) => a.agentId), [HOSTILE_ID]);
    assert.ok(text.includes('"agentId": "ap-9\\u001b[2J\\u001b[H\\rFAKE\\nap-1  connected\\u001b]0;owned\\u0007\\t\\u007f\\u009b31m\\u202eevil\\u2066 café 📡"'), text);
  });
});
