// The RADIUS client's RadSec connections (RFC 6614: RADIUS over TLS, node:tls): the I/O of
// the transactions' TLS servers, as udp-transport.ts is of their UDP servers. It opens and
// closes connection number `socket` of server number `server` when the transactions say so
// (radius-transactions.ts owns every clock: backoff, connect timeout, watchdog), writes the
// records they hand over, and frames what arrives into records (record-reader.ts). A stream
// that cannot be framed is dropped here, at once: nothing after it can be read.
//
// TLS (RFC 6614 §2.3): mutual authentication; the server's certificate must chain to the
// configured CA(s) (no system store) and carry the expected name (SNI and the identity
// check), and may be checked further by the caller (a role mark); TLS 1.2 at least.
//
// One RADIUS packet per TLS record, written one at a time (the next once the last left):
// node:tls joins writes made while one is in progress into a single TLS record, and
// FreeRADIUS 3.2.1 (Debian 12) drops the connection when a record holds more than one packet
// ("Received bad packet: Length 126 contents 63"; the RadSec bis drafts also recommend one
// packet per TLS write). The queue this takes is bounded: a connection carries at most 256
// outstanding requests (its Identifier space) of at most 4096 octets, 1 MiB.

import { X509Certificate } from 'node:crypto';
import { isIP } from 'node:net';
import tls from 'node:tls';

import { RecordReader, type FramingError } from './record-reader.js';

/** The well-known RadSec port (RFC 6614 §2.1). */
export const RADSEC_PORT = 2083;
/** The shared secret of RadSec (RFC 6614 §2.3): the TLS session protects the packets. */
export const RADSEC_SECRET = 'radsec';

/** TCP keepalive probes after this idle time (the RADIUS watchdog is the real liveness check). */
const TCP_KEEPALIVE_MS = 30_000;

/** TLS settings of a RadSec server: mutual TLS, the server verified against `ca` and `serverName`. */
export interface RadsecTlsOptions {
  /** CA certificate(s), PEM: the only trust anchors for the server's certificate (the system store is not used). */
  ca: string | Buffer | readonly (string | Buffer)[];
  /** The client certificate, PEM, followed by its intermediate CA(s): what the server verifies. */
  cert: string | Buffer;
  /** The client certificate's private key, PEM. */
  key: string | Buffer;
  /** Passphrase of an encrypted `key`. */
  passphrase?: string;
  /**
   * The name the server's certificate must carry (a DNS name, or an IP address: checked
   * against its subjectAltName), sent as SNI when it is a DNS name; default: the server's host.
   */
  serverName?: string;
  /** Lowest TLS version (default, and floor, 'TLSv1.2'). */
  minVersion?: 'TLSv1.2' | 'TLSv1.3';
  /**
   * A further check of the server's certificate once its chain and name verified (for
   * example its role mark, @airlock/pki serverRoleProblem(der, 'radius')): a problem in
   * words, or undefined when it is acceptable.
   */
  checkServerCertificate?: (cert: X509Certificate) => string | undefined;
}

/** Where connections of one server go. */
export interface TlsDestination {
  /** The server's address (resolved once). */
  address: string;
  port: number;
  /** The configured host name (the default expected name). */
  host: string;
  tls: RadsecTlsOptions;
}

/** Why a connection ended, as the transport saw it. */
export interface TlsClose {
  /** In words: the TLS or socket error, the peer's close, or the framing error. */
  detail: string;
  /** The stream could not be framed: the transport dropped the connection. */
  framing?: FramingError;
  /** The error that ended it, if any (handshake failures: certificate, version, name). */
  error?: Error;
}

/** What the transport tells its owner. */
export interface TlsTransportHooks {
  /** Connection `socket` of server `server` is established (TCP and TLS, server verified). */
  onOpen(server: number, socket: number): void;
  /** One whole record arrived on it, from `source` (the connection's peer). */
  onRecord(server: number, socket: number, record: Buffer, source: { address: string; port: number }): void;
  /** It closed or never opened; nothing more comes from it. Not called for a close the owner asked for. */
  onClose(server: number, socket: number, why: TlsClose): void;
}

