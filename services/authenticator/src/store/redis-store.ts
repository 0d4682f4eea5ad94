/**
 * The connection to the shared store (DESIGN.md "Several authenticators"): Redis, through
 * node-redis's core client (@redis/client: maintained by Redis itself, no dependencies,
 * typed, Buffers in and out). Commands fail fast while Redis is away (no offline queue: the
 * caller keeps serving from memory and writes again once it is back), each with a timeout;
 * the client reconnects by itself with a capped backoff, and `up` says whether it is there.
 *
 * The multi-key steps that must be atomic (take a BSS over, renew leases, write under a
 * fencing token) are Lua scripts (store-scripts.ts), run with EVALSHA and loaded again when
 * Redis answers NOSCRIPT (after a restart).
 */
import { createHash } from 'node:crypto';
import { createClient, RESP_TYPES } from '@redis/client';
import type { Logger } from 'pino';

export type RedisArg = string | Buffer;

export interface RedisStoreOptions {
  /** redis://[user:password@]host:port[/db] or rediss:// for TLS. */
  url: string;
  password?: string;
  commandTimeoutMs: number;
  connectTimeoutMs: number;
  log: Logger;
  /** Redis came (back): the caller publishes what it holds (a restart may have emptied it). */
  onUp(): void;
  /** Redis went away: the caller serves from memory and raises the alarm. */
  onDown(reason: string): void;
}

type Client = ReturnType<typeof makeClient>;

function makeClient(o: RedisStoreOptions) {
  return createClient({
    url: o.url,
    password: o.password,
    disableOfflineQueue: true,
    socket: {
      connectTimeout: o.connectTimeoutMs,
      // 50 ms, doubling, capped at 1 s: a restarted Redis is found again within a second.
      reconnectStrategy: (retries: number) => Math.min(50 * 2 ** retries, 1000),
    },
  }).withTypeMapping({ [RESP_TYPES.BLOB_STRING]: Buffer });
}

export class RedisStore {
  private readonly client: Client;
  private sub: Client | undefined;
  private readonly shas = new Map<string, string>();
  private readonly channels = new Map<string, (message: Buffer) => void>();
  private closed = false;
  /** Redis answers (connected and ready). */
  up = false;

  constructor(private readonly o: RedisStoreOptions) {
    this.client = makeClient(o);
    this.client.on('ready', () => this.setUp(true, ''));
    this.client.on('error', (e: Error) => this.setUp(false, e.message));
    this.client.on('end', () => this.setUp(false, 'connection closed'));
  }

  private setUp(up: boolean, reason: string): void {
    if (this.closed || up === this.up) return;
    this.up = up;
    if (up) this.o.onUp();
    else this.o.onDown(reason);
  }

  /**
   * Connects; resolves when Redis answered, or after connectTimeoutMs without it (the
   * client goes on trying in the background: an authenticator starts without its store and
   * serves from memory until it comes).
   */
  async start(): Promise<void> {
    const connected = this.client.connect().then(
      () => true,
      () => false,
    );
    let timer: NodeJS.Timeout | undefined;
    await Promise.race([connected, new Promise((r) => (timer = setTimeout(r, this.o.connectTimeoutMs)))]);
    clearTimeout(timer);
  }

  /** One command; rejects while Redis is away, and after commandTimeoutMs. */
  async call(args: readonly RedisArg[]): Promise<unknown> {
    if (!this.up) throw new StoreDownError();
    return this.client.sendCommand(args, { timeout: this.o.commandTimeoutMs });
  }

  /** Runs a Lua script by its SHA1, loading it when Redis does not know it. */
  async script(source: string, keys: readonly RedisArg[], args: readonly RedisArg[]): Promise<unknown> {
    let sha = this.shas.get(source);
    if (sha === undefined) {
      sha = createHash('sha1').update(source).digest('hex');
      this.shas.set(source, sha);
    }
    try {
      return await this.call(['EVALSHA', sha, String(keys.length), ...keys, ...args]);
    } catch (e) {
      if (!(e instanceof Error) || !e.message.startsWith('NOSCRIPT')) throw e;
      return this.call(['EVAL', source, String(keys.length), ...keys, ...args]);
    }
  }

  /**
   * Hears a channel (on a connection of its own); messages as Buffers. Never waits for Redis:
   * the subscription is made once that connection is first ready, and the client makes it
   * again by itself after each reconnect.
   */
  subscribe(channel: string, onMessage: (message: Buffer) => void): void {
    this.channels.set(channel, onMessage);
    if (this.sub !== undefined) return;
    const sub = this.client.duplicate();
    this.sub = sub;
    sub.on('error', () => {}); // the main connection reports the outage
    let subscribed = false;
    sub.on('ready', () => {
      if (subscribed) return;
      subscribed = true;
      for (const [c, f] of this.channels) void sub.subscribe(c, (m: Buffer) => f(m), true).catch(() => (subscribed = false));
    });
    void sub.connect().catch(() => undefined);
  }

  async close(): Promise<void> {
    this.closed = true;
    for (const c of [this.client, this.sub]) {
      if (c === undefined) continue;
      try {
        await c.close();
      } catch {
        c.destroy();
      }
    }
  }
}

/** A command refused at once because Redis is away. */
export class StoreDownError extends Error {
  constructor() {
    super('the shared store (Redis) is not reachable');
  }
}
