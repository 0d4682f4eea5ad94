/**
 * The Admin API's local UNIX socket as a file (admin.socket): like hostapd's
 * ctrl_interface and Docker's daemon socket, who may administer is decided by the file's
 * mode and group (connect(2) needs write permission on the socket). Made safely:
 * - its directory is created when missing (0750, the socket's group) and must not be
 *   writable by every user, must be owned by root or this user, and is not followed if it
 *   is a symbolic link: otherwise another user could swap the socket for their own;
 * - an existing file there is replaced only when it is a socket nobody answers on (a
 *   stale one, left by a crash); a live socket (another authenticator) or anything else
 *   (a file, a link) is an error;
 * - the server binds in a private directory (0700) beside it, the mode and group are set
 *   there, and only then is the socket renamed into place: no moment with the umask's mode.
 */
import { chmodSync, lchownSync, lstatSync, mkdirSync, mkdtempSync, readFileSync, renameSync, rmdirSync, unlinkSync, type Stats } from 'node:fs';
import { createConnection } from 'node:net';
import { execFileSync } from 'node:child_process';
import { dirname, join } from 'node:path';
import { OperatorError } from '../operator-error.js';

/** Where to bind, and how to finish once bound. */
export interface SocketPlan {
  /** The final path. */
  path: string;
  /** Bind here (a private directory beside `path`). */
  bindPath: string;
  mode: number;
  gid: number | undefined;
}

/** A socket file that cannot be made as configured: the message names the key. */
export class SocketFileError extends OperatorError {
  override readonly name = 'SocketFileError';
  constructor(message: string, readonly code?: string) {
    super(message);
  }
}

function errno(e: unknown): string {
  return (e as NodeJS.ErrnoException).code ?? 'error';
}

/** The gid of a group name or number: /etc/group first, then NSS (getent). */
export function resolveGroup(group: string): number {
  if (/^\d+$/.test(group)) return Number(group);
  try {
    for (const line of readFileSync('/etc/group', 'utf8').split('\n')) {
      const f = line.split(':');
      if (f[0] === group && f.length >= 3 && /^\d+$/.test(f[2])) return Number(f[2]);
    }
  } catch {
    // no /etc/group: ask NSS
  }
  try {
    const f = execFileSync('getent', ['group', group], { encoding: 'utf8', stdio: ['ignore', 'pipe', 'ignore'], timeout: 5000 }).split(':');
    if (f.length >= 3 && /^\d+$/.test(f[2])) return Number(f[2]);
  } catch {
    // not found
  }
  throw new SocketFileError(`admin.socket_group: no group ${JSON.stringify(group)} on this system`);
}

/** Whether a process answers on the UNIX socket at `path`. */
function answers(path: string): Promise<boolean> {
  return new Promise((resolve) => {
    const s = createConnection(path);
    const done = (v: boolean): void => {
      s.destroy();
      resolve(v);
    };
    s.once('connect', () => done(true));
    s.once('error', () => done(false));
    s.setTimeout(1000, () => done(false));
  });
}

/** Checks the socket's directory: a real directory, not writable by everyone, owned by root or us. */
function checkDirectory(dir: string, st: Stats): void {
  const uid = process.getuid?.() ?? 0;
  if (!st.isDirectory()) throw new SocketFileError(`admin.socket: ${dir} is not a directory${st.isSymbolicLink() ? ' (a symbolic link, not followed)' : ''}`);
  if ((st.mode & 0o002) !== 0) throw new SocketFileError(`admin.socket: ${dir} is writable by every user (mode ${(st.mode & 0o7777).toString(8)}), who could replace the socket: use a directory that only root or the authenticator's user can write, such as /run/airlock`);
  if (st.uid !== 0 && st.uid !== uid) throw new SocketFileError(`admin.socket: ${dir} is owned by uid ${st.uid}, not by root or the authenticator's user (uid ${uid})`);
}

