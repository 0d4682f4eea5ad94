/**
 * The station-side operator tools (issue 14 item 4), end to end: the authenticator as its
 * own process, real edge agents with simulated stations, real FreeRADIUS for 802.1X, and the
 * `airlock` binary as a child process (exit code and line of each command and error path).
 *
 * - `airlock events`: the recent events (EAP success with identity and method, connected,
 *   EAP failure, disconnected with the reason in words), filtered by station; the same as
 *   info lines in the authenticator's log; a bad filter is a usage error (2), an
 *   unreachable authenticator a failure (1);
 * - `airlock events --follow`: a live event arrives (a PMKSA-cached rejoin), Ctrl-C ends it
 *   with exit 0;
 * - `airlock explain` of an EAP-TTLS station: identity, method, RADIUS server, RTT per round,
 *   VLAN, session timeout; and of its PMKSA-cached rejoin: the cache hit;
 * - the status page (Debian's Chromium, playwright-core): a wrong passphrase listed as a
 *   failure in words with the core's diagnosis, and an agent that went away listed as gone
 *   with the time since; `airlock events` says the same of the wrong passphrase.
 */
import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { execFile, spawn } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import pino from 'pino';
import { chromium, type Browser } from 'playwright-core';
import { EdgeAgent, SimDriver, simBsses, simStations } from '@airlock/edge-agent';
import { formatMac } from '@airlock/rsn';
import { freeTcpPort, REPO_ROOT, startAuthenticatorProcess, type AuthenticatorProcess } from '../support/authenticator-process.js';
import { CORP_SSID, RADIUS_SECRET, startRadio, stationMac, ttlsStationSpec, type Radio } from '../support/enterprise.js';
import { startFreeRadius, type FreeRadius } from '../support/freeradius.js';
import { agentCredentials, serverTlsYaml, testPki, testPkiDir } from '../support/test-pki.js';
import { TEST_PASSPHRASE, TEST_SSID, waitFor } from '../support/topology.js';

const AIRLOCK = join(REPO_ROOT, 'services/authenticator/dist/cli/airlock.js');
const CHROMIUM = '/usr/bin/chromium';

interface Run {
  code: number;
  out: string;
  err: string;
}

/** Runs the `airlock` binary to its end. */
function airlock(args: string[]): Promise<Run> {
  return new Promise((resolve) => {
    execFile(process.execPath, [AIRLOCK, ...args], { encoding: 'utf8', timeout: 20_000 }, (err, stdout, stderr) => {
      const code = err === null ? 0 : typeof err.code === 'number' ? err.code : -1;
      resolve({ code, out: stdout.trim(), err: stderr.trim() });
    });
  });
}

/** The Admin API of `auth` over mTLS with the test PKI's operator certificate. */
function adminArgs(auth: AuthenticatorProcess): string[] {
  return ['--server', `localhost:${auth.adminPort}`, '--pki-dir', testPkiDir()];
}

/** The authenticator's JSON log lines with message `msg`. */
function logLines(auth: AuthenticatorProcess, msg: string): Record<string, unknown>[] {
  return readFileSync(auth.logFile, 'utf8').split('\n').filter((l) => l.includes(`"msg":"${msg}"`)).map((l) => JSON.parse(l) as Record<string, unknown>);
}