interface Connection {
  readonly socket: tls.TLSSocket;
  readonly reader: RecordReader;
  readonly source: { address: string; port: number };
  open: boolean;
  error: Error | undefined;
  /** Records waiting for the one being written. */
  readonly queue: Buffer[];
  writing: boolean;
  /** Called when a write left: the next record, if any. */
  readonly written: (err?: Error | null) => void;
}

/** Refuses TLS options that cannot work (a programmer's or operator's error): TypeError. */
export function checkRadsecTlsOptions(name: string, o: RadsecTlsOptions): void {
  const cas = Array.isArray(o.ca) ? (o.ca as readonly (string | Buffer)[]) : [o.ca as string | Buffer];
  if (cas.length === 0 || cas.some((c) => c === undefined || c.length === 0)) throw new TypeError(`RADIUS client: RadSec server ${name} needs a CA certificate (tls.ca)`);
  if (o.cert === undefined || o.cert.length === 0 || o.key === undefined || o.key.length === 0) throw new TypeError(`RADIUS client: RadSec server ${name} needs a client certificate and key (tls.cert, tls.key)`);
  if (o.minVersion !== undefined && o.minVersion !== 'TLSv1.2' && o.minVersion !== 'TLSv1.3') {
    throw new TypeError(`RADIUS client: RadSec server ${name}: minVersion must be TLSv1.2 or TLSv1.3, not ${String(o.minVersion)}`);
  }
  if (o.serverName !== undefined && o.serverName.length === 0) throw new TypeError(`RADIUS client: RadSec server ${name} has an empty tls.serverName`);
}

/** RadSec connections towards the TLS servers of one client. */
export class TlsTransport {
  private readonly destinations: (TlsDestination | undefined)[] = [];
  /** Per server (a hole for a UDP server's index), per connection number. */
  private readonly connections: ((Connection | undefined)[] | undefined)[] = [];
  private closed = false;

  constructor(private readonly hooks: TlsTransportHooks) {}

  /** Where connections of server number `server` go. */
  setDestination(server: number, d: TlsDestination): void {
    this.destinations[server] = d;
    this.connections[server] ??= [];
  }

