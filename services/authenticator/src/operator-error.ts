/**
 * Startup failures an operator fixes (issue 14 "Errors"): a port in use, a listen address
 * that is not this host's, a missing or unreadable certificate. They are thrown as
 * {@link OperatorError}, whose message is one line naming the configuration key and the
 * fix; main.ts prints it without a stack trace and exits 1. Any other exception is a bug
 * and keeps its stack.
 */
import { readdirSync, readFileSync, readlinkSync } from 'node:fs';
import { createServer } from 'node:net';
import { escapeControls } from '@airlock/log-limit';

/** A failure the operator fixes; its message is one line with the fix. */
export class OperatorError extends Error {
  override readonly name: string = 'OperatorError';
}

/** The AIRLOCK__A__B environment override of config key `a.b` (config.ts). */
export function envOverride(key: string): string {
  return `AIRLOCK__${key.toUpperCase().replaceAll('.', '__')}`;
}

/** Script files whose path is safe to show (a path, not an argument that could be a secret). */
const SCRIPT = /\.(?:c?js|mjs|ts|py|sh|rb|pl)$/;

/** "pid 1234 (node …/authenticator/dist/main.js)" for a process, from /proc. */
function describeProcess(pid: string): string {
  let comm = '?';
  try {
    comm = readFileSync(`/proc/${pid}/comm`, 'utf8').trim();
  } catch {
    // gone meanwhile, or not readable: the pid alone
  }
  let script = '';
  try {
    // Only argv[1], and only when it names a script file: other arguments may be secrets.
    const argv1 = readFileSync(`/proc/${pid}/cmdline`, 'utf8').split('\0')[1] ?? '';
    if (SCRIPT.test(argv1) && !argv1.startsWith('-')) script = ` ${argv1.split('/').slice(-3).join('/')}`;
  } catch {
    // no cmdline: the name alone
  }
  return `pid ${pid} (${escapeControls(`${comm}${script}`).slice(0, 120)})`;
}

/**
 * Who listens on TCP `port` in this network namespace (Linux /proc: the socket's inode in
 * /proc/net/tcp{,6}, then the process holding a descriptor of it). Undefined when nothing
 * is found listening; "a process of another user" when the socket is there but its holder
 * is not visible to this user.
 */
export function tcpPortHolder(port: number): string | undefined {
  if (process.platform !== 'linux') return undefined;
  const inodes = new Set<string>();
  for (const table of ['/proc/net/tcp', '/proc/net/tcp6']) {
    let text: string;
    try {
      text = readFileSync(table, 'utf8');
    } catch {
      continue;
    }
    for (const row of text.split('\n').slice(1)) {
      // sl local_address rem_address st tx:rx tr:when retrnsmt uid timeout inode
      const cols = row.trim().split(/\s+/);
      if (cols.length < 10 || cols[3] !== '0A') continue; // 0A: LISTEN
      if (parseInt(cols[1].split(':')[1] ?? '', 16) === port && cols[9] !== '0') inodes.add(cols[9]);
    }
  }
  if (inodes.size === 0) return undefined;
  let pids: string[];
  try {
    pids = readdirSync('/proc').filter((p) => /^\d+$/.test(p));
  } catch {
    return undefined;
  }
  for (const pid of pids) {
    let fds: string[];
    try {
      fds = readdirSync(`/proc/${pid}/fd`);
    } catch {
      continue; // another user's process
    }
    for (const fd of fds) {
      let target: string;
      try {
        target = readlinkSync(`/proc/${pid}/fd/${fd}`);
      } catch {
        continue;
      }
      const m = /^socket:\[(\d+)\]$/.exec(target);
      if (m !== null && inodes.has(m[1])) return describeProcess(pid);
    }
  }
  return 'a process of another user';
}

/** The port of "host:port" (IPv6 host in brackets); undefined when there is none. */
function portOf(listen: string): number | undefined {
  const m = /:(\d{1,5})$/.exec(listen);
  return m === null ? undefined : Number(m[1]);
}

/**
 * An error of listen(2) on `listen` (the value of config key `key`) as the operator's line:
 * which port, which key (and its environment override) to change, and what holds the port.
 * `code` is the errno name (EADDRINUSE, EACCES, EADDRNOTAVAIL, ENOTFOUND, ...); an unknown
 * one is still an OperatorError, with the system's message.
 */
export function listenError(key: string, listen: string, code: string | undefined, detail: string): OperatorError {
  const port = portOf(listen);
  const change = `set another in ${key} (or ${envOverride(key)})`;
  const host = listen.replace(/:\d{1,5}$/, '');
  switch (code) {
    case 'EADDRINUSE': {
      const holder = port === undefined || port === 0 ? undefined : tcpPortHolder(port);
      return new OperatorError(`${key} ${listen}: port ${port ?? '?'} is already in use${holder === undefined ? '' : ` by ${holder}`}; stop that process or ${change}`);
    }
    case 'EACCES':
      return new OperatorError(`${key} ${listen}: permission denied for port ${port ?? '?'}${port !== undefined && port < 1024 ? ' (ports below 1024 need root or CAP_NET_BIND_SERVICE)' : ''}; ${change}`);
    case 'EADDRNOTAVAIL':
      return new OperatorError(`${key} ${listen}: ${host} is not an address of this host; use 0.0.0.0 (every interface) or one of its addresses in ${key} (or ${envOverride(key)})`);
    case 'ENOTFOUND':
    case 'EAI_AGAIN':
    case 'EAI_NONAME':
      return new OperatorError(`${key} ${listen}: the host name ${host} does not resolve (${code}); use an address of this host in ${key} (or ${envOverride(key)})`);
    default:
      return new OperatorError(`${key} ${listen}: cannot listen (${code ?? escapeControls(detail)}); check ${key} (or ${envOverride(key)})`);
  }
}

/**
 * Fails with listenError when TCP `listen` ("host:port", the value of `key`) cannot be
 * bound now; for a listener bound by a library that reports only a generic message (and
 * prints its own lines): grpc-js's bindAsync.
 */
export async function checkListenable(key: string, listen: string): Promise<void> {
  const m = /^(?:\[([0-9A-Fa-f:.]+)\]|([^\s:[\]]+)):(\d{1,5})$/.exec(listen);
  if (m === null || Number(m[3]) === 0) return;
  const server = createServer();
  await new Promise<void>((resolve, reject) => {
    server.once('error', (err: NodeJS.ErrnoException) => reject(listenError(key, listen, err.code, err.message)));
    server.listen(Number(m[3]), m[1] ?? m[2], () => server.close(() => resolve()));
  });
}

/** The errno name inside an error, also when grpc-js only kept the system's message ("... EADDRINUSE ..."). */
export function errnoOf(err: unknown): string | undefined {
  const code = (err as NodeJS.ErrnoException | undefined)?.code;
  if (typeof code === 'string') return code;
  const m = /\b(E[A-Z]{3,}|EAI_[A-Z]+)\b/.exec(err instanceof Error ? err.message : String(err));
  return m?.[1];
}
