/**
 * The authenticator under test as a real separate process: services/authenticator/dist/main.js
 * with a generated configuration on free loopback ports. Its CPU time is read from its own
 * /metrics (process_cpu_seconds_total: process.cpuUsage(), microsecond resolution) and,
 * as a cross-check, from /proc/<pid>/stat (clock ticks); its RSS from /proc/<pid>/status.
 * AIRLOCK_BENCH_AUTH_NODE_ARGS adds node flags to it (profiling: "--cpu-prof --cpu-prof-dir=DIR").
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { openSync, closeSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { parsePrometheusText } from '@airlock/authenticator';
import { overTree, procCpuUs, procRssKb } from './proc.js';
import { adminTlsYaml } from './test-pki.js';

/** The repository root (test/dist/support -> three levels up). */
export const REPO_ROOT = fileURLToPath(new URL('../../../', import.meta.url));
const MAIN = join(REPO_ROOT, 'services/authenticator/dist/main.js');
const READY_TIMEOUT_MS = 15_000;

/**
 * A free TCP port on 127.0.0.1 (released before return: the authenticator binds it next).
 * Chosen below the kernel's ephemeral range (ip_local_port_range): a port the kernel picked
 * for us could be handed out again, before the authenticator binds it, as the local port of
 * some outgoing connection (it happened: EADDRINUSE on the Admin port).
 */
export async function freeTcpPort(): Promise<number> {
  const low = ephemeralLow();
  for (let attempt = 0; low > 12_000 && attempt < 50; attempt++) {
    const port = 10_000 + Math.floor(Math.random() * (low - 10_000));
    if (await bindable(port)) return port;
  }
  return listenOn(0);
}

/** The low end of the kernel's ephemeral port range (0 when unknown). */
function ephemeralLow(): number {
  try {
    return Number(readFileSync('/proc/sys/net/ipv4/ip_local_port_range', 'utf8').trim().split(/\s+/)[0]) || 0;
  } catch {
    return 0;
  }
}

async function bindable(port: number): Promise<boolean> {
  return listenOn(port).then(() => true, () => false);
}

/** Listens on 127.0.0.1:port (0: any), closes, and returns the port. */
function listenOn(port: number): Promise<number> {
  return new Promise((resolve, reject) => {
    const s = createServer();
    s.once('error', reject);
    s.listen(port, '127.0.0.1', () => {
      const addr = s.address();
      const got = typeof addr === 'object' && addr !== null ? addr.port : 0;
      s.close(() => resolve(got));
    });
  });
}

/** A running authenticator process. */
export interface AuthenticatorProcess {
  pid: number;
  grpcTarget: string;
  grpcPort: number;
  httpPort: number;
  /** The Admin API over TCP (mTLS, the test PKI's operator certificate). */
  adminPort: number;
  /** The Admin API's local socket (admin.socket: by default in a directory of its own under the temp directory, mode 0660). */
  adminSocket: string;
  /** Where its stdout/stderr (pino JSON) go. */
  logFile: string;
  /** Its configuration file, and what was written there (rewrite it and signal() SIGHUP to reload). */
  configFile: string;
  config: Record<string, unknown>;
  /** Sends it a signal (SIGHUP: reload the configuration). */
  signal(sig: NodeJS.Signals): void;
  /** Parsed /metrics. */
  metrics(): Promise<Map<string, number>>;
  /** process_cpu_seconds_total from /metrics, in microseconds. */
  cpuUs(): Promise<number>;
  /** utime + stime from /proc/<pid>/stat, in microseconds (10 ms resolution); with its workers (cluster). */
  procCpuUs(): number;
  /** VmRSS in kB; with its workers (cluster). */
  rssKb(): number;
  /** SIGTERM, wait for exit (SIGKILL after 5 s). */
  stop(): Promise<void>;
}

/**
 * Starts main.js with `config` (an object in the YAML schema of config/example.yaml,
 * written as JSON, which YAML 1.2 reads as is) with grpc.listen and http.listen filled in.
 */
