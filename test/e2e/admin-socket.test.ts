/**
 * Local administration over a UNIX socket (issue 13 item 7): no plaintext Admin API on a
 * TCP port any local user could reach. Against the authenticator as its own process:
 * - admin.socket is created with admin.socket_mode (0660) and admin.socket_group, owned by
 *   the authenticator's user; a process running as `nobody` cannot connect (EACCES, and the
 *   CLI says what to do), `nobody` with the socket's group can, root lists the stations;
 * - the TCP Admin API without a client certificate is refused in the TLS handshake;
 * - a configuration with admin.plaintext is an error pointing to admin.socket;
 * - in a cluster the primary serves the socket;
 * and, in-process, how the socket file is made: a stale socket is replaced, a live one (a
 * second authenticator), a symbolic link or a file at the path, and a directory every user
 * may write, are refused with one message; the socket is removed when the authenticator stops.
 */
import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { spawn, spawnSync, type ChildProcess } from 'node:child_process';
import { chmodSync, existsSync, lstatSync, mkdirSync, mkdtempSync, readFileSync, rmSync, symlinkSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import * as grpc from '@grpc/grpc-js';
import pino from 'pino';
import { AdminClient } from '@airlock/proto';
import { startAuthenticator } from '@airlock/authenticator';
import { runCli } from '@airlock/authenticator/cli';
import { EdgeAgent, SimDriver, simBsses, simStations } from '@airlock/edge-agent';
import { startAuthenticatorProcess, REPO_ROOT, type AuthenticatorProcess } from '../support/authenticator-process.js';
import { agentCredentials, serverTlsYaml, testPki } from '../support/test-pki.js';
import { testConfig, TEST_PASSPHRASE, TEST_SSID, waitFor } from '../support/topology.js';
import { sharedStoreYaml, startRedis } from '../support/redis.js';

const RUN_AS = new URL('../support/run-as.js', import.meta.url).pathname;
const MAIN = join(REPO_ROOT, 'services/authenticator/dist/main.js');
/** The socket's group here: a number no user has (root may give a file any group). */
const ADMIN_GID = 4242;
const NOBODY = 65534;
const STATIONS = 3;

interface Run {
  code: number | null;
  out: string;
  err: string;
}

/** Runs `node args` as `nobody` (setpriv), with no supplementary group. */
function asNobody(args: string[]): Run {
  const r = spawnSync('setpriv', [`--reuid=${NOBODY}`, `--regid=${NOBODY}`, '--clear-groups', process.execPath, ...args], { encoding: 'utf8', timeout: 15_000 });
  return { code: r.status, out: r.stdout.trim(), err: r.stderr.trim() };
}

/**
 * The `airlock` CLI as `nobody`, with `groups` as its supplementary groups: loaded as root,
 * run as nobody (test/support/run-as.ts), so a checkout nobody cannot read still tests this.
 */
function cliAsNobody(args: string[], groups: number[] = []): Run {
  const r = spawnSync(process.execPath, [RUN_AS, String(NOBODY), String(NOBODY), groups.length === 0 ? '-' : groups.join(','), 'cli', ...args], { encoding: 'utf8', timeout: 15_000 });
  return { code: r.status, out: r.stdout.trim(), err: r.stderr.trim() };
}

/** In-process CLI as root. */
async function cli(...args: string[]): Promise<Run> {
  const out: string[] = [];
  const err: string[] = [];
  const code = await runCli(args, { out: (l) => out.push(l), err: (l) => err.push(l) });
  return { code, out: out.join('\n'), err: err.join('\n') };
}

void describe('the Admin API on a local socket', () => {
  let dir: string;
  let socket: string;
  let auth: AuthenticatorProcess;
  let agent: EdgeAgent;
  let driver: SimDriver;

  before(async () => {
    if (process.getuid?.() !== 0) throw new Error('this test runs as root: it checks what `nobody` may do (setpriv)');
    dir = mkdtempSync(join(tmpdir(), 'airlock-admin-socket-'));
    // Every user may reach the directory: the socket's own mode is what keeps them out.
    chmodSync(dir, 0o755);
    socket = join(dir, 'admin.sock');
    auth = await startAuthenticatorProcess('admin-socket', dir, {
      grpc: { plaintext: false, tls: serverTlsYaml() },
      admin: { socket, socket_group: String(ADMIN_GID) },
      networks: [{ ssid: TEST_SSID, akms: ['psk'], passphrases: [TEST_PASSPHRASE], group_rekey_s: 0 }],
    });
    const t = { agentNumber: 1, bsses: 1, stations: STATIONS, ssid: TEST_SSID, passphrase: TEST_PASSPHRASE };
    driver = new SimDriver({ bsses: simBsses(t), stations: simStations(t), behaviour: { joinSpreadMs: 100 }, seed: 11 });
    agent = new EdgeAgent({ agentId: 'ap-1', target: `localhost:${auth.grpcPort}`, driver, logger: pino({ level: 'silent' }), credentials: agentCredentials('ap-1') });
    await agent.start();
    assert.ok(await waitFor(() => driver.authorizedCount() === STATIONS, 15_000), 'stations authorized');
  });
  after(async () => {
    await agent?.stop();
    await auth?.stop();
    rmSync(dir, { recursive: true, force: true });
  });

  void it('the socket is created 0660, owned by the authenticator, in admin.socket_group', () => {
    const st = lstatSync(socket);
    assert.ok(st.isSocket());
    assert.equal((st.mode & 0o7777).toString(8), '660');
    assert.equal(st.uid, 0);
    assert.equal(st.gid, ADMIN_GID);
    assert.equal(auth.adminSocket, socket);
    assert.ok(readFileSync(auth.logFile, 'utf8').includes('"msg":"Admin API on the local socket (its file mode and group decide who may use it)"'));
  });

  void it('root lists the stations over the socket', async () => {
    const r = await cli('stations', '--socket', socket, '--json');
    assert.equal(r.code, 0, r.err);
    const stations = JSON.parse(r.out) as { sta: string; state: string; agentId: string }[];
    assert.equal(stations.length, STATIONS);
    assert.ok(stations.every((s) => s.state === 'authorized' && s.agentId === 'ap-1'));
  });

  void it('nobody cannot connect (EACCES); the CLI says who may', () => {
    const raw = asNobody(['-e', `require('node:net').connect(${JSON.stringify(socket)}).on('connect', () => { console.log('connected'); process.exit(0); }).on('error', (e) => { console.log(e.code); process.exit(0); })`]);
    assert.equal(raw.out, 'EACCES', raw.err);
    const r = cliAsNobody(['stations', '--socket', socket]);
    assert.equal(r.code, 1, r.err);
    assert.equal(r.err, `airlock stations: permission denied on ${socket} (EACCES): administer as root or as a member of the socket's group (the authenticator's admin.socket_group)`);
    assert.equal(r.out, '');
  });

  void it("nobody in the socket's group may administer", () => {
    const r = cliAsNobody(['agents', '--socket', socket, '--json'], [ADMIN_GID]);
    assert.equal(r.code, 0, r.err);
    assert.deepEqual((JSON.parse(r.out) as { agentId: string }[]).map((a) => a.agentId), ['ap-1']);
  });

  void it('TCP without a client certificate is refused in the TLS handshake', async () => {
    const client = new AdminClient(`localhost:${auth.adminPort}`, grpc.credentials.createSsl(readFileSync(testPki().ca.cert)));
    try {
      const err = await new Promise<grpc.ServiceError | null>((resolve) => client.listStations({ bssid: '', state: '' }, new grpc.Metadata(), { deadline: new Date(Date.now() + 5000) }, (e) => resolve(e)));
      assert.ok(err !== null, 'refused');
      assert.equal(err.code, grpc.status.UNAVAILABLE, err.details);
    } finally {
      client.close();
    }
    // And the CLI never tries TCP without one.
    const r = await cli('stations', '--server', `localhost:${auth.adminPort}`);
    assert.equal(r.code, 2);
    assert.match(r.err, /the Admin API over TCP needs an operator certificate/);
  });

  void it('a configuration with admin.plaintext is an error pointing to admin.socket', () => {
    const file = join(dir, 'plaintext.yaml');
    writeFileSync(file, `admin:\n  plaintext: true\n  listen: "127.0.0.1:50052"\nnetworks:\n  - ssid: a\n    akms: [psk]\n    passphrases: ["password"]\n`);
    const r = spawnSync(process.execPath, [MAIN, '--config', file], { encoding: 'utf8', timeout: 15_000 });
    assert.equal(r.status, 2);
    assert.match(r.stderr, /admin\.plaintext: removed: any local user could reach a plaintext TCP port\. Local administration without TLS is the UNIX socket admin\.socket \(default \/run\/airlock\/admin\.sock/);
  });
});

void describe('the default socket for an unprivileged user', () => {
  void it('an authenticator that may not create /run/airlock starts without the socket, and says so', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'airlock-admin-socket-nobody-'));
    chmodSync(dir, 0o755);
    const file = join(dir, 'nobody.yaml');
    // Everything else on free ports; admin.socket left at its default.
    writeFileSync(file, `grpc: { listen: "127.0.0.1:0", plaintext: true }\nhttp: { listen: "127.0.0.1:0" }\nlog: { level: info }\nnetworks: [{ ssid: a, akms: [psk], passphrases: ["password"] }]\n`, { mode: 0o644 });
    const child = spawn(process.execPath, [RUN_AS, String(NOBODY), String(NOBODY), '-', 'authenticator', file], { stdio: ['ignore', 'pipe', 'pipe'] });
    let out = '';
    child.stdout.on('data', (c: Buffer) => (out += c.toString('utf8')));
    child.stderr.on('data', (c: Buffer) => (out += c.toString('utf8')));
    try {
      assert.ok(await waitFor(() => out.includes('"msg":"authenticator listening"') || child.exitCode !== null, 15_000), out);
      assert.equal(child.exitCode, null, `still running:\n${out}`);
      const line = out.split('\n').find((l) => l.includes('Admin API socket not served'));
      assert.ok(line !== undefined, out);
      assert.match(line, /"socket":"\/run\/airlock\/admin\.sock","err":"admin\.socket: cannot (create the directory \/run\/airlock|create a directory in \/run\/airlock) \(EACCES\)"/);
      assert.ok(out.includes('the Admin API is not served (no admin.socket, no admin.listen)'));
    } finally {
      child.kill('SIGTERM');
      await new Promise((r) => (child.exitCode !== null ? r(undefined) : child.once('exit', r)));
      rmSync(dir, { recursive: true, force: true });
    }
  });
});

