/**
 * Log floods from remote input (issue 13 item 4; DESIGN.md "Security", "Fairness": log lines
 * driven by remote input are rate-limited and their strings truncated). The authenticator
 * runs as its own process (mTLS, log level info, its stdout in a file); the attackers too:
 *
 * - a hostile agent (test/support/log-flood-agent.ts, raw-2) says Hello with a 100 KB
 *   software_version and then sends CommandResult{ok: false} with 60 KB error texts at
 *   1300 per second (under limits.agent_messages_per_s) for 4 s. Before the defence this
 *   wrote one warn line with the whole text per result: ~80 MB per second of log. Now: the
 *   version and the errors are truncated with a marker, the failures are counted
 *   (airlock_agent_command_failures_total{command="unawaited"}), the agent writes 5 lines and
 *   one "N similar messages suppressed" summary when the window ends, and a healthy agent's
 *   stations join meanwhile;
 * - garbage UDP datagrams to the RADIUS client's socket (found in /proc from the process's
 *   socket inodes), from the RADIUS server's address and port and from 40 other loopback
 *   addresses: every one counted by reason (airlock_radius_invalid_responses_total), the
 *   lines bounded by the per-source and the all-sources rate, every suppressed line in a
 *   summary.
 */
import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import dgram from 'node:dgram';
import { mkdtempSync, readdirSync, readFileSync, readlinkSync, rmSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import pino from 'pino';
import { EdgeAgent, SimDriver, simBsses, simStations } from '@airlock/edge-agent';
import { startAuthenticatorProcess, type AuthenticatorProcess } from '../support/authenticator-process.js';
import { agentCredentials, testPki, testPkiDir } from '../support/test-pki.js';
import { TEST_PASSPHRASE, TEST_SSID, waitFor } from '../support/topology.js';

const FLOOD_SCRIPT = new URL('../support/log-flood-agent.js', import.meta.url).pathname;
const RATE = 1300;
const SECONDS = 4;
const ERROR_BYTES = 60_000;
const VERSION_BYTES = 100_000;
const HEALTHY_STATIONS = 10;
/** The authenticator's window (REMOTE_LOG_LIMITS.intervalMs): summaries are written when it ends. */
const WINDOW_MS = 10_000;
const MB = 1 << 20;

interface LogLine {
  msg?: string;
  agent?: string;
  version?: string;
  error?: string;
  suppressed?: number;
  source?: string;
  sourceKey?: string;
  sources?: number;
  server?: string;
  reason?: string;
  from?: string;
}

/** The lines of the log file from byte `from` on. */
function logLines(file: string, from = 0): LogLine[] {
  return readFileSync(file).subarray(from).toString('utf8').split('\n').filter((l) => l.startsWith('{')).map((l) => JSON.parse(l) as LogLine);
}

/** UDP ports (IPv4) of the sockets process `pid` holds, from its fds' socket inodes and /proc/<pid>/net/udp. */
function udpPortsOf(pid: number): number[] {
  const inodes = new Set<string>();
  for (const fd of readdirSync(`/proc/${pid}/fd`)) {
    try {
      const m = /^socket:\[(\d+)\]$/.exec(readlinkSync(`/proc/${pid}/fd/${fd}`));
      if (m !== null) inodes.add(m[1]);
    } catch {
      // closed meanwhile
    }
  }
  const ports: number[] = [];
  for (const line of readFileSync(`/proc/${pid}/net/udp`, 'utf8').split('\n').slice(1)) {
    const f = line.trim().split(/\s+/);
    if (f.length < 10 || !inodes.has(f[9])) continue;
    ports.push(parseInt(f[1].split(':')[1], 16));
  }
  return ports;
}

/**
 * grpc.tls of the configuration file: the test PKI's server certificate and root CA, and its
 * agent CA (agent_ca) when the PKI separates roles by issuing CA.
 */
function grpcTls(): Record<string, string> {
  const p = testPki();
  const agentCa = (p as { issuers?: { agent?: { cert: string } } }).issuers?.agent?.cert;
  return { cert: p.authenticator.cert, key: p.authenticator.key, ca: p.ca.cert, ...(agentCa === undefined ? {} : { agent_ca: agentCa }) };
}

const sleep = (ms: number): Promise<void> => new Promise((r) => setTimeout(r, ms));

void describe('log floods from remote input', () => {
  let workDir: string;
  let auth: AuthenticatorProcess;
  /** The RADIUS server the authenticator is configured with: it never answers. */
  let radiusServer: dgram.Socket;

  before(async () => {
    workDir = mkdtempSync(join(tmpdir(), 'airlock-log-flood-'));
    radiusServer = dgram.createSocket('udp4');
    await new Promise<void>((resolve) => radiusServer.bind(0, '127.0.0.1', resolve));
    auth = await startAuthenticatorProcess('log-flood', workDir, {
      // 1 MiB messages: the 100 KB Hello must reach the authenticator's Hello handler.
      grpc: { plaintext: false, tls: grpcTls(), max_message_bytes: MB },
      log: { level: 'info' },
      networks: [{ ssid: TEST_SSID, akms: ['psk'], passphrases: [TEST_PASSPHRASE], group_rekey_s: 0 }],
      // No accounting: its unanswered Stops (the healthy agent's stations leave) are not what is tested.
      radius: { accounting: false, servers: [{ name: 'fake', host: '127.0.0.1', auth_port: radiusServer.address().port, acct_port: radiusServer.address().port, secret: 'log flood secret' }] },
    });
  });
  after(async () => {
    await auth?.stop();
    radiusServer?.close();
    rmSync(workDir, { recursive: true, force: true });
  });

  void it('a hostile agent: 100 KB version and 1300 failed CommandResults/s of 60 KB each give a few truncated lines, a summary and a counter; healthy stations join', async () => {
    const before = statSync(auth.logFile).size;
    const port = auth.grpcTarget.split(':')[1];
    const flooder = spawn(process.execPath, [FLOOD_SCRIPT, `localhost:${port}`, 'raw-2', '02ff00000002', String(RATE), String(SECONDS), String(ERROR_BYTES), String(VERSION_BYTES)], {
      stdio: ['ignore', 'pipe', 'inherit'],
      env: { ...process.env, AIRLOCK_TEST_PKI: testPkiDir() },
    });
    let out = '';
    flooder.stdout.on('data', (d: Buffer) => (out += d.toString()));
    const exited = new Promise<void>((resolve) => flooder.once('exit', () => resolve()));

    const t = { agentNumber: 1, bsses: 1, stations: HEALTHY_STATIONS, ssid: TEST_SSID, passphrase: TEST_PASSPHRASE };
    const driver = new SimDriver({ bsses: simBsses(t), stations: simStations(t), behaviour: { joinSpreadMs: 2000 }, seed: 1 });
    const healthy = new EdgeAgent({ agentId: 'ap-1', target: `localhost:${port}`, driver, logger: pino({ level: 'silent' }), credentials: agentCredentials('ap-1') });
    try {
      await sleep(500); // the flood is on
      await healthy.start();
      assert.ok(await waitFor(() => driver.authorizedCount() === HEALTHY_STATIONS, 30_000), `authorized under the flood: ${driver.authorizedCount()}/${HEALTHY_STATIONS}`);
      await exited;
    } finally {
      flooder.kill('SIGKILL');
      await healthy.stop();
    }
    const flood = JSON.parse(out.trim().split('\n').at(-1) ?? '{}') as { written: number; seconds: number; welcomed: boolean; ended?: string };
    assert.equal(flood.welcomed, true, `the hostile agent was welcomed (${flood.ended ?? 'no end'})`);
    assert.ok(flood.written >= RATE * (SECONDS - 1), `the flood was real: ${flood.written} results in ${flood.seconds.toFixed(1)} s`);

    // Every failed result was read and counted: for commands nobody waits for, and the one
    // for the BSS's group key install (seq 2), which the core hears about.
    const failuresCounted = async (): Promise<number> => {
      let n = 0;
      for (const [k, v] of await auth.metrics()) if (k.startsWith('airlock_agent_command_failures_total{')) n += v;
      return n;
    };
    assert.ok(await waitFor(async () => (await failuresCounted()) === flood.written, 10_000), `airlock_agent_command_failures_total = ${await failuresCounted()}, written ${flood.written}`);
    assert.equal((await auth.metrics()).get('airlock_agent_command_failures_total{command="install-group-key"}'), 1);
    // The window that began with the first suppressed line ends with its summary.
    const summaryOf = (lines: LogLine[]): LogLine | undefined => lines.find((l) => l.agent === 'raw-2' && l.msg?.endsWith('similar messages suppressed: agent could not apply a command') === true);
    assert.ok(await waitFor(() => summaryOf(logLines(auth.logFile, before)) !== undefined, WINDOW_MS + 5000), 'a "suppressed" summary for the agent');

    const bytes = statSync(auth.logFile).size - before;
    const lines = logLines(auth.logFile, before);
    const raw = lines.filter((l) => l.agent === 'raw-2');
    console.log(
      `log flood: ${flood.written} failed results of ${ERROR_BYTES} B in ${flood.seconds.toFixed(1)} s (${Math.round(flood.written / flood.seconds)}/s; ` +
        `${Math.round((flood.written * ERROR_BYTES) / MB)} MiB of error text offered) -> ${bytes} B of authenticator log, ${raw.length} lines about raw-2`,
    );
    assert.ok(bytes < MB, `the attack wrote ${bytes} bytes of log`);

    const connected = raw.find((l) => l.msg === 'agent connected');
    assert.ok(connected?.version !== undefined, 'the Hello was logged');
    assert.equal(connected.version, `${'V'.repeat(64)}…(+${VERSION_BYTES - 64} bytes)`, 'the software version truncated, with a marker');

    // 5 at once, then one per 2 s while the flood lasts (a line after suppressed ones says how many).
    const failures = raw.filter((l) => l.msg?.startsWith('agent could not apply a command') === true);
    assert.ok(failures.length >= 5 && failures.length <= 5 + Math.ceil(flood.seconds / 2) + 1, `${failures.length} lines of failed results`);
    for (const l of failures) assert.equal(l.error, `${'E'.repeat(200)}…(+${ERROR_BYTES - 200} bytes)`, 'error text truncated, with a marker');
    const summary = summaryOf(lines)!;
    assert.equal(summary.sourceKey, 'raw-2|command-result');
    const suppressed = failures.reduce((n, l) => n + (l.suppressed ?? 0), 0) + summary.suppressed!;
    assert.equal(failures.length + suppressed, flood.written, 'every result is a line or counted in one');
    const m = await auth.metrics();
    assert.equal(m.get('airlock_log_lines_suppressed_total{source="agent"}'), flood.written - failures.length);
    assert.ok(!lines.some((l) => JSON.stringify(l).includes('E'.repeat(1000))), 'no long error text anywhere in the log');
  });

  void it('garbage datagrams to the RADIUS client: counted by reason, a bounded number of lines, every suppressed line summarised', async () => {
    const ports = udpPortsOf(auth.pid);
    assert.equal(ports.length, 1, `the authenticator's UDP sockets: ${ports.join(', ')}`);
    const clientPort = ports[0];
    const before = statSync(auth.logFile).size;
    const m0 = await auth.metrics();
    const invalid0 = (reason: string): number => m0.get(`airlock_radius_invalid_responses_total{server="fake",reason="${reason}"}`) ?? 0;

    // The server's own address and port, and 40 other loopback addresses (other sources).
    const senders = [radiusServer];
    for (let i = 1; i <= 40; i++) {
      const s = dgram.createSocket('udp4');
      await new Promise<void>((resolve) => s.bind(0, `127.0.1.${i}`, resolve));
      senders.push(s);
    }
    const truncated = Buffer.from('garbage!'); // shorter than a RADIUS header
    const unknownId = Buffer.alloc(20, 0x02); // an Access-Accept header answering nothing in flight
    let sent = 0;
    const t0 = performance.now();
    try {
      for (let round = 0; round < 100; round++) {
        for (const s of senders) {
          s.send(truncated, clientPort, '127.0.0.1');
          s.send(unknownId, clientPort, '127.0.0.1');
          sent += 2;
        }
        await sleep(5); // paced: the socket's receive buffer is not what is tested
      }
    } finally {
      for (const s of senders.slice(1)) s.close();
    }

    let m = await auth.metrics();
    const counted = (mm: Map<string, number>): number =>
      (mm.get('airlock_radius_invalid_responses_total{server="fake",reason="truncated"}') ?? 0) - invalid0('truncated') +
      ((mm.get('airlock_radius_invalid_responses_total{server="fake",reason="unknown-id"}') ?? 0) - invalid0('unknown-id'));
    // Loopback UDP may drop some under load; what arrived must be counted, and most does arrive.
    assert.ok(await waitFor(async () => counted((m = await auth.metrics())) >= sent * 0.5, 5000), `counted ${counted(m)} of ${sent} datagrams`);
    await sleep(200);
    m = await auth.metrics();
    const n = counted(m);
    const elapsedS = (performance.now() - t0) / 1000; // lines are written while datagrams are read: until now
    // The summaries come when the window that began with the first suppressed line ends.
    // A line after suppressed ones of its key says how many: "RADIUS response dropped (N similar ...)".
    const isDrop = (l: LogLine): boolean => l.msg?.startsWith('RADIUS response dropped') === true;
    const radiusLines = (): LogLine[] => logLines(auth.logFile, before).filter((l) => isDrop(l) || (l.source === 'radius' && l.sourceKey?.startsWith('fake|') !== false));
    const summed = (ls: LogLine[]): number => ls.filter(isDrop).length + ls.reduce((a, l) => a + (l.suppressed ?? 0), 0);
    assert.ok(await waitFor(() => summed(radiusLines()) === n, WINDOW_MS + 5000), `lines + suppressed in summaries = ${summed(radiusLines())}, counted ${n}`);

    const lines = radiusLines();
    const dropped = lines.filter(isDrop);
    const summaries = lines.filter((l) => !isDrop(l));
    const bytes = statSync(auth.logFile).size - before;
    console.log(`RADIUS garbage: ${sent} datagrams sent, ${n} counted -> ${dropped.length} lines and ${summaries.length} summaries, ${bytes} B of log`);
    // Per source address and reason 5 lines at once (and 5 per 10 s); over all RADIUS sources
    // 200 at once (and 200 per 10 s): 41 addresses x 2 reasons would be 410.
    assert.ok(dropped.length >= 200 && dropped.length <= 200 + 20 * Math.ceil(elapsedS), `${dropped.length} lines in ${elapsedS.toFixed(1)} s`);
    const perKey = new Map<string, number>();
    for (const l of dropped) {
      const k = `${l.from?.replace(/:\d+$/, '')}|${l.reason}`;
      perKey.set(k, (perKey.get(k) ?? 0) + 1);
    }
    for (const [k, c] of perKey) assert.ok(c <= 5 + Math.ceil(elapsedS / 2), `${c} lines for ${k}`);
    assert.ok(perKey.has('127.0.0.1|truncated') && perKey.has('127.0.0.1|unknown-id'), 'the server address had its lines');
    assert.ok(summaries.length >= 1 && summaries.length <= 21, `${summaries.length} summaries (at most 20 and one for the rest)`);
    assert.ok(summaries.some((l) => /^\d+ similar messages suppressed: RADIUS response dropped$/.test(l.msg ?? '')));
    assert.ok(bytes < 256 * 1024, `${bytes} bytes of log`);
    assert.equal(m.get('airlock_log_lines_suppressed_total{source="radius"}'), n - dropped.length);
    assert.equal(m.get('airlock_frames_dropped_total{reason="radius_invalid_response"}'), n, 'the existing counter still counts them');
  });
});
