/**
 * Compose, either kind: Compose v2 (`docker compose`, the CLI plugin) when the docker CLI has
 * it, otherwise Debian's docker-compose 1.29. AIRLOCK_COMPOSE=v1|v2 picks one.
 */
import { join } from 'node:path';
import { REPO_ROOT } from '../authenticator-process.js';
import { run, type RunResult } from './engine.js';

export const COMPOSE_FILE = join(REPO_ROOT, 'docker-compose.yml');

export interface Compose {
  /** "v2 2.x.y" or "v1 1.29.2". */
  version: string;
  /** Runs `compose -f docker-compose.yml -p project ARGS`. */
  run(args: string[], o?: { env?: NodeJS.ProcessEnv; timeoutMs?: number; onLine?: (l: string) => void }): Promise<RunResult>;
}

async function versionOf(cmd: string, args: string[]): Promise<string | undefined> {
  try {
    const r = await run(cmd, args, { timeoutMs: 30_000 });
    return r.status === 0 ? (/\d+\.\d+\.\d+/.exec(r.stdout)?.[0] ?? r.stdout.trim()) : undefined;
  } catch {
    return undefined;
  }
}

/** The compose implementation to use, for one project name. */
export async function findCompose(project: string): Promise<Compose> {
  const want = process.env.AIRLOCK_COMPOSE;
  const v2 = want === 'v1' ? undefined : await versionOf('docker', ['compose', 'version', '--short']);
  if (v2 !== undefined) {
    return { version: `v2 ${v2}`, run: (args, o = {}) => run('docker', ['compose', '-f', COMPOSE_FILE, '-p', project, ...args], o) };
  }
  if (want === 'v2') throw new Error('AIRLOCK_COMPOSE=v2, but `docker compose` is not available (the docker-compose-plugin)');
  const v1 = await versionOf('docker-compose', ['version', '--short']);
  if (v1 === undefined) throw new Error('neither `docker compose` (Compose v2) nor docker-compose works: apt-get install -y docker-compose');
  return { version: `v1 ${v1}`, run: (args, o = {}) => run('docker-compose', ['-f', COMPOSE_FILE, '-p', project, ...args], o) };
}
