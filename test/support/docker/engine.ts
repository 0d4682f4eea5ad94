/**
 * A Docker engine for the compose test (DESIGN "Docker on this machine kind"): the one the
 * environment points at (DOCKER_HOST, or the default socket) when it answers, otherwise a
 * private dockerd from Debian's docker.io with its own data root, exec root and socket,
 * stopped afterwards. The private data root is kept between runs under
 * node_modules/.cache/airlock/dockerd, so the base images built there are built once.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { existsSync, mkdirSync, openSync, closeSync, readFileSync, rmSync } from 'node:fs';
import { join } from 'node:path';
import { REPO_ROOT } from '../authenticator-process.js';

/** The result of one command. */
export interface RunResult {
  status: number | null;
  stdout: string;
  stderr: string;
}

/** Runs a command to its end (or kills it after timeoutMs); never throws for a non-zero exit. */
export function run(cmd: string, args: string[], o: { env?: NodeJS.ProcessEnv; cwd?: string; timeoutMs?: number; input?: string; onLine?: (line: string) => void } = {}): Promise<RunResult> {
  return new Promise((resolve, reject) => {
    const child = spawn(cmd, args, { env: o.env ?? process.env, cwd: o.cwd ?? REPO_ROOT, stdio: ['pipe', 'pipe', 'pipe'] });
    let stdout = '';
    let stderr = '';
    let partial = '';
    const lines = (chunk: string): void => {
      if (o.onLine === undefined) return;
      partial += chunk;
      const parts = partial.split('\n');
      partial = parts.pop() ?? '';
      for (const l of parts) o.onLine(l);
    };
    child.stdout.setEncoding('utf8').on('data', (d: string) => { stdout += d; lines(d); });
    child.stderr.setEncoding('utf8').on('data', (d: string) => { stderr += d; lines(d); });
    const timer = o.timeoutMs === undefined ? undefined : setTimeout(() => child.kill('SIGKILL'), o.timeoutMs);
    child.on('error', (e) => {
      clearTimeout(timer);
      reject(new Error(`cannot run ${cmd}: ${e.message}`));
    });
    child.on('close', (status) => {
      clearTimeout(timer);
      resolve({ status, stdout, stderr });
    });
    // A command that does not read its input may close it first (EPIPE): that is not an error here.
    child.stdin.on('error', () => undefined);
    child.stdin.end(o.input ?? '');
  });
}

/** A reachable Docker engine: the environment to run `docker` and compose with. */
export interface DockerEngine {
  /** process.env with DOCKER_HOST pointing at the engine. */
  env: NodeJS.ProcessEnv;
  /** Whether this test started it (then `stop` stops it). */
  private: boolean;
  /** The server's version, as `docker version` prints it. */
  version: string;
  stop(): Promise<void>;
}

const PRIVATE_ROOT = join(REPO_ROOT, 'node_modules', '.cache', 'airlock', 'dockerd');
/** Short: containerd's socket paths live under it (a UNIX socket path has ~108 bytes). */
const PRIVATE_EXEC_ROOT = '/run/airlock-test-dockerd';
const PRIVATE_SOCKET = join(PRIVATE_EXEC_ROOT, 'docker.sock');

async function serverVersion(env: NodeJS.ProcessEnv): Promise<string | undefined> {
  try {
    const r = await run('docker', ['version', '--format', '{{.Server.Version}}'], { env, timeoutMs: 15_000 });
    return r.status === 0 && r.stdout.trim() !== '' ? r.stdout.trim() : undefined;
  } catch {
    return undefined;
  }
}

/** The engine the environment names if it answers, else a private dockerd (root only). */
export async function dockerEngine(log: (line: string) => void): Promise<DockerEngine> {
  if (!(await run('docker', ['--version']).catch(() => undefined))) {
    throw new Error('no `docker` command: install the Debian package docker.io (apt-get install -y docker.io)');
  }
  const existing = await serverVersion(process.env);
  if (existing !== undefined) {
    log(`docker engine ${existing} at ${process.env.DOCKER_HOST ?? 'the default socket'}`);
    return { env: { ...process.env }, private: false, version: existing, stop: () => Promise.resolve() };
  }
  if (!existsSync('/usr/bin/dockerd') && !existsSync('/usr/sbin/dockerd')) {
    throw new Error('no Docker engine answers and there is no dockerd to start: install the Debian package docker.io (apt-get install -y docker.io)');
  }
  if (typeof process.getuid === 'function' && process.getuid() !== 0) {
    throw new Error('no Docker engine answers (DOCKER_HOST or /var/run/docker.sock), and starting a private dockerd needs root: run the test as root, or start Docker and set DOCKER_HOST');
  }
  return startPrivateDockerd(log);
}

async function startPrivateDockerd(log: (line: string) => void): Promise<DockerEngine> {
  mkdirSync(PRIVATE_ROOT, { recursive: true });
  mkdirSync(PRIVATE_EXEC_ROOT, { recursive: true, mode: 0o700 });
  // A daemon of an earlier run that was killed before it could stop this one: stop it first.
  const pidFile = join(PRIVATE_EXEC_ROOT, 'dockerd.pid');
  if (existsSync(pidFile)) {
    const pid = Number(readFileSync(pidFile, 'utf8').trim());
    if (Number.isInteger(pid) && pid > 0) await stopPid(pid, 30_000);
    rmSync(pidFile, { force: true });
  }
  const logFile = join(PRIVATE_ROOT, 'dockerd.log');
  const fd = openSync(logFile, 'w');
  let child: ChildProcess;
  try {
    child = spawn('dockerd', [
      '--data-root', join(PRIVATE_ROOT, 'data'),
      '--exec-root', PRIVATE_EXEC_ROOT,
      '--pidfile', pidFile,
      '-H', `unix://${PRIVATE_SOCKET}`,
    ], { stdio: ['ignore', fd, fd], detached: false });
  } finally {
    closeSync(fd);
  }
  const env = { ...process.env, DOCKER_HOST: `unix://${PRIVATE_SOCKET}` };
  let exited: number | null | undefined;
  child.on('exit', (code) => { exited = code; });
  const deadline = Date.now() + 60_000;
  let version: string | undefined;
  while (version === undefined) {
    if (exited !== undefined) throw new Error(`the private dockerd exited (${exited}) at start: see ${logFile}`);
    if (Date.now() > deadline) {
      child.kill('SIGKILL');
      throw new Error(`the private dockerd did not answer within 60 s: see ${logFile}`);
    }
    await new Promise((r) => setTimeout(r, 250));
    version = await serverVersion(env);
  }
  log(`started a private dockerd ${version} (data root ${join(PRIVATE_ROOT, 'data')}, log ${logFile})`);
  return {
    env,
    private: true,
    version,
    stop: async () => {
      if (child.pid !== undefined && exited === undefined) await stopPid(child.pid, 30_000);
    },
  };
}

/** SIGTERM, then SIGKILL after timeoutMs; resolves once the process is gone. */
async function stopPid(pid: number, timeoutMs: number): Promise<void> {
  const alive = (): boolean => {
    try {
      process.kill(pid, 0);
      return true;
    } catch {
      return false;
    }
  };
  if (!alive()) return;
  process.kill(pid, 'SIGTERM');
  const deadline = Date.now() + timeoutMs;
  while (alive() && Date.now() < deadline) await new Promise((r) => setTimeout(r, 200));
  if (alive()) process.kill(pid, 'SIGKILL');
  while (alive()) await new Promise((r) => setTimeout(r, 100));
}