  /** Opens connection `socket` of server `server` (an existing one is dropped first, silently). */
  connect(server: number, socket: number): void {
    const d = this.destinations[server];
    if (d === undefined || this.closed) {
      queueMicrotask(() => this.hooks.onClose(server, socket, { detail: 'no destination (the transport is closed)' }));
      return;
    }
    this.drop(server, socket);
    const expected = d.tls.serverName ?? d.host;
    const extra = d.tls.checkServerCertificate;
    const s = tls.connect({
      host: d.address,
      port: d.port,
      // SNI is a host name (RFC 6066 §3); an IP address is checked against the certificate only.
      ...(isIP(expected) === 0 ? { servername: expected } : {}),
      ca: d.tls.ca as string | Buffer | (string | Buffer)[],
      cert: d.tls.cert,
      key: d.tls.key,
      ...(d.tls.passphrase !== undefined ? { passphrase: d.tls.passphrase } : {}),
      minVersion: d.tls.minVersion ?? 'TLSv1.2',
      rejectUnauthorized: true,
      checkServerIdentity: (_host, cert) => {
        const err = tls.checkServerIdentity(expected, cert);
        if (err !== undefined) return err;
        if (extra === undefined) return undefined;
        let problem: string | undefined;
        try {
          problem = extra(new X509Certificate(cert.raw));
        } catch (e) {
          problem = `the certificate check failed: ${e instanceof Error ? e.message : String(e)}`;
        }
        return problem === undefined ? undefined : new Error(`RadSec server certificate refused: ${problem}`);
      },
    });
    const c: Connection = {
      socket: s,
      reader: new RecordReader(),
      source: { address: d.address, port: d.port },
      open: false,
      error: undefined,
      queue: [],
      writing: false,
      written: (err) => {
        c.writing = false;
        if (err) return; // 'error' and 'close' follow: the transactions send the rest again
        const next = c.queue.shift();
        if (next !== undefined) write(c, next);
      },
    };
    (this.connections[server] ??= [])[socket] = c;
    const current = (): boolean => this.connections[server]?.[socket] === c;
    s.setNoDelay(true);
    s.setKeepAlive(true, TCP_KEEPALIVE_MS);
    s.once('secureConnect', () => {
      if (!current()) return;
      c.open = true;
      this.hooks.onOpen(server, socket);
    });
    s.on('data', (chunk: Buffer) => {
      if (!current()) return;
      const framed = c.reader.push(chunk);
      if (!framed.ok) {
        // Out of step or hostile: nothing after this can be framed.
        this.drop(server, socket);
        this.hooks.onClose(server, socket, { detail: `dropped: ${framed.error.detail}`, framing: framed.error });
        return;
      }
      for (const record of framed.value) {
        if (!current()) return; // a hook closed it meanwhile
        this.hooks.onRecord(server, socket, record, c.source);
      }
    });
    s.on('error', (err) => {
      c.error ??= err;
    });
    s.once('close', () => {
      if (!current()) return;
      this.connections[server]![socket] = undefined;
      const err = c.error;
      const detail = err !== undefined ? `${c.open ? 'closed' : 'not established'}: ${err.message}` : c.open ? 'closed by the server' : 'closed before TLS was established';
      this.hooks.onClose(server, socket, err !== undefined ? { detail, error: err } : { detail });
    });
  }

  /** Writes one record on connection `socket` of server `server`; dropped when it is not open (the transactions send it again on the next connection). */
  send(server: number, socket: number, bytes: Buffer): void {
    const c = this.connections[server]?.[socket];
    if (c === undefined || !c.open || c.socket.destroyed) return;
    if (c.writing) c.queue.push(bytes);
    else write(c, bytes);
  }

  /** Closes connection `socket` of server `server` at the owner's request (no onClose follows). */
  close(server: number, socket: number): void {
    this.drop(server, socket);
  }

  /** Connections of server `server` established now. */
  openCount(server: number): number {
    return (this.connections[server] ?? []).filter((c) => c?.open === true).length;
  }

  /** Closes every connection (resolves once their sockets closed); later connects fail. */
  async closeAll(): Promise<void> {
    this.closed = true;
    const closing: Promise<void>[] = [];
    for (const list of this.connections) {
      if (list === undefined) continue; // a UDP server's place
      for (const [i, c] of list.entries()) {
        if (c === undefined) continue;
        list[i] = undefined;
        closing.push(new Promise<void>((resolve) => {
          if (c.socket.closed) return resolve();
          c.socket.once('close', () => resolve());
          quit(c);
        }));
      }
    }
    await Promise.all(closing);
  }

  /** Forgets and destroys a connection: no event of it reaches the hooks any more. */
  private drop(server: number, socket: number): void {
    const list = this.connections[server];
    const c = list?.[socket];
    if (list === undefined || c === undefined) return;
    list[socket] = undefined;
    quit(c);
  }
}

/** One record, as one TLS write. */
function write(c: Connection, bytes: Buffer): void {
  if (c.socket.destroyed) return;
  c.writing = true;
  c.socket.write(bytes, c.written);
}

/**
 * Ends a connection: with a TLS close_notify once what was written has left (destroySoon),
 * or at once when it never opened or its writes are stuck (a peer that stopped reading).
 */
function quit(c: Connection): void {
  if (c.open && c.socket.writableLength === 0 && c.queue.length === 0 && !c.socket.destroyed) c.socket.destroySoon();
  else c.socket.destroy();
}