/**
 * Prepares `path` for a socket of `mode` and `group` ("" = ours): the directory (made when
 * missing), a stale socket removed, and a private place to bind. Throws SocketFileError;
 * its `code` is the errno when the directory cannot be made (EACCES for an unprivileged
 * user and the default path: the caller may go on without the socket).
 */
export async function planSocket(path: string, mode: number, group: string): Promise<SocketPlan> {
  const gid = group === '' ? undefined : resolveGroup(group);
  const dir = dirname(path);
  let st: Stats;
  try {
    st = lstatSync(dir);
  } catch (e) {
    if (errno(e) !== 'ENOENT') throw new SocketFileError(`admin.socket: cannot read ${dir} (${errno(e)})`, errno(e));
    try {
      mkdirSync(dir, { recursive: true, mode: 0o750 });
      if (gid !== undefined) lchownSync(dir, -1, gid);
    } catch (e2) {
      throw new SocketFileError(`admin.socket: cannot create the directory ${dir} (${errno(e2)})`, errno(e2));
    }
    st = lstatSync(dir);
  }
  checkDirectory(dir, st);
  let existing: Stats | undefined;
  try {
    existing = lstatSync(path);
  } catch (e) {
    if (errno(e) !== 'ENOENT') throw new SocketFileError(`admin.socket: cannot read ${path} (${errno(e)})`, errno(e));
  }
  if (existing !== undefined) {
    if (!existing.isSocket()) throw new SocketFileError(`admin.socket: ${path} exists and is not a socket${existing.isSymbolicLink() ? ' (a symbolic link, not followed)' : ''}: remove it, or choose another path`);
    if (await answers(path)) throw new SocketFileError(`admin.socket: ${path} is in use by another process (another authenticator?)`);
    // A socket no one answers on: left by a process that died. Ours replaces it.
    unlinkSync(path);
  }
  let privateDir: string;
  try {
    privateDir = mkdtempSync(join(dir, '.a'));
  } catch (e) {
    throw new SocketFileError(`admin.socket: cannot create a directory in ${dir} (${errno(e)})`, errno(e));
  }
  const bindPath = join(privateDir, 's');
  if (Buffer.byteLength(bindPath) > 107) {
    rmdirSync(privateDir);
    throw new SocketFileError(`admin.socket: ${dir} is too deep for a UNIX socket address (${bindPath} is over 107 bytes)`);
  }
  return { path, bindPath, mode, gid };
}

/** After the bind: mode and group on the private socket, then renamed into place. Returns its inode. */
export function finishSocket(plan: SocketPlan): number {
  try {
    chmodSync(plan.bindPath, plan.mode);
    if (plan.gid !== undefined) lchownSync(plan.bindPath, -1, plan.gid);
    renameSync(plan.bindPath, plan.path);
  } catch (e) {
    throw new SocketFileError(`admin.socket: cannot set up ${plan.path} (${errno(e)}${errno(e) === 'EPERM' ? ': changing the group needs root or membership of admin.socket_group' : ''})`, errno(e));
  } finally {
    abandonPlan(plan);
  }
  const st = lstatSync(plan.path);
  if (!st.isSocket() || (st.mode & 0o777) !== plan.mode || (plan.gid !== undefined && st.gid !== plan.gid)) {
    throw new SocketFileError(`admin.socket: ${plan.path} is not the socket just made with mode ${plan.mode.toString(8)}`);
  }
  return st.ino;
}

/** Removes the private bind directory (and a socket left in it). */
export function abandonPlan(plan: SocketPlan): void {
  try {
    unlinkSync(plan.bindPath);
  } catch {
    // renamed away, or never bound
  }
  try {
    rmdirSync(dirname(plan.bindPath));
  } catch {
    // already gone
  }
}

/** Removes the socket at `path` if it is still the one made (inode `ino`). */
export function removeSocket(path: string, ino: number): void {
  try {
    const st = lstatSync(path);
    if (st.isSocket() && st.ino === ino) unlinkSync(path);
  } catch {
    // already gone
  }
}

/** Text of a mode for logs: "0660". */
export function modeText(mode: number): string {
  return `0${mode.toString(8).padStart(3, '0')}`;
}
