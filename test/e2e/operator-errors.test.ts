/**
 * Operator errors of every binary (issue 14 item 4, "Errors"): the authenticator, the edge
 * agent and the `airlock` CLI run as the child processes an operator starts; each mistake
 * ends in exactly one line on stderr (no stack trace) with what is wrong and what to do,
 * and the exit code (2 for the command line, 1 otherwise). "What answered" is the real
 * thing on a real port: a running authenticator's HTTP status port, its AgentLink in
 * plaintext and in mTLS, its Admin API port, a TLS server with a RADIUS server's
 * certificate from the test PKI, a TCP server that closes every connection. What can fix
 * itself at startup (nothing listening yet, connections closed) is one warn line per
 * attempt while the agent keeps trying, and the agent joins once the authenticator is up.
 */
import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { spawn, type ChildProcess } from 'node:child_process';
import { lookup } from 'node:dns/promises';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { createServer, type Server } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createServer as createTlsServer } from 'node:tls';
import { freeTcpPort, REPO_ROOT, startAuthenticatorProcess, type AuthenticatorProcess } from '../support/authenticator-process.js';
import { serverTlsYaml, testPki } from '../support/test-pki.js';
import { TEST_PASSPHRASE, TEST_SSID, waitFor } from '../support/topology.js';
import { sharedStoreYaml } from '../support/redis.js';

const AUTHENTICATOR = join(REPO_ROOT, 'services/authenticator/dist/main.js');
const AGENT = join(REPO_ROOT, 'services/edge-agent/dist/main.js');
const CLI = join(REPO_ROOT, 'services/authenticator/dist/cli/airlock.js');

interface Outcome {
  code: number | null;
  stdout: string;
  stderr: string;
}

/** This process's environment without the agent's own settings (an operator's shell could have them), plus `env`. */
function cleanEnv(env: Record<string, string>): NodeJS.ProcessEnv {
  const out = { ...process.env };
  for (const k of Object.keys(out)) if (k.startsWith('AIRLOCK_SIM_') || k.startsWith('AIRLOCK_TLS_') || k === 'AIRLOCK_PKI_DIR' || k === 'AIRLOCK_PLAINTEXT') delete out[k];
  return { ...out, ...env };
}

/** Runs `file` with `args` to its end (killed after timeoutMs); the event loop stays free for the test's own servers. */
function run(file: string, args: string[], env: Record<string, string> = {}, timeoutMs = 30_000): Promise<Outcome> {
  return new Promise((resolve) => {
    const child = spawn(process.execPath, [file, ...args], { env: cleanEnv({ AIRLOCK_CONFIG: '', ...env }), stdio: ['ignore', 'pipe', 'pipe'] });
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (b: Buffer) => (stdout += b.toString('utf8')));
    child.stderr.on('data', (b: Buffer) => (stderr += b.toString('utf8')));
    const timer = setTimeout(() => child.kill('SIGKILL'), timeoutMs);
    child.on('close', (code) => {
      clearTimeout(timer);
      resolve({ code, stdout, stderr });
    });
  });
}

/** Exit `code`, exactly one line on stderr (no stack trace), matching `pattern`; the line. */
function oneLine(r: Outcome, code: number, pattern: RegExp): string {
  assert.equal(r.code, code, `exit code; stderr: ${r.stderr}`);
  const lines = r.stderr.split('\n').filter((l) => l !== '');
  assert.equal(lines.length, 1, `one line on stderr, got:\n${r.stderr}`);
  assert.doesNotMatch(r.stderr, /^\s+at /m, 'no stack trace');
  assert.match(lines[0], pattern);
  return lines[0];
}

/** A regex for text written literally. */
function literal(s: string): string {
  return s.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');
}

