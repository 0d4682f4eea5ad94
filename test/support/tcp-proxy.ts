/**
 * A TCP proxy for failure tests between an agent and the authenticator: it forwards
 * 127.0.0.1:port to a target and can cut every connection, refuse new ones, stall
 * forwarding (bytes wait, nothing is lost) and delay every chunk. gRPC over it sees what a
 * flaky WAN link would do to it.
 */
import { createServer, connect, type Server, type Socket } from 'node:net';

/** One proxied connection: the accepted socket and its upstream. */
interface Pair {
  down: Socket;
  up: Socket;
}

/** A running proxy. */
export class TcpProxy {
  /** Connections accepted so far. */
  accepted = 0;
  private readonly pairs = new Set<Pair>();
  private refusing = false;
  private stalled = false;
  private delayMs = 0;
  private readonly waiting: (() => void)[] = [];

  private constructor(
    private readonly server: Server,
    private target: number,
  ) {}

  /** Starts a proxy to 127.0.0.1:`targetPort` on a free port. */
  static async start(targetPort: number): Promise<TcpProxy> {
    const server = createServer();
    const proxy = new TcpProxy(server, targetPort);
    server.on('connection', (s) => proxy.accept(s));
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    return proxy;
  }

  /** The proxy's own port. */
  get port(): number {
    const a = this.server.address();
    return typeof a === 'object' && a !== null ? a.port : 0;
  }

  /** Later connections go to `port` (an authenticator restarted elsewhere). */
  retarget(port: number): void {
    this.target = port;
  }

  /** Open connections. */
  get connections(): number {
    return this.pairs.size;
  }

  /** Destroys every open connection at once (both directions, like a dropped link). */
  cut(): void {
    for (const p of this.pairs) {
      p.down.destroy();
      p.up.destroy();
    }
    this.pairs.clear();
  }

  /** While true, new connections are closed as soon as they arrive. */
  refuse(on: boolean): void {
    this.refusing = on;
  }

  /** While true, no byte is forwarded in either direction (they are held, not lost). */
  stall(on: boolean): void {
    this.stalled = on;
    if (!on) for (const w of this.waiting.splice(0)) w();
  }

  /** Every chunk waits this long before it is forwarded (0: none). */
  delay(ms: number): void {
    this.delayMs = ms;
  }

  async close(): Promise<void> {
    this.cut();
    this.stall(false);
    await new Promise<void>((resolve) => this.server.close(() => resolve()));
  }

  private accept(down: Socket): void {
    if (this.refusing) {
      down.destroy();
      return;
    }
    this.accepted++;
    const up = connect(this.target, '127.0.0.1');
    const pair: Pair = { down, up };
    this.pairs.add(pair);
    const end = (): void => {
      this.pairs.delete(pair);
      down.destroy();
      up.destroy();
    };
    down.on('error', end).on('close', end);
    up.on('error', end).on('close', end);
    this.pipe(down, up);
    this.pipe(up, down);
  }

  /** Forwards `from` to `to` in order, honouring stall and delay. */
  private pipe(from: Socket, to: Socket): void {
    let chain = Promise.resolve();
    from.on('data', (chunk: Buffer) => {
      chain = chain.then(async () => {
        if (this.delayMs > 0) await new Promise((r) => setTimeout(r, this.delayMs));
        while (this.stalled) await new Promise<void>((r) => this.waiting.push(r));
        if (!to.destroyed) to.write(chunk);
      });
    });
  }
}
