/**
 * A real Redis for tests (DESIGN.md "Several authenticators"): Debian's redis-server on a
 * free loopback port, in a temp directory of its own, with no persistence (a restart comes
 * back empty, as issue 16's "Redis restarted empty" wants) unless asked to keep an
 * append-only file. Stopped when the test process exits.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { existsSync, mkdtempSync, rmSync } from 'node:fs';
import { createConnection } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { freeTcpPort } from './authenticator-process.js';

export const REDIS_SERVER_BIN = '/usr/bin/redis-server';

export interface RedisServer {
  port: number;
  /** redis://127.0.0.1:PORT */
  url: string;
  pid(): number | undefined;
  /** Every key and its value as raw bytes (DUMP is not used: values as Redis holds them). */
  dump(): Promise<Map<string, Buffer>>;
  /** One command, raw (RESP over a fresh connection): the reply as text lines. */
  command(...args: string[]): Promise<string>;
  /** SIGKILL, then wait for the exit. */
  kill(): Promise<void>;
  /** Starts it again on the same port (empty unless `appendOnly`). */
  restart(): Promise<void>;
  stop(): Promise<void>;
}

/** Why Redis cannot run here (undefined: it can). */
export function redisUnavailable(): string | undefined {
  if (!existsSync(REDIS_SERVER_BIN)) return `redis-server is not installed (${REDIS_SERVER_BIN}): install the Debian package \`redis-server\` (apt-get install -y redis-server)`;
  return undefined;
}

const live = new Set<ChildProcess>();
let hooked = false;

export async function startRedis(opts: { appendOnly?: boolean } = {}): Promise<RedisServer> {
  const why = redisUnavailable();
  if (why !== undefined) throw new Error(why);
  if (!hooked) {
    hooked = true;
    process.once('exit', () => {
      for (const c of live) c.kill('SIGKILL');
    });
  }
  const dir = mkdtempSync(join(tmpdir(), 'airlock-redis-'));
  const port = await freeTcpPort();
  let child: ChildProcess | undefined;
  let exited: Promise<void> = Promise.resolve();
  let log = '';

  const launch = async (): Promise<void> => {
    const args = ['--port', String(port), '--bind', '127.0.0.1', '--dir', dir, '--save', '', '--appendonly', opts.appendOnly === true ? 'yes' : 'no', '--protected-mode', 'yes', '--daemonize', 'no', '--loglevel', 'warning'];
    const c = spawn(REDIS_SERVER_BIN, args, { stdio: ['ignore', 'pipe', 'pipe'] });
    child = c;
    live.add(c);
    c.stdout?.on('data', (d: Buffer) => (log = (log + d.toString()).slice(-8192)));
    c.stderr?.on('data', (d: Buffer) => (log = (log + d.toString()).slice(-8192)));
    exited = new Promise<void>((resolve) => c.once('exit', () => {
      live.delete(c);
      resolve();
    }));
    const deadline = Date.now() + 10_000;
    for (;;) {
      if (c.exitCode !== null || c.signalCode !== null) throw new Error(`redis-server exited at start: ${log}`);
      try {
        if ((await raw(port, ['PING'])).startsWith('+PONG')) return;
      } catch {
        // not listening yet
      }
      if (Date.now() > deadline) throw new Error(`redis-server did not answer PING on ${port} within 10 s: ${log}`);
      await new Promise((r) => setTimeout(r, 20));
    }
  };
  await launch();

  const kill = async (): Promise<void> => {
    child?.kill('SIGKILL');
    await exited;
  };
  return {
    port,
    url: `redis://127.0.0.1:${port}`,
    pid: () => child?.pid,
    command: (...args) => raw(port, args),
    dump: async () => {
      const keys = parseArray(await raw(port, ['KEYS', '*']));
      const out = new Map<string, Buffer>();
      for (const k of keys) {
        const type = (await raw(port, ['TYPE', k])).trim().slice(1);
        if (type === 'string') out.set(k, Buffer.from(await raw(port, ['GET', k]), 'latin1'));
        else if (type === 'hash') out.set(k, Buffer.from(await raw(port, ['HGETALL', k]), 'latin1'));
        else out.set(k, Buffer.from(`(${type})`));
      }
      return out;
    },
    kill,
    restart: async () => {
      await kill();
      await launch();
    },
    stop: async () => {
      await kill();
      rmSync(dir, { recursive: true, force: true });
    },
  };
}

/** Sends one command in RESP and returns the whole reply as latin1 text (bytes kept 1:1). */
function raw(port: number, args: string[]): Promise<string> {
  return new Promise((resolve, reject) => {
    const s = createConnection({ host: '127.0.0.1', port });
    const chunks: Buffer[] = [];
    let timer: NodeJS.Timeout | undefined = setTimeout(() => {
      s.destroy();
      reject(new Error(`redis ${args[0]}: no answer within 5 s`));
    }, 5000);
    s.on('error', (e) => {
      clearTimeout(timer);
      reject(e);
    });
    s.on('data', (d: Buffer) => {
      chunks.push(d);
      if (complete(Buffer.concat(chunks))) {
        clearTimeout(timer);
        timer = undefined;
        s.end();
        resolve(Buffer.concat(chunks).toString('latin1'));
      }
    });
    let msg = `*${args.length}\r\n`;
    for (const a of args) msg += `$${Buffer.byteLength(a, 'latin1')}\r\n${a}\r\n`;
    s.write(Buffer.from(msg, 'latin1'));
  });
}

/** Whether `b` holds one whole RESP2 reply. */
function complete(b: Buffer): boolean {
  return replyEnd(b, 0) !== -1;
}

/** The offset after the reply that starts at `at`, or -1 when it is not all there. */
function replyEnd(b: Buffer, at: number): number {
  const nl = b.indexOf('\r\n', at, 'latin1');
  if (nl === -1) return -1;
  const head = b.toString('latin1', at + 1, nl);
  switch (String.fromCharCode(b[at])) {
    case '+':
    case '-':
    case ':':
      return nl + 2;
    case '$': {
      const n = Number(head);
      if (n < 0) return nl + 2;
      return b.length >= nl + 2 + n + 2 ? nl + 2 + n + 2 : -1;
    }
    case '*': {
      const n = Number(head);
      let p = nl + 2;
      for (let i = 0; i < n; i++) {
        p = replyEnd(b, p);
        if (p === -1) return -1;
      }
      return p;
    }
    default:
      return -1;
  }
}

/** The bulk strings of an array reply. */
function parseArray(text: string): string[] {
  const b = Buffer.from(text, 'latin1');
  const out: string[] = [];
  const nl = b.indexOf('\r\n', 0, 'latin1');
  const n = Number(b.toString('latin1', 1, nl));
  let p = nl + 2;
  for (let i = 0; i < n; i++) {
    const e = b.indexOf('\r\n', p, 'latin1');
    const len = Number(b.toString('latin1', p + 1, e));
    out.push(b.toString('latin1', e + 2, e + 2 + len));
    p = e + 2 + len + 2;
  }
  return out;
}

/** The authenticator's redis: section for `r` (a fresh KEK), for instances or cluster workers that share it. */
export function sharedStoreYaml(r: RedisServer | { url: string }, extra: Record<string, unknown> = {}): Record<string, unknown> {
  return { url: r.url, kek: randomBytes(32).toString('hex'), lease_ms: 3000, ...extra };
}