void describe('the socket of a cluster', () => {
  void it('the primary serves it', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'airlock-admin-socket-cluster-'));
    const socket = join(dir, 'admin.sock');
    const redis = await startRedis();
    const auth = await startAuthenticatorProcess('admin-socket-cluster', dir, {
      cluster: { workers: 2 },
      redis: sharedStoreYaml(redis),
      admin: { socket },
      networks: [{ ssid: TEST_SSID, akms: ['psk'], passphrases: [TEST_PASSPHRASE], group_rekey_s: 0 }],
    });
    try {
      assert.equal((lstatSync(socket).mode & 0o777).toString(8), '660');
      const r = await cli('agents', '--socket', socket, '--json');
      assert.equal(r.code, 0, r.err);
      assert.deepEqual(JSON.parse(r.out), []);
    } finally {
      await auth.stop();
      await redis.stop();
    }
    assert.equal(existsSync(socket), false, 'removed at stop');
    rmSync(dir, { recursive: true, force: true });
  });
});

void describe('making the socket file', () => {
  const dirs: string[] = [];
  after(() => {
    for (const d of dirs) rmSync(d, { recursive: true, force: true });
  });
  const fresh = (): string => {
    const d = mkdtempSync(join(tmpdir(), 'airlock-admin-sockfile-'));
    dirs.push(d);
    return d;
  };
  const configAt = (socket: string): ReturnType<typeof testConfig> => testConfig(undefined, (c) => {
    c.admin.socket = socket;
    c.admin.listen = '';
  });
  const start = (socket: string): ReturnType<typeof startAuthenticator> => startAuthenticator({ config: configAt(socket), logger: pino({ level: 'silent' }) });

  /** A socket file no one answers on: its process was killed. */
  async function staleSocket(path: string): Promise<void> {
    const child: ChildProcess = spawn(process.execPath, ['-e', `require('node:net').createServer().listen(${JSON.stringify(path)}, () => console.log('up'))`], { stdio: ['ignore', 'pipe', 'inherit'] });
    await new Promise<void>((resolve) => child.stdout!.once('data', () => resolve()));
    child.kill('SIGKILL');
    await new Promise((r) => child.once('exit', r));
    assert.ok(lstatSync(path).isSocket(), 'the stale socket is there');
  }

  void it('creates a missing directory (0750), replaces a stale socket, and removes its socket at stop', async () => {
    const socket = join(fresh(), 'run', 'airlock', 'admin.sock');
    mkdirSync(join(socket, '..'), { recursive: true });
    await staleSocket(socket);
    const auth = await start(socket);
    try {
      const r = await cli('agents', '--socket', socket);
      assert.equal(r.code, 0, r.err);
    } finally {
      await auth.stop(200);
    }
    assert.equal(existsSync(socket), false);
    const made = join(fresh(), 'new-dir', 'admin.sock');
    const again = await start(made);
    await again.stop(200);
    assert.equal((lstatSync(join(made, '..')).mode & 0o777).toString(8), '750');
  });

  void it('refuses a live socket (another authenticator), a link, a file, and a directory every user may write', async () => {
    const d = fresh();
    const live = join(d, 'live.sock');
    const first = await start(live);
    try {
      await assert.rejects(start(live), { message: `admin.socket: ${live} is in use by another process (another authenticator?)` });
    } finally {
      await first.stop(200);
    }
    const link = join(d, 'link.sock');
    symlinkSync(join(d, 'elsewhere.sock'), link);
    await assert.rejects(start(link), { message: `admin.socket: ${link} exists and is not a socket (a symbolic link, not followed): remove it, or choose another path` });
    const file = join(d, 'file.sock');
    writeFileSync(file, '');
    await assert.rejects(start(file), { message: `admin.socket: ${file} exists and is not a socket: remove it, or choose another path` });
    const open = join(fresh(), 'open');
    mkdirSync(open);
    chmodSync(open, 0o777);
    await assert.rejects(start(join(open, 'admin.sock')), { message: `admin.socket: ${open} is writable by every user (mode 777), who could replace the socket: use a directory that only root or the authenticator's user can write, such as /run/airlock` });
  });
});