/** A process started to run on (an agent that must keep trying), with what it printed so far. */
function startAgent(args: string[], env: Record<string, string> = {}): { child: ChildProcess; out: () => string; err: () => string; stop: () => Promise<void> } {
  const child = spawn(process.execPath, [AGENT, ...args], { env: cleanEnv(env), stdio: ['ignore', 'pipe', 'pipe'] });
  let stdout = '';
  let stderr = '';
  child.stdout.on('data', (b: Buffer) => (stdout += b.toString('utf8')));
  child.stderr.on('data', (b: Buffer) => (stderr += b.toString('utf8')));
  const exited = new Promise<void>((resolve) => child.once('exit', () => resolve()));
  return {
    child,
    out: () => stdout,
    err: () => stderr,
    stop: async () => {
      if (child.exitCode === null && child.signalCode === null) child.kill('SIGTERM');
      await exited;
    },
  };
}

/** A TCP server on 127.0.0.1 (port 0: any). */
function listen(server: Server, port = 0, host = '127.0.0.1'): Promise<number> {
  return new Promise((resolve, reject) => {
    server.once('error', reject);
    server.listen(port, host, () => {
      const a = server.address();
      resolve(typeof a === 'object' && a !== null ? a.port : 0);
    });
  });
}

function close(server: Server): Promise<void> {
  return new Promise((resolve) => server.close(() => resolve()));
}

