/**
 * Network namespaces and veth pairs for tests (iproute2, Debian package `iproute2`; root).
 *
 * `createVethNamespace()` makes a namespace with one end of a veth pair in it (the
 * supplicant's side) and leaves the other end in this namespace (the authenticator's
 * side), both up. Names are unique per run and carry this process's pid:
 * namespace `airlock-<pid>-<n>`, interfaces `alk<pid36>h<n>` (here) / `alk<pid36>n<n>`.
 *
 * Cleanup, always: `remove()` kills whatever still runs in the namespace, deletes it and
 * the host end; pairs not removed are removed synchronously when the process exits (also
 * on SIGINT/SIGTERM/SIGHUP); and namespaces and interfaces left by test processes that no
 * longer exist (a SIGKILLed run) are swept before the first new pair is made.
 */
import { execFile, spawnSync } from 'node:child_process';
import { existsSync, readFileSync } from 'node:fs';
import { constants } from 'node:os';
import { promisify } from 'node:util';

const run = promisify(execFile);

/** The iproute2 binary. */
export const IP_BIN = '/usr/sbin/ip';
const NS_RE = /^airlock-(\d+)-\d+$/;
const IF_RE = /^alk([0-9a-z]+)[hn]\d+$/;

/** A namespace with one end of a veth pair; the other end is here. */
export interface VethNamespace {
  /** Namespace name (for `ip netns exec`). */
  namespace: string;
  /** The end in this (the root) namespace. */
  hostInterface: string;
  /** The end inside the namespace. */
  nsInterface: string;
  /** MAC of the host end. */
  hostMac: Buffer;
  /** MAC of the namespace end (the station's address). */
  nsMac: Buffer;
  /** Kills processes left in the namespace, deletes it and the veth pair; idempotent. */
  remove(): Promise<void>;
}

/** Thrown when namespaces cannot be made here. */
export class NetnsError extends Error {
  override readonly name = 'NetnsError';
}

/** Why network namespaces cannot be used here (not root, no iproute2), or undefined. */
export function netnsUnavailable(): string | undefined {
  if (process.platform !== 'linux') return 'network namespaces need Linux';
  if (!existsSync(IP_BIN)) return `${IP_BIN} is missing: install the Debian package \`iproute2\` (apt-get install -y iproute2)`;
  if (typeof process.getuid === 'function' && process.getuid() !== 0) {
    return 'network namespaces and veth pairs need root (the interop tests run as root in CI; Debian package `iproute2`)';
  }
  return undefined;
}

const live = new Map<string, { namespace: string; hostInterface: string }>();
let counter = 0;
let swept = false;
let hooksInstalled = false;

/** Synchronous cleanup of one pair (exit hook): kill, delete namespace, delete host end. */
function removeSync(p: { namespace: string; hostInterface: string }): void {
  const pids = spawnSync(IP_BIN, ['netns', 'pids', p.namespace], { encoding: 'utf8' });
  for (const pid of (pids.stdout ?? '').split(/\s+/).filter((s) => /^\d+$/.test(s))) {
    try {
      process.kill(Number(pid), 'SIGKILL');
    } catch {
      // already gone
    }
  }
  spawnSync(IP_BIN, ['link', 'del', p.hostInterface], { stdio: 'ignore' });
  spawnSync(IP_BIN, ['netns', 'del', p.namespace], { stdio: 'ignore' });
}

function installHooks(): void {
  if (hooksInstalled) return;
  hooksInstalled = true;
  process.on('exit', () => {
    for (const p of live.values()) removeSync(p);
    live.clear();
  });
  // A signal ends the process without 'exit'. Clean up; then, unless another handler is
  // still there to end the process, exit (128 + signal number, as a shell reports it) so
  // that the other harnesses' 'exit' hooks (FreeRADIUS, wpa_supplicant) run too.
  for (const sig of ['SIGINT', 'SIGTERM', 'SIGHUP'] as const) {
    process.once(sig, () => {
      for (const p of live.values()) removeSync(p);
      live.clear();
      if (process.listenerCount(sig) === 0) process.exit(128 + (constants.signals[sig] ?? 0));
    });
  }
}

function alive(pid: number): boolean {
  if (pid === process.pid) return true;
  try {
    process.kill(pid, 0);
    return true;
  } catch (err) {
    return (err as NodeJS.ErrnoException).code === 'EPERM';
  }
}

/** Removes namespaces and host interfaces of earlier runs whose process is gone. */
async function sweepStale(): Promise<void> {
  const ns = await run(IP_BIN, ['netns', 'list']);
  for (const line of ns.stdout.split('\n')) {
    const name = line.trim().split(/\s+/)[0] ?? '';
    const m = NS_RE.exec(name);
    if (m !== null && !alive(Number(m[1]))) removeSync({ namespace: name, hostInterface: '' });
  }
  const links = await run(IP_BIN, ['-o', 'link', 'show']);
  for (const line of links.stdout.split('\n')) {
    const name = /^\d+:\s+([^:@\s]+)/.exec(line)?.[1] ?? '';
    const m = IF_RE.exec(name);
    if (m !== null && !alive(parseInt(m[1], 36))) spawnSync(IP_BIN, ['link', 'del', name], { stdio: 'ignore' });
  }
}

async function ip(args: string[]): Promise<void> {
  try {
    await run(IP_BIN, args);
  } catch (err) {
    const e = err as { stderr?: string; message: string };
    throw new NetnsError(`\`ip ${args.join(' ')}\` failed: ${(e.stderr ?? e.message).trim()}`);
  }
}

function macOf(iface: string, namespace?: string): Buffer {
  const text = namespace === undefined
    ? readFileSync(`/sys/class/net/${iface}/address`, 'utf8')
    : spawnSync(IP_BIN, ['netns', 'exec', namespace, 'cat', `/sys/class/net/${iface}/address`], { encoding: 'utf8' }).stdout;
  const hex = text.trim().replace(/:/g, '');
  if (!/^[0-9a-f]{12}$/.test(hex)) throw new NetnsError(`cannot read the MAC of ${iface}${namespace ? ` in ${namespace}` : ''}: ${JSON.stringify(text)}`);
  return Buffer.from(hex, 'hex');
}

/** Creates a namespace and a veth pair (see the module comment); the ends are up. */
export async function createVethNamespace(): Promise<VethNamespace> {
  const why = netnsUnavailable();
  if (why !== undefined) throw new NetnsError(why);
  installHooks();
  if (!swept) {
    swept = true;
    await sweepStale();
  }
  const n = counter++;
  const tag = process.pid.toString(36);
  const p = { namespace: `airlock-${process.pid}-${n}`, hostInterface: `alk${tag}h${n}`, nsInterface: `alk${tag}n${n}` };
  live.set(p.namespace, p);
  let removed = false;
  const remove = async (): Promise<void> => {
    if (removed) return;
    removed = true;
    removeSync(p);
    live.delete(p.namespace);
    await Promise.resolve();
  };
  try {
    await ip(['netns', 'add', p.namespace]);
    await ip(['link', 'add', p.hostInterface, 'type', 'veth', 'peer', 'name', p.nsInterface, 'netns', p.namespace]);
    await ip(['link', 'set', p.hostInterface, 'up']);
    await ip(['-n', p.namespace, 'link', 'set', 'lo', 'up']);
    await ip(['-n', p.namespace, 'link', 'set', p.nsInterface, 'up']);
    return { ...p, hostMac: macOf(p.hostInterface), nsMac: macOf(p.nsInterface, p.namespace), remove };
  } catch (err) {
    await remove();
    throw err;
  }
}
