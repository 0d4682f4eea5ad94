// The RADIUS client's sockets (node:dgram): the only I/O of packages/radius. One UDP socket
// per (server, source port number) that the transactions (radius-transactions.ts) ask for;
// every datagram received goes back to them with the socket it came in on and its source.
// Nothing here knows RADIUS.

import dgram from 'node:dgram';
import { lookup } from 'node:dns/promises';
import { isIP } from 'node:net';

/** Receive buffer asked for each socket (capped by the kernel). */
const RECV_BUFFER_BYTES = 1 << 20;

/** What the transport tells its owner. */
export interface UdpTransportHooks {
  /** A datagram arrived on socket number `socket` of server number `server`. */
  onDatagram(server: number, socket: number, datagram: Buffer, source: dgram.RemoteInfo): void;
  /** A socket 'error' event or a failed send (the datagram is lost; the transactions retransmit). */
  onError(server: number, err: Error): void;
}

interface Destination {
  address: string;
  family: 4 | 6;
  readonly sockets: (dgram.Socket | undefined)[];
  /** One send callback per server (no closure per datagram). */
  readonly sent: (err: Error | null) => void;
}

/** True for 127.0.0.0/8 and ::1 (and IPv4-mapped loopback). */
function isLoopback(address: string): boolean {
  if (isIP(address) === 4) return address.startsWith('127.');
  const a = address.toLowerCase();
  return a === '::1' || a.startsWith('::ffff:127.');
}

/** Closes a socket that may already be closed. */
function closeQuietly(socket: dgram.Socket): void {
  try {
    socket.close();
  } catch {
    // ERR_SOCKET_DGRAM_NOT_RUNNING: already closed
  }
}

/** UDP sockets towards the RADIUS servers, opened on demand. */
export class UdpTransport {
  private readonly destinations: Destination[] = [];
  private readonly bound = new WeakSet<dgram.Socket>();
  private allLoopback = false;
  private closed = false;

  /**
   * @param hooks where datagrams and errors go
   * @param bindAddress local address of the sockets (default '127.0.0.1' when every server
   *   is loopback, else '0.0.0.0'; '::1' / '::' for IPv6 servers)
   */
  constructor(
    private readonly hooks: UdpTransportHooks,
    private readonly bindAddress?: string,
  ) {}

  /** Resolves the servers' host names (once, in order) and returns their addresses. */
  async resolve(hosts: readonly string[]): Promise<string[]> {
    for (const [i, host] of hosts.entries()) {
      const { address, family } = await lookup(host, { verbatim: true });
      this.destinations.push({
        address,
        family: family === 6 ? 6 : 4,
        sockets: [],
        sent: (err) => {
          if (err) this.error(i, err);
        },
      });
    }
    this.allLoopback = this.destinations.every((d) => isLoopback(d.address));
    return this.destinations.map((d) => d.address);
  }

  /** Opens socket number `socket` of server number `server` and resolves once it is bound (start: bind errors surface here). */
  open(server: number, socket: number): Promise<void> {
    const s = this.socket(server, socket);
    if (s === undefined) return Promise.reject(new Error('the RADIUS client transport is closed'));
    if (this.bound.has(s)) return Promise.resolve();
    return new Promise<void>((resolve, reject) => {
      const bound = (): void => {
        s.off('error', failed);
        resolve();
      };
      const failed = (err: Error): void => {
        s.off('listening', bound);
        reject(err);
      };
      s.once('listening', bound);
      s.once('error', failed);
    });
  }

  /** Sends `bytes` to `port` of server number `server` from its socket number `socket` (opened now if need be). */
  send(server: number, socket: number, bytes: Buffer, port: number): void {
    const d = this.destinations[server];
    const s = this.socket(server, socket);
    if (d === undefined || s === undefined) return;
    try {
      // Sent once the socket is bound (dgram queues sends while binding).
      s.send(bytes, port, d.address, d.sent);
    } catch (e) {
      // A send on a socket being closed throws synchronously; the retransmission covers it.
      this.error(server, e);
    }
  }

  /** Sockets open towards server number `server`. */
  socketCount(server: number): number {
    return this.destinations[server]?.sockets.filter((s) => s !== undefined).length ?? 0;
  }

  /** Closes every socket (resolves once they are closed); later sends go nowhere. */
  async close(): Promise<void> {
    this.closed = true;
    const closing: Promise<void>[] = [];
    for (const d of this.destinations) {
      for (const s of d.sockets) {
        if (s === undefined) continue;
        closing.push(new Promise<void>((resolve) => {
          try {
            s.close(() => resolve());
          } catch {
            resolve(); // already closed
          }
        }));
      }
      d.sockets.length = 0;
    }
    await Promise.all(closing);
  }

  /** Socket number `socket` of server number `server`, created and bound on first use. */
  private socket(server: number, socket: number): dgram.Socket | undefined {
    const d = this.destinations[server];
    if (d === undefined || this.closed) return undefined;
    const existing = d.sockets[socket];
    if (existing !== undefined) return existing;
    const s = dgram.createSocket({ type: d.family === 6 ? 'udp6' : 'udp4' });
    s.on('error', (err) => {
      if (!this.bound.has(s) && d.sockets[socket] === s) {
        // Not bound: this socket is of no use; the next send opens another.
        d.sockets[socket] = undefined;
        closeQuietly(s);
      }
      this.error(server, err);
    });
    s.on('message', (msg, rinfo) => this.hooks.onDatagram(server, socket, msg, rinfo));
    // exclusive: in a node:cluster worker a shared socket would deliver the answers to
    // whichever worker (Identifier and Request Authenticator live in this process only).
    s.bind({ address: this.bindAddressFor(d), port: 0, exclusive: true }, () => {
      this.bound.add(s);
      // Up to 256 answers can arrive back to back on one socket; the default receive
      // buffer (~208 KiB of small-datagram overhead) drops some. The kernel caps this at
      // net.core.rmem_max; a drop still recovers through retransmission.
      try {
        s.setRecvBufferSize(RECV_BUFFER_BYTES);
      } catch {
        // not fatal
      }
    });
    d.sockets[socket] = s;
    return s;
  }

  private bindAddressFor(d: Destination): string {
    const wanted = this.bindAddress;
    if (wanted !== undefined && isIP(wanted) === d.family) return wanted;
    if (d.family === 6) return this.allLoopback ? '::1' : '::';
    return this.allLoopback ? '127.0.0.1' : '0.0.0.0';
  }

  private error(server: number, e: unknown): void {
    try {
      this.hooks.onError(server, e instanceof Error ? e : new Error(String(e)));
    } catch {
      // A failing hook must not break the exchange.
    }
  }
}