void describe('station events, explain and failures in words (issue 14)', () => {
  let dir: string;
  before(() => {
    dir = mkdtempSync(join(tmpdir(), 'airlock-station-events-'));
  });
  after(() => rmSync(dir, { recursive: true, force: true }));

  void describe('802.1X stations through FreeRADIUS', () => {
    let radius: FreeRadius;
    let auth: AuthenticatorProcess;
    let radio: Radio | undefined;
    const alice = stationMac(70, 1);
    const bob = stationMac(70, 2);
    const aliceText = formatMac(alice);
    const bobText = formatMac(bob);

    before(async () => {
      const pki = testPki();
      radius = await startFreeRadius({
        secret: RADIUS_SECRET,
        users: [
          { name: 'alice', password: 'alice-pw', reply: { 'Tunnel-Type': 'VLAN', 'Tunnel-Medium-Type': 'IEEE-802', 'Tunnel-Private-Group-Id': '10', 'Session-Timeout': '3600' } },
          { name: 'bob', password: 'bob-pw' },
        ],
        pki: { caCert: pki.ca.cert, stationCa: pki.issuers.station.cert, serverCert: pki.radiusServer.cert, serverKey: pki.radiusServer.key },
      });
      auth = await startAuthenticatorProcess('station-events', dir, {
        grpc: { plaintext: false, tls: serverTlsYaml() },
        log: { level: 'info' },
        networks: [{ ssid: CORP_SSID, akms: ['8021x'], passphrases: [] }],
        radius: { servers: [{ name: 'primary', host: '127.0.0.1', auth_port: radius.authPort, acct_port: radius.acctPort, secret: RADIUS_SECRET }], interim_interval_s: 0 },
      });
      const caPem = readFileSync(pki.ca.cert, 'utf8');
      radio = await startRadio(auth, {
        agents: 1,
        stations: [ttlsStationSpec(alice, 'alice', 'alice-pw', caPem, { home: 0 }), ttlsStationSpec(bob, 'bob', 'not bob-pw', caPem, { home: 1 })],
        behaviour: { rejoinAfterDisconnect: false },
      }, 1);
      assert.ok(await waitFor(() => radio!.sim.authorizedCount() === 1, 20_000), `alice authorized by EAP-TTLS; log:\n${readFileSync(auth.logFile, 'utf8').slice(-3000)}`);
      assert.ok(await waitFor(() => logLines(auth, 'station disconnected').some((l) => l.sta === bobText), 10_000), 'bob rejected and disconnected');
      radio.sim.leave(alice);
      assert.ok(await waitFor(() => logLines(auth, 'station disconnected').some((l) => l.sta === aliceText), 5000), 'alice left');
    });
    after(async () => {
      await radio?.stop();
      await auth?.stop();
      await radius?.stop();
    });

    void it('events without --follow: EAP success with identity and method, connected, EAP failure, disconnected with the reason in words; exit 0', async () => {
      const r = await airlock(['events', ...adminArgs(auth)]);
      assert.equal(r.code, 0, r.err);
      assert.equal(r.err, '');
      const lines = r.out.split('\n');
      const of = (sta: string): string[] => lines.filter((l) => l.includes(` ${sta}`));
      const stamp = String.raw`^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{3}Z ap-1 02:\S+ `;
      const a = of(aliceText);
      assert.equal(a.length, 3, `alice: EAP success, connected, disconnected:\n${r.out}`);
      assert.match(a[0], new RegExp(`${stamp}EAP success ${aliceText}: identity "anonymous" \\(EAP-TTLS\\), Access-Accept \\(RADIUS server primary\\)(, User-Name "alice")?, VLAN 10$`));
      assert.match(a[1], new RegExp(`${stamp}connected ${aliceText}: 8021x, identity "anonymous" \\(EAP-TTLS\\), VLAN 10, joined in [\\d.]+ ms$`));
      assert.match(a[2], new RegExp(`${stamp}disconnected ${aliceText}: reason 8 \\(station is leaving \\(or has left\\) the BSS\\) by the station \\[identity "anonymous" \\(EAP-TTLS\\)\\]$`));
      const b = of(bobText);
      assert.equal(b.length, 2, `bob: EAP failure, disconnected:\n${r.out}`);
      assert.match(b[0], new RegExp(`${stamp}EAP failure ${bobText}: identity "anonymous" \\(EAP-TTLS\\), Access-Reject \\(RADIUS server primary\\)$`));
      assert.match(b[1], new RegExp(`${stamp}disconnected ${bobText}: reason 23 \\(IEEE 802\\.1X authentication failed\\) by the authenticator: 802\\.1X: Access-Reject`));
      // The same events are info lines of the log, with agent, BSS and station.
      const connected = logLines(auth, 'station connected').find((l) => l.sta === aliceText);
      assert.ok(connected !== undefined);
      assert.deepEqual([connected.level, connected.agent, connected.identity, connected.method, connected.vlan], [30, 'ap-1', 'anonymous', 'EAP-TTLS', 10]);
      // --sta: one station's events only; --json: one object per line.
      const only = await airlock(['events', '--sta', bobText, '--json', ...adminArgs(auth)]);
      assert.equal(only.code, 0, only.err);
      const items = only.out.split('\n').map((l) => JSON.parse(l) as { type: string; kind: string; sta: string; reason: number; seq: number });
      assert.deepEqual(items.map((i) => [i.type, i.kind, i.sta]), [['event', 'eap-failure', bobText], ['event', 'disconnected', bobText]]);
      assert.equal(items[1].reason, 23);
      assert.ok(items[0].seq < items[1].seq);
    });

    void it('events errors: a bad filter is a usage error (2), an unreachable authenticator a failure (1); one line each', async () => {
      const bad = await airlock(['events', '--sta', 'zz', ...adminArgs(auth)]);
      assert.equal(bad.code, 2);
      assert.equal(bad.out, '');
      assert.equal(bad.err, 'airlock events: --sta "zz" is not a MAC address (aa:bb:cc:dd:ee:ff)');
      const port = await freeTcpPort();
      const gone = await airlock(['events', '--server', `localhost:${port}`, '--pki-dir', testPkiDir(), '--timeout-s', '2']);
      assert.equal(gone.code, 1);
      assert.match(gone.err, new RegExp(`^airlock events: cannot reach the authenticator's Admin API at localhost:${port}: `));
      assert.equal(gone.err.split('\n').length, 1);
    });

    void it('events --follow: the recent events, then a live one (a PMKSA-cached rejoin); Ctrl-C ends it with exit 0', async () => {
      const child = spawn(process.execPath, [AIRLOCK, 'events', '--follow', '--sta', aliceText, ...adminArgs(auth)], { stdio: ['ignore', 'pipe', 'pipe'] });
      let out = '';
      let err = '';
      child.stdout.on('data', (c: Buffer) => (out += c.toString('utf8')));
      child.stderr.on('data', (c: Buffer) => (err += c.toString('utf8')));
      const exited = new Promise<number | null>((resolve) => child.once('exit', (code) => resolve(code)));
      try {
        assert.ok(await waitFor(() => out.includes(`disconnected ${aliceText}`), 10_000), `the recent events first:\n${out}${err}`);
        radio!.sim.join(alice, 0);
        assert.ok(await waitFor(() => out.split('\n').filter((l) => l.includes(`connected ${aliceText}`) && !l.includes('disconnected')).length === 2, 10_000), `a live connected event:\n${out}${err}`);
        const live = out.split('\n').filter((l) => / connected /.test(l)).at(-1)!;
        assert.match(live, new RegExp(`connected ${aliceText}: 8021x, identity "anonymous", PMKSA cache hit, VLAN 10, joined in [\\d.]+ ms$`));
        child.kill('SIGINT');
        assert.equal(await exited, 0, err);
        assert.equal(err, '');
      } finally {
        if (child.exitCode === null) child.kill('SIGKILL');
      }
    });

    void it('explain: the EAP-TTLS station with identity, method, RADIUS server, RTT per round, VLAN and session timeout; the rejoin a PMKSA cache hit', async () => {
      assert.ok(await waitFor(() => radio!.sim.authorizedCount() === 1, 10_000), 'alice back');
      const r = await airlock(['explain', aliceText, ...adminArgs(auth)]);
      assert.equal(r.code, 0, r.err);
      const lines = r.out.split('\n');
      assert.match(lines[0], new RegExp(`^station ${aliceText}: authorized on 02:\\S+ \\(agent ap-1\\), 8021x, VLAN 10, `));
      assert.match(lines[1], /^latest \S+Z {2}02:\S+ {2}8021x {2}success, joined in [\d.]+ ms/);
      assert.equal(lines[2], '       802.1X: PMKSA cache hit (identity "anonymous", no EAP); VLAN 10, session timeout 3600 s');
      const eap = lines.find((l) => l.includes('802.1X: identity'));
      assert.match(eap ?? '', /^ {7}802\.1X: identity "anonymous"(, User-Name "alice")?, EAP-TTLS, accept; RADIUS server primary, (\d+) rounds, RTT per round [\d.]+(\/[\d.]+)+ ms; VLAN 10, session timeout 3600 s$/);
      const j = JSON.parse((await airlock(['explain', aliceText, '--json', ...adminArgs(auth)])).out) as { handshakes: { eap?: { method: string; pmksaCached: boolean; rounds: { server: string; rttMs: number }[]; roundsTotal: number; vlanId: number; sessionTimeoutS: number } }[] };
      const full = j.handshakes.find((h) => h.eap !== undefined && !h.eap.pmksaCached)?.eap;
      assert.ok(full !== undefined);
      assert.ok(full.rounds.length >= 4 && full.rounds.length <= 16 && full.roundsTotal >= full.rounds.length, `rounds kept ${full.rounds.length} of ${full.roundsTotal}`);
      assert.ok(full.rounds.every((x) => x.server === 'primary' && x.rttMs > 0));
      assert.deepEqual([full.method, full.vlanId, full.sessionTimeoutS], ['EAP-TTLS', 10, 3600]);
    });
  });

  void describe('the status page: a failure in words and a gone agent', () => {
    let auth: AuthenticatorProcess;
    let browser: Browser;
    let wrong: string;
    const agents: { agent: EdgeAgent; driver: SimDriver }[] = [];

    before(async () => {
      if (!existsSync(CHROMIUM)) throw new Error(`Chromium is not installed (${CHROMIUM}): apt-get install -y chromium`);
      auth = await startAuthenticatorProcess('status-failures', dir, {
        grpc: { plaintext: false, tls: serverTlsYaml() },
        log: { level: 'info' },
        agents: { reconnect_grace_s: 0 },
        networks: [{ ssid: TEST_SSID, akms: ['psk'], passphrases: [TEST_PASSPHRASE], group_rekey_s: 0 }],
      });
      for (const n of [2, 3]) {
        const t = { agentNumber: n, bsses: 1, stations: 2, ssid: TEST_SSID, passphrase: TEST_PASSPHRASE };
        const stations = simStations(t);
        if (n === 2) {
          stations[1] = { ...stations[1], passphrase: 'not the passphrase 456' };
          wrong = formatMac(stations[1].mac);
        }
        const driver = new SimDriver({ bsses: simBsses(t), stations, behaviour: { joinSpreadMs: 100, rejoinAfterDisconnect: false }, seed: n });
        const agent = new EdgeAgent({ agentId: `ap-${n}`, target: `localhost:${auth.grpcPort}`, driver, logger: pino({ level: 'silent' }), credentials: agentCredentials(`ap-${n}`) });
        agents.push({ agent, driver });
        await agent.start();
      }
      assert.ok(await waitFor(() => agents[0].driver.authorizedCount() === 1 && agents[1].driver.authorizedCount() === 2, 15_000));
      assert.ok(await waitFor(() => logLines(auth, 'station disconnected').some((l) => l.sta === wrong), 15_000), 'the wrong passphrase disconnected');
      await agents[1].agent.stop(); // ap-3 goes away
      browser = await chromium.launch({ executablePath: CHROMIUM, args: ['--no-sandbox', '--disable-gpu'] });
    });
    after(async () => {
      await browser?.close();
      await Promise.allSettled(agents.map((a) => a.agent.stop()));
      await auth?.stop();
    });

    void it('lists the wrong passphrase in words with its diagnosis, and ap-3 as gone with the time since', async () => {
      const page = await browser.newPage();
      const errors: string[] = [];
      page.on('pageerror', (e) => errors.push(e.message));
      await page.goto(`http://127.0.0.1:${auth.httpPort}/`);
      const cellsOf = (table: string): Promise<string[][]> => page.evaluate(`[...document.querySelectorAll('${table} tbody tr')].map((tr) => [...tr.querySelectorAll('td')].map((td) => td.textContent ?? ''))`);
      // page.evaluate (CDP) rather than waitForFunction, whose polling evaluates the predicate in the page, which the status page's CSP (no 'unsafe-eval') refuses.
      assert.ok(await waitFor(async () => (await page.evaluate(`document.querySelectorAll('#failures tbody tr').length > 0 && document.querySelectorAll('#agents tbody tr').length === 2`)) === true, 10_000), `document.querySelectorAll('#failures tbody tr').length > 0 && document.querySelectorAll('#agents tbody tr').length === 2`);
      const failures = await cellsOf('#failures');
      assert.equal(failures.length, 1, JSON.stringify(failures));
      const [when, bssid, agent, text] = failures[0];
      assert.match(when, /^\d+s ago$/);
      assert.equal(agent, 'ap-2');
      assert.match(bssid, /^02:/);
      assert.match(text, new RegExp(`^\\d+ MIC failures in msg 2/4 on BSS ${bssid} \\(1 station, last ${wrong}\\), 1 handshake failed: PSK mismatch: .*the station's passphrase is wrong$`));
      const rows = await cellsOf('#agents');
      assert.deepEqual(rows[0].slice(0, 1), ['ap-2']);
      assert.equal(rows[0][1], 'connected');
      assert.equal(rows[1][0], 'ap-3');
      assert.match(rows[1][1], /^gone \d+s ago \(.+\)$/);
      assert.equal(await page.textContent('#n-agents'), '1', 'the agents card counts the connected one');
      assert.deepEqual(errors, [], 'no script error on the page');
      await page.close();
      // The CLI says the same of the wrong passphrase.
      const r = await airlock(['events', '--sta', wrong, ...adminArgs(auth)]);
      assert.equal(r.code, 0, r.err);
      assert.match(r.out, new RegExp(`disconnected ${wrong}: reason 15 \\(4-way handshake timeout\\) by the authenticator: msg 1/4 sent \\d+ times, every msg 2/4 failed its MIC: PSK mismatch: .*the station's passphrase is wrong$`));
    });
  });
});
