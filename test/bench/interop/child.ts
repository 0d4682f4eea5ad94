/**
 * Child processes of the interop benchmark (hostapd, the wired agent): output captured line
 * by line (and copied to a log file), a wait for a line, a stop that always ends with the
 * process gone, and a synchronous SIGKILL of everything still running when this process
 * exits or is told to stop by a signal.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { closeSync, openSync, writeSync } from 'node:fs';

const STOP_GRACE_MS = 3000;
const live = new Set<ChildProcess>();
let hooksInstalled = false;

/** SIGKILLs every child still running (synchronous: usable from an 'exit' hook). */
function killAll(): void {
  for (const c of live) c.kill('SIGKILL');
  live.clear();
}

/**
 * Installs the exit and signal hooks. Call it before anything else registers its own (the
 * namespace harness removes veth pairs on SIGINT): a signal then kills these children first,
 * so that no wired agent sees its interface disappear under an open capture.
 */
export function installChildHooks(): void {
  if (hooksInstalled) return;
  hooksInstalled = true;
  process.on('exit', killAll);
  for (const sig of ['SIGINT', 'SIGTERM', 'SIGHUP'] as const) process.once(sig, killAll);
}

/** A running child. */
export interface Child {
  pid: number;
  /** Output lines so far (stdout and stderr, interleaved as they came). */
  lines(): string[];
  /** Resolves with the index of the first line at or after `from` that matches; rejects on timeout or exit. */
  waitForLine(pattern: RegExp, timeoutMs: number, from?: number): Promise<number>;
  /** Whether it has exited. */
  exited(): boolean;
  /** SIGTERM, then SIGKILL after a grace period; resolves once it has exited. Idempotent. */
  stop(): Promise<void>;
}

/** Starts `argv[0]` with `argv.slice(1)`; output goes to memory and to `logFile`. */
export function startChild(name: string, argv: string[], logFile: string): Child {
  installChildHooks();
  const child = spawn(argv[0], argv.slice(1), { stdio: ['ignore', 'pipe', 'pipe'] });
  live.add(child);
  const fd = openSync(logFile, 'w');
  let fdOpen = true;
  const lines: string[] = [];
  let partial = '';
  let exitText: string | undefined;
  const waiters = new Set<() => void>();
  const onData = (chunk: Buffer): void => {
    if (fdOpen) writeSync(fd, chunk);
    const parts = (partial + chunk.toString('utf8')).split('\n');
    partial = parts.pop()!;
    lines.push(...parts);
    for (const w of waiters) w();
  };
  child.stdout.on('data', onData);
  child.stderr.on('data', onData);
  const exited = new Promise<void>((resolve) => {
    const done = (text: string): void => {
      if (exitText !== undefined) return;
      exitText = text;
      live.delete(child);
      if (partial !== '') lines.push(partial);
      partial = '';
      if (fdOpen) {
        fdOpen = false;
        closeSync(fd);
      }
      for (const w of waiters) w();
      resolve();
    };
    child.once('exit', (code, signal) => done(signal ?? `code ${code}`));
    child.once('error', (err) => done(`spawn error: ${err.message}`));
  });

  const waitForLine = (pattern: RegExp, timeoutMs: number, from = 0): Promise<number> =>
    new Promise<number>((resolve, reject) => {
      const check = (): void => {
        for (let i = Math.max(0, from); i < lines.length; i++) {
          if (pattern.test(lines[i])) {
            finish();
            resolve(i);
            return;
          }
        }
        if (exitText !== undefined) {
          finish();
          reject(new Error(`${name} exited (${exitText}) before printing ${String(pattern)}; last lines:\n${lines.slice(-20).join('\n')}`));
        }
      };
      const finish = (): void => {
        waiters.delete(check);
        clearTimeout(timer);
      };
      const timer = setTimeout(() => {
        finish();
        reject(new Error(`${name} did not print ${String(pattern)} within ${timeoutMs} ms; last lines:\n${lines.slice(-20).join('\n')}`));
      }, timeoutMs);
      waiters.add(check);
      check();
    });

  return {
    pid: child.pid ?? -1,
    lines: () => lines,
    waitForLine,
    exited: () => exitText !== undefined,
    async stop() {
      if (exitText === undefined) {
        child.kill('SIGTERM');
        const t = setTimeout(() => child.kill('SIGKILL'), STOP_GRACE_MS);
        await exited;
        clearTimeout(t);
      }
    },
  };
}