export async function startAuthenticatorProcess(name: string, workDir: string, config: Record<string, unknown>, opts: { grpcPort?: number; nodeArgs?: string[]; readyTimeoutMs?: number; http?: { host: string; port: number }; fdLimit?: number; main?: string } = {}): Promise<AuthenticatorProcess> {
  const grpcPort = opts.grpcPort ?? (await freeTcpPort());
  const httpPort = opts.http?.port ?? (await freeTcpPort());
  const adminPort = await freeTcpPort();
  const socketDir = mkdtempSync(join(tmpdir(), `airlock-${name.slice(0, 24)}-`));
  const full = {
    ...config,
    grpc: { plaintext: true, ...(config['grpc'] as object | undefined), listen: `127.0.0.1:${grpcPort}` },
    // opts.http: where /metrics and the status page listen (default a free loopback port).
    http: { ...(config['http'] as object | undefined), listen: `${opts.http?.host ?? '127.0.0.1'}:${httpPort}` },
    // The local socket in a directory of its own (not the machine-wide default path): under
    // the temp directory, not workDir, which the VM test host shares over 9p (no sockets there).
    admin: { socket: join(socketDir, 'admin.sock'), listen: `127.0.0.1:${adminPort}`, tls: adminTlsYaml(), ...(config['admin'] as object | undefined) },
  };
  const socketSetting: unknown = (full.admin as { socket?: unknown }).socket;
  const adminSocket = typeof socketSetting === 'string' ? socketSetting : '';
  const configFile = join(workDir, `${name}.yaml`);
  writeFileSync(configFile, `${JSON.stringify(full, null, 2)}\n`, { mode: 0o600 });
  const logFile = join(workDir, `${name}.log`);
  const fd = openSync(logFile, 'w');
  // AIRLOCK_BENCH_AUTH_NODE_ARGS: extra node flags for the authenticator, e.g. "--cpu-prof --cpu-prof-dir=/tmp/prof".
  const nodeArgs = [...(process.env.AIRLOCK_BENCH_AUTH_NODE_ARGS ?? '').split(' ').filter((a) => a !== ''), ...(opts.nodeArgs ?? [])];
  // opts.fdLimit: its open-file limit, soft and hard (util-linux prlimit, which execs it: same pid).
  // opts.main: another build of main.js (a benchmark's baseline).
  const argv = [process.execPath, ...nodeArgs, opts.main ?? MAIN, '--config', configFile];
  if (opts.fdLimit !== undefined) argv.unshift('prlimit', `--nofile=${opts.fdLimit}:${opts.fdLimit}`, '--');
  const child: ChildProcess = spawn(argv[0], argv.slice(1), { stdio: ['ignore', fd, fd] });
  closeSync(fd);
  const exited = new Promise<void>((resolve) => child.once('exit', () => resolve()));
  if (child.pid === undefined) throw new Error(`cannot spawn ${argv.join(' ')}`);
  const pid = child.pid;
  // A runner that dies must not leave the authenticator behind.
  const killOnExit = (): void => {
    child.kill('SIGKILL');
    rmSync(socketDir, { recursive: true, force: true });
  };
  process.once('exit', killOnExit);

  const url = (path: string): string => `http://127.0.0.1:${httpPort}${path}`;
  const metrics = async (): Promise<Map<string, number>> => parsePrometheusText(await (await fetch(url('/metrics'))).text());

  const readyTimeoutMs = opts.readyTimeoutMs ?? READY_TIMEOUT_MS;
  const deadline = Date.now() + readyTimeoutMs;
  for (;;) {
    if (child.exitCode !== null || child.signalCode !== null) {
      rmSync(socketDir, { recursive: true, force: true });
      throw new Error(`authenticator exited (${child.signalCode ?? child.exitCode}) before it was ready; see ${logFile}`);
    }
    try {
      if ((await fetch(url('/readyz'))).status === 200) break;
    } catch {
      // not listening yet
    }
    if (Date.now() > deadline) {
      child.kill('SIGKILL');
      rmSync(socketDir, { recursive: true, force: true });
      throw new Error(`authenticator not ready after ${readyTimeoutMs} ms; see ${logFile}`);
    }
    await new Promise((r) => setTimeout(r, 50));
  }

  return {
    pid,
    grpcTarget: `127.0.0.1:${grpcPort}`,
    grpcPort,
    httpPort,
    adminPort,
    adminSocket,
    logFile,
    configFile,
    config: full,
    signal: (sig) => child.kill(sig),
    metrics,
    async cpuUs() {
      const v = (await metrics()).get('process_cpu_seconds_total');
      if (v === undefined) throw new Error('authenticator /metrics has no process_cpu_seconds_total');
      return v * 1e6;
    },
    procCpuUs: () => overTree(pid, procCpuUs),
    rssKb: () => overTree(pid, procRssKb),
    async stop() {
      process.removeListener('exit', killOnExit);
      if (child.exitCode === null && child.signalCode === null) {
        child.kill('SIGTERM');
        const t = setTimeout(() => child.kill('SIGKILL'), 5000);
        await exited;
        clearTimeout(t);
      }
      rmSync(socketDir, { recursive: true, force: true });
    },
  };
}