void describe('operator errors: one line with the fix, no stack trace', () => {
  let dir: string;
  /** An authenticator with plaintext AgentLink, and one with mTLS and the Admin API over TCP. */
  let plain: AuthenticatorProcess;
  let mtls: AuthenticatorProcess;
  const network = { ssid: TEST_SSID, akms: ['psk'], passphrases: [TEST_PASSPHRASE] };

  /** A configuration file for the authenticator binary: plaintext AgentLink on free ports, the socket in `dir`, then `over`. */
  async function configFile(name: string, over: Record<string, unknown> = {}): Promise<string> {
    const c = {
      grpc: { listen: `127.0.0.1:${await freeTcpPort()}`, plaintext: true },
      http: { listen: `127.0.0.1:${await freeTcpPort()}` },
      admin: { socket: join(dir, `${name}.sock`) },
      networks: [network],
      ...over,
    };
    const file = join(dir, `${name}.yaml`);
    writeFileSync(file, JSON.stringify(c, null, 2), { mode: 0o600 });
    return file;
  }

  before(async () => {
    dir = mkdtempSync(join(tmpdir(), 'airlock-operator-errors-'));
    testPki();
    [plain, mtls] = await Promise.all([
      startAuthenticatorProcess('oe-plain', dir, { networks: [network] }),
      startAuthenticatorProcess('oe-mtls', dir, { grpc: { plaintext: false, tls: serverTlsYaml() }, networks: [network] }),
    ]);
  });
  after(async () => {
    await Promise.all([plain?.stop(), mtls?.stop()]);
    rmSync(dir, { recursive: true, force: true });
  });

  void describe('authenticator', () => {
    for (const key of ['grpc', 'http', 'admin'] as const) {
      void it(`${key}.listen: a port in use names the port, the key and the process holding it (exit 1)`, async () => {
        const holder = createServer();
        const port = await listen(holder, await freeTcpPort());
        try {
          const over: Record<string, unknown> = key === 'admin' ? { admin: { socket: '', listen: `127.0.0.1:${port}`, tls: mtlsAdmin() } } : { [key]: { listen: `127.0.0.1:${port}`, ...(key === 'grpc' ? { plaintext: true } : {}) } };
          const r = await run(AUTHENTICATOR, ['--config', await configFile(`in-use-${key}`, over), '--log-format', 'pretty']);
          const env = `AIRLOCK__${key.toUpperCase()}__LISTEN`;
          // What it logged before (the plaintext warning, the caps): pretty, no colours off a TTY.
          const logged = r.stdout.split('\n').filter((l) => l !== '');
          assert.ok(logged.length > 0);
          for (const l of logged) assert.match(l, /^\d\d:\d\d:\d\d\.\d{3} (INFO |WARN ) [^\x1b]+$/);
          oneLine(r, 1, new RegExp(`^airlock-authenticator: ${key}\\.listen 127\\.0\\.0\\.1:${port}: port ${port} is already in use by pid ${process.pid} \\(node[^)]*\\); stop that process or set another in ${key}\\.listen \\(or ${env}\\)$`));
        } finally {
          await close(holder);
        }
      });
    }

    void it('cluster primary: the AgentLink port in use once its workers are up, and a missing certificate before it forks: one line each (exit 1)', async () => {
      const holder = createServer();
      const port = await listen(holder, await freeTcpPort());
      try {
        const r = await run(AUTHENTICATOR, ['--config', await configFile('cluster-in-use', { grpc: { listen: `127.0.0.1:${port}`, plaintext: true }, cluster: { workers: 2 }, redis: sharedStoreYaml({ url: 'redis://127.0.0.1:1' }, { connect_timeout_ms: 200 }) })]);
        oneLine(r, 1, new RegExp(`^airlock-authenticator: grpc\\.listen 127\\.0\\.0\\.1:${port}: port ${port} is already in use by pid ${process.pid} `));
      } finally {
        await close(holder);
      }
      const missing = join(dir, 'nowhere', 'ca.pem');
      const r = await run(AUTHENTICATOR, ['--config', await configFile('cluster-no-ca', { grpc: { listen: `127.0.0.1:${await freeTcpPort()}`, tls: { ...serverTlsYaml(), ca: missing } }, cluster: { workers: 2 }, redis: sharedStoreYaml({ url: 'redis://127.0.0.1:1' }, { connect_timeout_ms: 200 }) })]);
      oneLine(r, 1, new RegExp(`^airlock-authenticator: grpc\\.tls\\.ca: cannot read the root CA certificate ${literal(missing)} \\(ENOENT\\)`));
    });

    void it('admin.socket: a socket another process serves (exit 1)', async () => {
      const path = join(dir, 'taken.sock');
      const holder = createServer();
      await new Promise<void>((resolve) => holder.listen(path, resolve));
      try {
        const r = await run(AUTHENTICATOR, ['--config', await configFile('in-use-socket', { admin: { socket: path } })]);
        oneLine(r, 1, new RegExp(`^airlock-authenticator: admin\\.socket: ${literal(path)} is in use by another process \\(another authenticator\\?\\)$`));
      } finally {
        await close(holder);
      }
    });

    void it('grpc.tls: a missing certificate names the file, the key and `airlock pki init` (exit 1)', async () => {
      const missing = join(dir, 'nowhere', 'authenticator.pem');
      const r = await run(AUTHENTICATOR, ['--config', await configFile('no-cert', { grpc: { listen: `127.0.0.1:${await freeTcpPort()}`, tls: { ...serverTlsYaml(), cert: missing } } })]);
      oneLine(r, 1, new RegExp(`^airlock-authenticator: grpc\\.tls\\.cert: cannot read the certificate ${literal(missing)} \\(ENOENT\\); create a development PKI with \`airlock pki init --dir DIR\``));
    });

    void it('admin.tls: a missing key names the file, the key and `airlock pki init` (exit 1)', async () => {
      const missing = join(dir, 'nowhere', 'admin.key');
      const r = await run(AUTHENTICATOR, ['--config', await configFile('no-admin-key', { admin: { socket: '', listen: `127.0.0.1:${await freeTcpPort()}`, tls: { ...mtlsAdmin(), key: missing } } })]);
      oneLine(r, 1, new RegExp(`^airlock-authenticator: admin\\.tls\\.key: cannot read ${literal(missing)} \\(ENOENT\\); create a development PKI with \`airlock pki init --dir DIR --operator NAME\``));
    });

    void it('a passphrase of the wrong length: its place and the rule, never the value (exit 2)', async () => {
      const file = await configFile('short-psk', { networks: [{ ...network, passphrases: ['hunter2'] }] });
      const line = oneLine(await run(AUTHENTICATOR, ['--config', file]), 2, new RegExp(`^${literal(file)}: networks\\[0\\]\\.passphrases\\[0\\]: expected 8\\.\\.63 printable ASCII characters or 64 hex digits, got 7 characters$`));
      assert.ok(!line.includes('hunter2'));
    });

    void it('--log-format: an unknown format (exit 2)', async () => {
      oneLine(await run(AUTHENTICATOR, ['--config', await configFile('fmt'), '--log-format', 'fancy']), 2, /^airlock-authenticator: --log-format: expected json or pretty, got "fancy" \(usage: /);
    });
  });

  void describe('agent: the command line', () => {
    void it('--authenticator without a port: the fix with the default port (exit 2)', async () => {
      oneLine(await run(AGENT, ['--plaintext', '--authenticator', 'controller.example']), 2, /^airlock-agent: --authenticator controller\.example has no port: give HOST:PORT, e\.g\. controller\.example:50051 \(the authenticator's grpc\.listen port\)$/);
      oneLine(await run(AGENT, ['--driver', 'wired', '--agent-id', 'sw-1', '--port', 'lo:ssid=x', '--plaintext', '--authenticator', 'controller.example:']), 2, /^airlock-agent \(wired\): --authenticator controller\.example has no port: .*controller\.example:50051/);
      oneLine(await run(AGENT, ['--plaintext', '--authenticator', 'fd00::5']), 2, /^airlock-agent: --authenticator "fd00::5": put an IPv6 address in brackets, with the port after it: \[fd00::5\]:50051$/);
    });

    void it('a passphrase of the wrong length, from the flag or AIRLOCK_SIM_PASSPHRASE, checked before connecting and never echoed (exit 2)', async () => {
      const rule = 'expected 8\\.\\.63 printable ASCII characters or 64 hex digits';
      const short = oneLine(await run(AGENT, ['--plaintext', '--authenticator', '127.0.0.1:1', '--passphrase', 'hunter2']), 2, new RegExp(`^airlock-agent: --passphrase: ${rule}, got 7 characters \\(IEEE 802\\.11 §J\\.4\\.1\\)`));
      assert.ok(!short.includes('hunter2'));
      const long = 'x'.repeat(70);
      const fromEnv = oneLine(await run(AGENT, ['--plaintext', '--authenticator', '127.0.0.1:1'], { AIRLOCK_SIM_PASSPHRASE: long }), 2, new RegExp(`^airlock-agent: AIRLOCK_SIM_PASSPHRASE: ${rule}, got 70 characters`));
      assert.ok(!fromEnv.includes('xxxxxxxx'));
      const notHex = 'g'.repeat(64);
      oneLine(await run(AGENT, ['--plaintext', '--passphrase', notHex]), 2, new RegExp(`--passphrase: ${rule}, got 64 characters that are not all hex digits`));
    });

    void it('a missing certificate: the file, the flag that chose it and `airlock pki init` (exit 2)', async () => {
      const nowhere = join(dir, 'no-pki');
      oneLine(await run(AGENT, ['--agent-id', 'ap-1', '--pki-dir', nowhere]), 2, new RegExp(`^airlock-agent: --pki-dir ${literal(nowhere)}: cannot read the CA certificate ${literal(join(nowhere, 'ca.pem'))} \\(ENOENT\\); \`airlock pki init --dir ${literal(nowhere)} --agent ap-1\` writes ca.pem, agent-ap-1\\.pem and agent-ap-1\\.key$`));
      const p = testPki();
      const cert = join(dir, 'gone.pem');
      oneLine(await run(AGENT, ['--driver', 'wired', '--agent-id', 'sw-1', '--port', 'lo:ssid=x', '--tls-ca', p.ca.cert, '--tls-key', p.agents['sw-1'].key, '--tls-cert', cert]), 2, new RegExp(`^airlock-agent \\(wired\\): --tls-cert: cannot read the agent certificate ${literal(cert)} \\(ENOENT\\); \`airlock pki init --dir DIR --agent sw-1\``));
    });

    void it('--log-format and --log-level: unknown values (exit 2)', async () => {
      oneLine(await run(AGENT, ['--plaintext', '--log-format', 'fancy']), 2, /^airlock-agent: --log-format: expected json or pretty, got "fancy"$/);
      oneLine(await run(AGENT, ['--plaintext', '--log-level', 'loud']), 2, /^airlock-agent: --log-level: expected one of .*info.*, got "loud"$/);
    });
  });

  void describe('agent: what answered at --authenticator', () => {
    const pkiArgs = (): string[] => ['--agent-id', 'ap-1', '--pki-dir', testPki().dir, '--stations', '0'];

    void it('a name that does not exist: exit 1', async (t) => {
      const probe = await lookup('airlock-nonexistent.invalid').then(() => 'resolves', (e: NodeJS.ErrnoException) => e.code ?? 'error');
      if (probe !== 'ENOTFOUND') return t.skip(`this host's resolver answers ${probe} for an .invalid name (RFC 6761), not "does not exist"`);
      oneLine(await run(AGENT, ['--plaintext', '--authenticator', 'airlock-nonexistent.invalid:50051']), 1, /^airlock-agent: the name airlock-nonexistent\.invalid does not resolve \(ENOTFOUND\): check --authenticator airlock-nonexistent\.invalid:50051$/);
    });

    void it('the HTTP status port, in plaintext and with TLS: an HTTP/1.x server answered (exit 1)', async () => {
      const port = plain.httpPort;
      const want = new RegExp(`^airlock-agent: an HTTP/1\\.x server answered at 127\\.0\\.0\\.1:${port} \\("HTTP/1\\.1 400 Bad Request"\\), not the AgentLink: is ${port} the authenticator's status port \\(http\\.listen, 9464 by default\\)\\? Give its grpc\\.listen port \\(50051 by default\\)$`);
      oneLine(await run(AGENT, ['--plaintext', '--authenticator', `127.0.0.1:${port}`, '--stations', '0']), 1, want);
      oneLine(await run(AGENT, [...pkiArgs(), '--authenticator', `127.0.0.1:${port}`]), 1, want);
    });

    void it('a TLS server whose certificate is not the authenticator\'s (a RADIUS server certificate of the same root): exit 1', async () => {
      const p = testPki();
      const server = createTlsServer({ cert: readFileSync(p.radiusServer.cert), key: readFileSync(p.radiusServer.key), ALPNProtocols: ['h2'] }, (s) => s.on('error', () => undefined));
      const port = await listen(server);
      try {
        oneLine(await run(AGENT, [...pkiArgs(), '--authenticator', `localhost:${port}`]), 1, new RegExp(`^airlock-agent: the TLS server at localhost:${port} \\(127\\.0\\.0\\.1:${port}\\) is not the authenticator: role radius, not authenticator$`));
      } finally {
        await close(server);
      }
    });

    void it('a plaintext AgentLink dialled with TLS: exit 1, with what to change', async () => {
      oneLine(await run(AGENT, [...pkiArgs(), '--authenticator', `127.0.0.1:${plain.grpcPort}`]), 1, new RegExp(`^airlock-agent: a plaintext HTTP/2 \\(gRPC\\) server answered at 127\\.0\\.0\\.1:${plain.grpcPort}, not TLS: that authenticator has grpc\\.plaintext: true; start this agent with --plaintext \\(trusted networks only\\), or give the authenticator grpc\\.tls$`));
    });

    void it('an mTLS AgentLink dialled in plaintext: exit 1, with what to change', async () => {
      oneLine(await run(AGENT, ['--plaintext', '--authenticator', `127.0.0.1:${mtls.grpcPort}`, '--stations', '0']), 1, new RegExp(`^airlock-agent: a TLS server answered at 127\\.0\\.0\\.1:${mtls.grpcPort}, and this agent dialled without TLS \\(--plaintext\\): drop --plaintext and give --pki-dir DIR`));
    });

    void it('the Admin API port (the authenticator\'s certificate, no AgentLink): exit 1', async () => {
      // Its TLS accepts the agent's chain (same root); the AgentLink stream then meets no such service.
      oneLine(await run(AGENT, [...pkiArgs(), '--authenticator', `localhost:${mtls.adminPort}`]), 1, new RegExp(`^airlock-agent: the gRPC server at localhost:${mtls.adminPort} does not serve the AgentLink \\(UNIMPLEMENTED\\): is it the authenticator's Admin API port \\(admin\\.listen\\)\\? Give its grpc\\.listen port$`));
    });

    void it('a TCP server that closes every connection: one warn line per attempt, and the agent keeps trying', async () => {
      let accepted = 0;
      const server = createServer((s) => {
        accepted++;
        s.destroy();
      });
      const port = await listen(server);
      const agent = startAgent(['--plaintext', '--authenticator', `127.0.0.1:${port}`, '--stations', '0']);
      try {
        assert.ok(await waitFor(() => agent.out().split('\n').filter((l) => l.includes('authenticator not reachable yet')).length >= 2, 15_000), `two attempts; stdout:\n${agent.out()}`);
        const line = agent.out().split('\n').find((l) => l.includes('authenticator not reachable yet'))!;
        const rec = JSON.parse(line) as { level: number; msg: string; authenticator: string };
        assert.equal(rec.level, 40);
        assert.equal(rec.authenticator, `127.0.0.1:${port}`);
        assert.match(rec.msg, new RegExp(`^authenticator not reachable yet: 127\\.0\\.0\\.1:${port} closed the connection without answering: the authenticator does that when its connection caps are reached`));
        assert.equal(agent.child.exitCode, null, 'still running');
        assert.equal(agent.err(), '', 'nothing on stderr');
        assert.ok(accepted >= 2);
      } finally {
        await agent.stop();
        await close(server);
      }
    });

    void it('nothing listening yet (pretty log): a warn line per attempt, then the agent joins the authenticator that came up on that port', async () => {
      const port = await freeTcpPort();
      const agent = startAgent(['--plaintext', '--authenticator', `127.0.0.1:${port}`, '--stations', '2', '--bsses', '1', '--agent-number', '7', '--passphrase', TEST_PASSPHRASE, '--ssid', TEST_SSID, '--log-format', 'pretty']);
      let late: AuthenticatorProcess | undefined;
      try {
        const warn = new RegExp(`^\\d\\d:\\d\\d:\\d\\d\\.\\d{3} WARN  authenticator not reachable yet: connection refused at 127\\.0\\.0\\.1:${port}: is the authenticator running, and is ${port} its grpc\\.listen port\\? authenticator=127\\.0\\.0\\.1:${port} retryInS=[\\d.]+$`);
        assert.ok(await waitFor(() => agent.out().split('\n').some((l) => warn.test(l)), 10_000), `the warn line; stdout:\n${agent.out()}`);
        late = await startAuthenticatorProcess('oe-late', dir, { networks: [network] }, { grpcPort: port });
        assert.ok(await waitFor(() => /INFO  welcomed by the authenticator agent=ap-7 session=/.test(agent.out()), 45_000), `welcomed; stdout:\n${agent.out()}`);
        assert.equal(agent.err(), '');
        for (const l of agent.out().split('\n').filter((x) => x !== '')) assert.match(l, /^\d\d:\d\d:\d\d\.\d{3} (TRACE|DEBUG|INFO |WARN |ERROR|FATAL) /, 'every line pretty');
        assert.doesNotMatch(agent.out(), /\x1b/, 'no colours off a TTY');
      } finally {
        await agent.stop();
        await late?.stop();
      }
    });
  });

  void describe('cli', () => {
    void it('a missing operator certificate: the file and `airlock pki init` (exit 1)', async () => {
      const nowhere = join(dir, 'no-operator-pki');
      oneLine(await run(CLI, ['agents', '--server', `localhost:${mtls.adminPort}`, '--pki-dir', nowhere]), 1, new RegExp(`^airlock agents: cannot read the CA certificate ${literal(join(nowhere, 'ca.pem'))} \\(ENOENT\\); \`airlock pki init --dir DIR --operator NAME\` writes DIR/ca\\.pem`));
    });
  });
});

/** The Admin API's TLS files of the test PKI (admin.tls in YAML keys). */
function mtlsAdmin(): { cert: string; key: string; ca: string; operator_ca: string } {
  const p = testPki();
  return { cert: p.authenticator.cert, key: p.authenticator.key, ca: p.ca.cert, operator_ca: p.issuers.operator.cert };
}
