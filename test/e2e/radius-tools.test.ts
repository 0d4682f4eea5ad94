/**
 * The RADIUS-side operator tools of issue 14 (item 4), end to end: a real authenticator
 * process, a real FreeRADIUS 3.2 and a port where nothing answers, the `airlock` CLI run as a
 * child process over the local Admin socket. Its exit codes and lines:
 *
 * - `airlock radius test USER PASSWORD`: Access-Accept with Reply-Message, Session-Timeout and
 *   VLAN (exit 0), Access-Reject (1), every server dead (1), usage (2);
 * - `airlock radius`: one server alive, one dead (since when, last error), table and --json;
 * - the log: one warn line when a server is marked dead and one info line when it answers
 *   again, however many requests went unanswered in between (they are counted);
 * - /readyz?verbose=1 says what is degraded (one server dead: no failover; both: 802.1X)
 *   while /readyz stays 200 "ready" for the compose healthcheck;
 * - `airlock reload`: applied (what changed), rejected with every error one per line,
 *   usage; counted in airlock_config_reloads_total.
 * No password and no shared secret in the authenticator's log.
 */
import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import dgram from 'node:dgram';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import pino from 'pino';
import { EdgeAgent, SimDriver, simBsses, simStations } from '@airlock/edge-agent';
import { REPO_ROOT, startAuthenticatorProcess, type AuthenticatorProcess } from '../support/authenticator-process.js';
import { startFreeRadius, type FreeRadius } from '../support/freeradius.js';
import { agentCredentials, serverTlsYaml, testPki } from '../support/test-pki.js';
import { TEST_PASSPHRASE, TEST_SSID, waitFor } from '../support/topology.js';

const CLI = join(REPO_ROOT, 'services/authenticator/dist/cli/airlock.js');
const SECRET = 'radius tools e2e secret';
const ALICE = { name: 'alice', password: 'alice pap password 1' };
const BOB = { name: 'bob', password: 'bob pap password 2' };
const STATIONS = 12;

interface Run {
  code: number;
  out: string;
  err: string;
}

/** A UDP port on 127.0.0.1 where nothing answers (bound, then closed). */
async function silentPort(): Promise<number> {
  const s = dgram.createSocket('udp4');
  await new Promise<void>((r) => s.bind(0, '127.0.0.1', () => r()));
  const port = s.address().port;
  await new Promise<void>((r) => s.close(() => r()));
  return port;
}

