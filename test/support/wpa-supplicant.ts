/**
 * A real wpa_supplicant 2.10 (Debian package `wpasupplicant`, /usr/sbin/wpa_supplicant)
 * for tests: `wpa_supplicant -D wired -i IF -c CONF -dd -t` inside a network namespace
 * (see netns.ts), with its debug log captured line by line so a test can wait for a line
 * and assert on the order of lines.
 *
 * The configuration is written to a temp dir: `ap_scan=0` (a wire has nothing to scan)
 * and one network block. Set AIRLOCK_WPA_DEBUG=1 to copy the log to stderr as it comes.
 * Processes still running when the test process exits are killed (SIGKILL) by an exit
 * hook, and their temp dirs removed.
 */
import { execFile, spawn, type ChildProcess } from 'node:child_process';
import { existsSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { IP_BIN } from './netns.js';

const run = promisify(execFile);

/** The supplicant binary, from Debian's `wpasupplicant` package. */
export const WPA_SUPPLICANT_BIN = '/usr/sbin/wpa_supplicant';
const STOP_TIMEOUT_MS = 3000;

/** Thrown when wpa_supplicant cannot run, exits, or a line does not come. */
export class WpaSupplicantError extends Error {
  override readonly name = 'WpaSupplicantError';
}

/** Why wpa_supplicant cannot run here, or undefined. */
export function wpaSupplicantUnavailable(): string | undefined {
  if (!existsSync(WPA_SUPPLICANT_BIN)) return `${WPA_SUPPLICANT_BIN} is missing: install the Debian package \`wpasupplicant\` (apt-get install -y wpasupplicant)`;
  return undefined;
}

/**
 * Fields of a network block. Strings are written quoted ("..."), except the keywords
 * wpa_supplicant takes bare (key_mgmt, eap, proto, pairwise, group, eapol_flags, ...);
 * numbers bare.
 */
export type WpaNetwork = Record<string, string | number>;

const BARE = new Set(['bssid', 'bssid_hint', 'key_mgmt', 'eap', 'proto', 'pairwise', 'group', 'eapol_flags', 'ieee80211w', 'priority', 'scan_ssid', 'mode', 'auth_alg', 'fragment_size', 'macsec_policy']);

/** The configuration file text for one network; `apScan` 0 (a wire: nothing to scan) unless given. */
export function wpaSupplicantConfig(network: WpaNetwork, globals: Record<string, string | number> = {}, apScan = 0): string {
  const value = (k: string, v: string | number): string => {
    if (typeof v === 'number' || BARE.has(k)) return String(v);
    if (/["\n\r]/.test(v)) throw new WpaSupplicantError(`${k}: quotes and newlines cannot go into a quoted wpa_supplicant value`);
    return `"${v}"`;
  };
  const lines = ['# written by airlock test/support/wpa-supplicant.ts', `ap_scan=${apScan}`];
  for (const [k, v] of Object.entries(globals)) lines.push(`${k}=${v}`);
  lines.push('network={');
  for (const [k, v] of Object.entries(network)) {
    if (!/^[a-z_0-9]+$/.test(k)) throw new WpaSupplicantError(`bad network field name ${JSON.stringify(k)}`);
    lines.push(`\t${k}=${value(k, v)}`);
  }
  lines.push('}', '');
  return lines.join('\n');
}

/** What to run. */
export interface WpaSupplicantOptions {
  namespace: string;
  interfaceName: string;
  network: WpaNetwork;
  /** Global configuration lines (e.g. eapol_version). */
  globals?: Record<string, string | number>;
  /**
   * 'wired' (default): `-D wired`, ready once it "associates" with the PAE group address.
   * 'nl80211': a Wi-Fi station (`-D nl80211`, ap_scan=1, a control socket for `command`),
   * ready once initialized; it then scans and connects by itself.
   */
  driver?: 'wired' | 'nl80211';
}

/** A running wpa_supplicant. */
export interface WpaSupplicant {
  pid: number;
  /** The debug log so far, one entry per line (timestamps included). */
  lines(): string[];
  /** The whole log so far. */
  log(): string;
  /** Index of the first line at or after `from` that matches, or -1. */
  indexOf(pattern: string | RegExp, from?: number): number;
  /**
   * Waits for a line that matches, at or after line `from` (default 0); resolves with its
   * index. Rejects with the log's tail when it does not come within `timeoutMs` or the
   * process exits first.
   */
  waitForLine(pattern: string | RegExp, timeoutMs: number, from?: number): Promise<number>;
  /** SIGTERM (SIGKILL after a grace period), wait for exit, remove the temp dir; idempotent. */
  stop(): Promise<void>;
  /** Runs `wpa_cli COMMAND...` against this supplicant (nl80211 only); resolves with its output. */
  command(...args: string[]): Promise<string>;
}

/** wpa_cli, from Debian's `wpasupplicant` package. */
export const WPA_CLI_BIN = '/usr/sbin/wpa_cli';

const live = new Set<{ child: ChildProcess; dir: string }>();
let hookInstalled = false;

function installExitHook(): void {
  if (hookInstalled) return;
  hookInstalled = true;
  process.on('exit', () => {
    for (const inst of live) {
      inst.child.kill('SIGKILL');
      rmSync(inst.dir, { recursive: true, force: true });
    }
  });
}

function matches(line: string, pattern: string | RegExp): boolean {
  return typeof pattern === 'string' ? line.includes(pattern) : pattern.test(line);
}

/** The last `n` lines of a log, for error messages. */
export function logTail(lines: string[], n = 40): string {
  return lines.slice(-n).join('\n');
}

/**
 * Starts wpa_supplicant in `namespace`; resolves once its wired driver has "associated"
 * (about 100 ms after start): an EAPOL frame that arrives before is dropped.
 */
export async function startWpaSupplicant(o: WpaSupplicantOptions): Promise<WpaSupplicant> {
  const why = wpaSupplicantUnavailable();
  if (why !== undefined) throw new WpaSupplicantError(why);
  installExitHook();
  const dir = mkdtempSync(join(tmpdir(), 'airlock-wpa-'));
  const conf = join(dir, 'wpa_supplicant.conf');
  const wifi = o.driver === 'nl80211';
  const ctrlDir = join(dir, 'ctrl');
  writeFileSync(conf, wpaSupplicantConfig(o.network, wifi ? { ctrl_interface: ctrlDir, ...o.globals } : o.globals, wifi ? 1 : 0), { mode: 0o600 });
  const debug = process.env.AIRLOCK_WPA_DEBUG === '1';
  // `ip netns exec` execs the command: the child's pid is wpa_supplicant's.
  const child = spawn(IP_BIN, ['netns', 'exec', o.namespace, WPA_SUPPLICANT_BIN, '-D', wifi ? 'nl80211' : 'wired', '-i', o.interfaceName, '-c', conf, '-dd', '-t'], { stdio: ['ignore', 'pipe', 'pipe'] });
  const inst = { child, dir };
  live.add(inst);
  const lines: string[] = [];
  let partial = '';
  const waiters = new Set<() => void>();
  let exited: string | undefined;
  const onData = (chunk: Buffer): void => {
    const parts = (partial + chunk.toString('utf8')).split('\n');
    partial = parts.pop()!;
    for (const l of parts) {
      lines.push(l);
      if (debug) process.stderr.write(`[wpa_supplicant ${o.interfaceName}] ${l}\n`);
    }
    for (const w of waiters) w();
  };
  child.stdout.on('data', onData);
  child.stderr.on('data', onData);
  const exit = new Promise<void>((resolve) => {
    child.once('exit', (code, signal) => {
      if (partial !== '') lines.push(partial);
      partial = '';
      exited = signal ?? `code ${code}`;
      live.delete(inst);
      rmSync(dir, { recursive: true, force: true });
      for (const w of waiters) w();
      resolve();
    });
  });
  let spawnError: Error | undefined;
  child.once('error', (err) => {
    spawnError = err;
    for (const w of waiters) w();
  });

  const indexOf = (pattern: string | RegExp, from = 0): number => {
    for (let i = Math.max(0, from); i < lines.length; i++) if (matches(lines[i], pattern)) return i;
    return -1;
  };
  const waitForLine = (pattern: string | RegExp, timeoutMs: number, from = 0): Promise<number> =>
    new Promise<number>((resolve, reject) => {
      const check = (): void => {
        const i = indexOf(pattern, from);
        let error: string | undefined;
        if (i >= 0) {
          finish();
          resolve(i);
          return;
        }
        if (spawnError !== undefined) error = `cannot run ${WPA_SUPPLICANT_BIN}: ${spawnError.message}`;
        else if (exited !== undefined) error = `wpa_supplicant exited (${exited}) before logging ${String(pattern)}`;
        if (error !== undefined) {
          finish();
          reject(new WpaSupplicantError(`${error}; log tail:\n${logTail(lines)}`));
        }
      };
      const finish = (): void => {
        waiters.delete(check);
        clearTimeout(timer);
      };
      const timer = setTimeout(() => {
        finish();
        reject(new WpaSupplicantError(`wpa_supplicant did not log ${String(pattern)} within ${timeoutMs} ms; log tail:\n${logTail(lines)}`));
      }, timeoutMs);
      waiters.add(check);
      check();
    });

  const stop = async (): Promise<void> => {
    if (exited === undefined && spawnError === undefined) {
      child.kill('SIGTERM');
      const t = setTimeout(() => child.kill('SIGKILL'), STOP_TIMEOUT_MS);
      await exit;
      clearTimeout(t);
    } else {
      live.delete(inst);
      rmSync(dir, { recursive: true, force: true });
    }
  };

  const command = async (...args: string[]): Promise<string> => {
    if (!wifi) throw new WpaSupplicantError('wpa_cli commands need the nl80211 driver (a control socket)');
    const r = await run(IP_BIN, ['netns', 'exec', o.namespace, WPA_CLI_BIN, '-p', ctrlDir, '-i', o.interfaceName, ...args], { timeout: 10_000 });
    return r.stdout.trim();
  };

  try {
    await waitForLine(wifi ? 'Successfully initialized wpa_supplicant' : `${o.interfaceName}: Associated with 01:80:c2:00:00:03`, wifi ? 30_000 : 5000);
  } catch (err) {
    await stop();
    throw err;
  }
  return { pid: child.pid ?? -1, lines: () => lines, log: () => lines.join('\n'), indexOf, waitForLine, stop, command };
}