void describe('airlock radius / radius test / reload against a real authenticator and FreeRADIUS', () => {
  let dir: string;
  let fr: FreeRadius;
  let auth: AuthenticatorProcess;
  let deadPort: number;
  let agent: EdgeAgent | undefined;
  let driver: SimDriver | undefined;

  /** The CLI as an operator runs it: a child process on the authenticator's local socket. */
  const cli = (...args: string[]): Promise<Run> =>
    new Promise((resolve) => {
      execFile(process.execPath, [CLI, ...args, '--socket', auth.adminSocket], { timeout: 60_000 }, (err, stdout, stderr) => {
        const code = err === null ? 0 : typeof (err as { code?: unknown }).code === 'number' ? ((err as { code: number }).code) : -1;
        resolve({ code, out: stdout.trimEnd(), err: stderr.trimEnd() });
      });
    });
  const logLines = (msg: string): Record<string, unknown>[] =>
    readFileSync(auth.logFile, 'utf8')
      .split('\n')
      .filter((l) => l.includes(`"msg":"${msg}"`))
      .map((l) => JSON.parse(l) as Record<string, unknown>);
  const readyz = async (q = '?verbose=1'): Promise<{ status: number; body: string }> => {
    const r = await fetch(`http://127.0.0.1:${auth.httpPort}/readyz${q}`);
    return { status: r.status, body: await r.text() };
  };
  const metric = async (name: string): Promise<number> => (await auth.metrics()).get(name) ?? 0;

  before(async () => {
    dir = mkdtempSync(join(tmpdir(), 'airlock-radius-tools-'));
    const pki = testPki();
    fr = await startFreeRadius({
      secret: SECRET,
      users: [
        { name: ALICE.name, password: ALICE.password, reply: { 'Reply-Message': 'Hello alice', 'Session-Timeout': '3600', 'Tunnel-Type': 'VLAN', 'Tunnel-Medium-Type': 'IEEE-802', 'Tunnel-Private-Group-Id': '42' } },
        { name: BOB.name, password: BOB.password },
      ],
      pki: { caCert: pki.ca.cert, stationCa: pki.issuers.station.cert, serverCert: pki.radiusServer.cert, serverKey: pki.radiusServer.key },
    });
    deadPort = await silentPort();
    auth = await startAuthenticatorProcess('radius-tools', dir, {
      grpc: { plaintext: false, tls: serverTlsYaml() },
      log: { level: 'info' },
      networks: [
        { ssid: TEST_SSID, akms: ['psk'], passphrases: [TEST_PASSPHRASE] },
        { ssid: 'airlock-corp', akms: ['8021x'] },
      ],
      radius: {
        // The primary never answers: the first request marks it dead and fails over.
        servers: [
          { name: 'rad-dead', host: '127.0.0.1', auth_port: deadPort, acct_port: deadPort, secret: SECRET },
          { name: 'rad-live', host: '127.0.0.1', auth_port: fr.authPort, acct_port: fr.acctPort, secret: SECRET },
        ],
        timeout_ms: 100,
        max_retransmits: 1,
        dead_after_ms: 300,
        probe_interval_ms: 300,
        nas_identifier: 'airlock-radius-tools',
      },
    });
  });
  after(async () => {
    await agent?.stop();
    await auth?.stop();
    await fr?.stop();
    rmSync(dir, { recursive: true, force: true });
  });

  void it('radius test: Access-Accept through failover, with Reply-Message, Session-Timeout and the VLAN (exit 0)', async () => {
    const r = await cli('radius', 'test', ALICE.name, ALICE.password);
    assert.equal(r.code, 0, r.err);
    const lines = r.out.split('\n');
    assert.match(lines[0], /^Access-Accept from rad-live in \d+\.\d ms$/);
    assert.deepEqual(lines.slice(1), ['  Reply-Message: Hello alice', '  Session-Timeout: 3600 s', '  VLAN: 42']);
    assert.equal(r.err, '');
    const j = await cli('radius', 'test', ALICE.name, ALICE.password, '--json');
    assert.equal(j.code, 0, j.err);
    const body = JSON.parse(j.out) as { result: string; server: string; rttMs: number; replyMessage: string; sessionTimeoutS: number; vlan: string };
    assert.deepEqual([body.result, body.server, body.replyMessage, body.sessionTimeoutS, body.vlan], ['accept', 'rad-live', 'Hello alice', 3600, '42']);
    assert.ok(body.rttMs > 0 && body.rttMs < 1000);
  });

  void it('radius: one server alive, one dead (since when, last error); --json', async () => {
    const r = await cli('radius');
    assert.equal(r.code, 0, r.err);
    const [header, dead, live, ...rest] = r.out.split('\n');
    assert.deepEqual(rest, []);
    assert.match(header, /^SERVER\s+ADDRESS\s+STATE\s+SINCE\s+RTT LAST\/SMOOTHED\s+IN FLIGHT\s+TIMEOUTS\s+LAST ERROR$/);
    assert.match(dead, new RegExp(`^rad-dead\\s+127\\.0\\.0\\.1:${deadPort}\\s+dead\\s+\\d+s ago\\s+-\\s+0\\s+1\\s+(no answer to an Access-Request \\(every retransmission\\)|Status-Server probe not answered) \\(\\d+s ago\\)$`));
    assert.match(live, new RegExp(`^rad-live\\s+127\\.0\\.0\\.1:${fr.authPort}\\s+alive\\s+\\d+s ago\\s+\\d+\\.\\d / \\d+\\.\\d ms\\s+0\\s+0\\s+-$`));
    const j = await cli('radius', 'list', '--json');
    assert.equal(j.code, 0, j.err);
    const servers = JSON.parse(j.out) as { name: string; state: string; sinceUnixMs: number; lastError: string; timeouts: number; smoothedRttMs: number }[];
    assert.deepEqual(servers.map((s) => [s.name, s.state, s.timeouts]), [['rad-dead', 'dead', 1], ['rad-live', 'alive', 0]]);
    assert.ok(Math.abs(Date.now() - servers[0].sinceUnixMs) < 60_000 && servers[0].lastError !== '');
    assert.ok(servers[1].smoothedRttMs > 0);
    // The status page shows the same (GET /api/status, its RADIUS servers table).
    const status = (await (await fetch(`http://127.0.0.1:${auth.httpPort}/api/status`)).json()) as { radius: { name: string; address: string; alive: boolean; sinceUnixMs: number; srttMs?: number; lastError?: string }[] };
    assert.deepEqual(status.radius.map((x) => [x.name, x.address, x.alive]), [['rad-dead', `127.0.0.1:${deadPort}`, false], ['rad-live', `127.0.0.1:${fr.authPort}`, true]]);
    assert.ok(status.radius[0].lastError !== undefined && status.radius[1].srttMs !== undefined);
    const page = await (await fetch(`http://127.0.0.1:${auth.httpPort}/`)).text();
    assert.ok(page.includes('<h2>RADIUS servers</h2>') && page.includes('rows("radius"'));
  });

  void it('radius test: Access-Reject exits 1 with the answer; usage errors exit 2', async () => {
    const r = await cli('radius', 'test', BOB.name, 'not the password');
    assert.equal(r.code, 1);
    assert.match(r.out, /^Access-Reject from rad-live in \d+\.\d ms$/);
    assert.equal(r.err, 'airlock radius: Access-Reject from rad-live');
    const missing = await cli('radius', 'test', BOB.name);
    assert.equal(missing.code, 2);
    assert.equal(missing.err, 'airlock radius: expected USER and PASSWORD (usage: airlock radius test USER PASSWORD|- [connection options] [--json])');
    const long = await cli('radius', 'test', BOB.name, 'x'.repeat(129));
    assert.equal(long.code, 2);
    assert.equal(long.err, 'airlock radius: PASSWORD must be 1..128 octets (RFC 2865 5.2)');
    const extra = await cli('radius', 'list', 'extra');
    assert.equal(extra.code, 2);
    assert.match(extra.err, /^airlock radius: unexpected argument 'extra'/);
  });

  void it('/readyz: one server dead is degraded redundancy in ?verbose=1; the plain answer stays 200 "ready"', async () => {
    assert.deepEqual(await readyz(''), { status: 200, body: 'ready\n' });
    const v = await readyz();
    assert.equal(v.status, 200);
    const body = JSON.parse(v.body) as { status: string; degraded: { component: string; reason: string; servers: { name: string }[] }[] };
    assert.equal(body.status, 'degraded');
    assert.deepEqual(body.degraded.map((d) => [d.component, d.reason, d.servers.map((s) => s.name)]), [['radius', '1 of 2 RADIUS servers dead', ['rad-dead']]]);
  });

  void it('no server answers: many unanswered requests give one warn line per server; radius test exits 1; /readyz says 802.1X is down, still 200', async () => {
    const warnsBefore = logLines('RADIUS server marked dead (no answer); Status-Server probes it');
    assert.deepEqual(warnsBefore.map((l) => l.server), ['rad-dead'], 'the dead primary: one line');
    fr.kill();
    // PSK stations join: each sends an Accounting-Start, which no server answers now.
    const t = { agentNumber: 1, bsses: 2, stations: STATIONS, ssid: TEST_SSID, passphrase: TEST_PASSPHRASE };
    driver = new SimDriver({ bsses: simBsses(t), stations: simStations(t), behaviour: { joinSpreadMs: 200 }, seed: 11 });
    agent = new EdgeAgent({ agentId: 'ap-1', target: `localhost:${auth.grpcPort}`, driver, logger: pino({ level: 'silent' }), credentials: agentCredentials('ap-1') });
    await agent.start();
    assert.ok(await waitFor(() => driver!.authorizedCount() === STATIONS, 15_000), 'PSK joins work without RADIUS');
    assert.ok(await waitFor(async () => (await metric('airlock_radius_unanswered_total{kind="accounting"}')) >= STATIONS, 20_000), 'every Accounting-Start went unanswered');

    const r = await cli('radius', 'test', ALICE.name, ALICE.password);
    assert.equal(r.code, 1);
    assert.equal(r.out, '');
    assert.match(r.err, /^airlock radius: no RADIUS server answered \(tried rad-(live|dead), rad-(live|dead)\)$/);

    const warns = logLines('RADIUS server marked dead (no answer); Status-Server probes it');
    assert.deepEqual(warns.map((l) => l.server).sort(), ['rad-dead', 'rad-live'], `one warn line per server, not one per request: ${JSON.stringify(warns)}`);
    assert.equal(warns.find((l) => l.server === 'rad-live')?.aliveServers, 0);
    const timeouts = await metric('airlock_radius_requests_total{server="rad-live",code="timeout"}');
    assert.ok(timeouts >= STATIONS, `rad-live: ${timeouts} unanswered requests, counted`);
    for (const perRequest of ['no RADIUS server answered', 'accounting request not answered', 'accounting request not sent', 'Access-Request not sent']) {
      assert.deepEqual(logLines(perRequest), [], `no "${perRequest}" lines`);
    }

    assert.deepEqual(await readyz(''), { status: 200, body: 'ready\n' }, 'still ready: PSK and PMKSA-cached joins work');
    const v = await readyz();
    assert.equal(v.status, 200);
    const body = JSON.parse(v.body) as { status: string; ready: boolean; degraded: { component: string; reason: string; impact: string; servers: { name: string; state: string; sinceUnixMs: number; lastError?: string }[] }[] };
    assert.equal(body.status, 'degraded');
    assert.equal(body.ready, true);
    assert.equal(body.degraded.length, 1);
    const [d] = body.degraded;
    assert.deepEqual([d.component, d.reason, d.impact], ['802.1x', 'no RADIUS server answers (2 of 2 dead)', '802.1X authentications fail; PSK joins and PMKSA-cached roams still work']);
    assert.deepEqual(d.servers.map((s) => [s.name, s.state]), [['rad-dead', 'dead'], ['rad-live', 'dead']]);
    assert.ok(d.servers.every((s) => Math.abs(Date.now() - s.sinceUnixMs) < 120_000 && typeof s.lastError === 'string' && s.lastError.length > 0));
  });

  void it('the server comes back: one info line with the requests it missed; the list shows it alive', async () => {
    await fr.restart();
    assert.ok(await waitFor(() => logLines('RADIUS server answers again').length >= 1, 10_000), 'Status-Server found it');
    await new Promise((r) => setTimeout(r, 1000));
    const back = logLines('RADIUS server answers again');
    assert.equal(back.length, 1, JSON.stringify(back));
    assert.equal(back[0].server, 'rad-live');
    assert.ok((back[0].unansweredRequests as number) >= STATIONS - 1, JSON.stringify(back[0]));
    assert.equal(logLines('RADIUS server marked dead (no answer); Status-Server probes it').length, 2, 'no new warn line');
    const list = await cli('radius');
    assert.equal(list.code, 0, list.err);
    assert.match(list.out.split('\n')[2], /^rad-live\s+\S+\s+alive\s+\d+s ago\s/);
    assert.equal(await metric('airlock_radius_server_up{server="rad-live"}'), 1);
    assert.equal(await metric('airlock_radius_server_up{server="rad-dead"}'), 0);
  });

  void it('reload: applied with what changed (exit 0), rejected with every error one per line (exit 1), usage (exit 2); counted', async () => {
    const counts = async (): Promise<[number, number]> => [await metric('airlock_config_reloads_total{result="applied"}'), await metric('airlock_config_reloads_total{result="rejected"}')];
    assert.deepEqual(await counts(), [0, 0]);
    const networks = auth.config.networks as Record<string, unknown>[];
    const write = (nets: unknown[]): void => writeFileSync(auth.configFile, `${JSON.stringify({ ...auth.config, networks: nets }, null, 2)}\n`);
    write([{ ...networks[0], passphrases: [TEST_PASSPHRASE, 'a second passphrase'] }, networks[1]]);
    const ok = await cli('reload');
    assert.equal(ok.code, 0, ok.err);
    assert.equal(ok.out, `applied ${auth.configFile}: networks changed`);
    assert.deepEqual(await counts(), [1, 0]);
    const same = await cli('reload', '--json');
    assert.equal(same.code, 0, same.err);
    assert.deepEqual(JSON.parse(same.out), { applied: true, file: auth.configFile, changed: [], restartNeeded: [], errors: [] });

    write([{ ...networks[0], passphrases: ['short'], group_rekey_s: 'often' }, networks[1]]);
    const bad = await cli('reload');
    assert.equal(bad.code, 1);
    assert.equal(bad.out, '');
    const errs = bad.err.split('\n');
    assert.equal(errs.length, 3, bad.err);
    assert.match(errs[0], new RegExp(`^${auth.configFile.replace(/[.*+?^${}()|[\]\\]/g, '\\$&')}: networks\\[0\\]\\.passphrases\\[0\\]: expected 8\\.\\.63 printable ASCII characters`));
    assert.match(errs[1], new RegExp(`^${auth.configFile.replace(/[.*+?^${}()|[\]\\]/g, '\\$&')}: networks\\[0\\]\\.group_rekey_s: `));
    assert.equal(errs[2], 'airlock reload: rejected (2 errors); the running configuration stays');
    assert.ok(!bad.err.includes('short'), 'the passphrase is not echoed');
    assert.deepEqual(await counts(), [2, 1]);
    const usage = await cli('reload', 'now');
    assert.equal(usage.code, 2);
    assert.equal(usage.err, "airlock reload: unexpected argument 'now' (usage: airlock reload [connection options] [--json])");
    assert.deepEqual(await counts(), [2, 1]);
    // The SIGHUP path is the same reloader: counted too.
    write(networks);
    auth.signal('SIGHUP');
    assert.ok(await waitFor(async () => (await counts())[0] === 3, 5000), 'SIGHUP reload counted');
  });

  void it('unreachable: no socket there exits 1 with one line', async () => {
    const r = await new Promise<Run>((resolve) => {
      execFile(process.execPath, [CLI, 'reload', '--socket', join(dir, 'no.sock')], (err, stdout, stderr) => resolve({ code: (err as { code?: number } | null)?.code ?? 0, out: stdout.trimEnd(), err: stderr.trimEnd() }));
    });
    assert.equal(r.code, 1);
    assert.equal(r.err, `airlock reload: no Admin API socket at ${join(dir, 'no.sock')}: is the authenticator running, with admin.socket ${join(dir, 'no.sock')}? (--socket PATH for another one, --server HOST:PORT for TCP with mTLS)`);
  });

  void it('no password and no shared secret in the authenticator\'s log; the tests are logged with the user and result', () => {
    const log = readFileSync(auth.logFile, 'utf8');
    for (const secret of [ALICE.password, BOB.password, 'not the password', SECRET]) assert.ok(!log.includes(secret), `${secret} in the log`);
    const tests = logLines('RADIUS test by an operator');
    assert.deepEqual(tests.map((l) => [l.user, l.result]), [['alice', 'accept'], ['alice', 'accept'], ['bob', 'reject'], ['alice', 'timeout']]);
  });
});
