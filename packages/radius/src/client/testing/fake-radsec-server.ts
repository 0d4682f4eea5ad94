// A scripted RadSec responder (RFC 6614: RADIUS over TLS) on 127.0.0.1 for the client's
// tests: mutual TLS with the given certificates, records framed by their Length, answers
// through the codec's buildResponse — or misbehaviour on demand that a real FreeRADIUS
// cannot do: answers coalesced into one write or cut into pieces, a bad Length, a dropped
// connection, silence. Test support only: not exported from the package.

import type { AddressInfo } from 'node:net';
import tls from 'node:tls';

import { buildResponse, decodeRadius, verifyRequest, type RadiusAttribute, type RadiusPacket } from '../../codec/index.js';
import { RecordReader } from '../record-reader.js';

/** One record the fake server received. */
export interface RadsecRequest {
  raw: Buffer;
  packet: RadiusPacket;
  /** Number of the connection it came on (0, 1, ... in accept order). */
  connection: number;
  /** Whether the codec's verifyRequest accepts it with the server's secret. */
  verified: boolean;
}

/** What the fake server does with each request. */
export type RadsecHandler = (req: RadsecRequest, server: FakeRadsecServer) => void;

/** Certificates of the fake server. */
export interface RadsecServerTls {
  /** Its certificate chain, PEM. */
  cert: string;
  key: string;
  /** CA(s) its clients' certificates must chain to. */
  ca: string;
}

/** A RadSec responder on an ephemeral loopback port. */
export class FakeRadsecServer {
  /** Every request received, in order. */
  readonly received: RadsecRequest[] = [];
  /** Octets of each read from a connection: one TLS record's plaintext each (node:tls reads record by record). */
  readonly reads: number[] = [];
  /** Connections accepted (TLS established), in order; closed ones stay listed. */
  readonly sockets: tls.TLSSocket[] = [];
  /** The behaviour; replace it at any time. */
  handler: RadsecHandler;
  private server: tls.Server;
  private portNumber = 0;

  private constructor(
    private readonly certs: RadsecServerTls,
    /** The secret shared with the client ("radsec" by default, RFC 6614 §2.3). */
    readonly secret: Buffer,
    handler: RadsecHandler,
  ) {
    this.handler = handler;
    this.server = this.create();
  }

  /** Listens on 127.0.0.1 (port 0: any); the default handler never answers. */
  static async start(certs: RadsecServerTls, o: { secret?: Buffer; port?: number; handler?: RadsecHandler } = {}): Promise<FakeRadsecServer> {
    const f = new FakeRadsecServer(certs, o.secret ?? Buffer.from('radsec'), o.handler ?? (() => undefined));
    await f.listen(o.port ?? 0);
    return f;
  }

  /** The TLS port. */
  get port(): number {
    return this.portNumber;
  }

  /** Connections open now. */
  get openConnections(): number {
    return this.sockets.filter((s) => !s.destroyed).length;
  }

  /** Requests with this code. */
  requests(code: number): RadsecRequest[] {
    return this.received.filter((r) => r.packet.code === code);
  }

  /** Signs an answer to `req` without sending it. */
  sign(req: RadsecRequest, code: number, attributes: RadiusAttribute[] = [], o: { messageAuthenticator?: boolean } = {}): Buffer {
    return Buffer.from(buildResponse({
      code,
      identifier: req.packet.identifier,
      requestAuthenticator: req.packet.authenticator,
      attributes,
      secret: this.secret,
      messageAuthenticator: o.messageAuthenticator ?? code !== 5,
    }));
  }

  /** Signs an answer to `req` and writes it on the connection it came on. */
  reply(req: RadsecRequest, code: number, attributes: RadiusAttribute[] = []): void {
    this.write(req.connection, this.sign(req, code, attributes));
  }

  /** Writes raw bytes on connection number `connection`. */
  write(connection: number, bytes: Buffer): void {
    const s = this.sockets[connection];
    if (s !== undefined && !s.destroyed) s.write(bytes);
  }

  /** Drops connection number `connection` (no close_notify: as a crash or a reset would). */
  drop(connection: number): void {
    this.sockets[connection]?.destroy();
  }

  /** Stops listening and drops every connection; listen() again on the same port brings it back. */
  async stop(): Promise<void> {
    for (const s of this.sockets) s.destroy();
    await new Promise<void>((resolve) => this.server.close(() => resolve()));
  }

  /** Listens again (after stop()) on the same port. */
  async restart(): Promise<void> {
    this.server = this.create();
    await this.listen(this.portNumber);
  }

  private create(): tls.Server {
    const server = tls.createServer({ cert: this.certs.cert, key: this.certs.key, ca: this.certs.ca, requestCert: true, rejectUnauthorized: true, minVersion: 'TLSv1.2' }, (socket) => {
      const connection = this.sockets.length;
      this.sockets.push(socket);
      const reader = new RecordReader();
      socket.on('error', () => undefined);
      socket.on('data', (chunk: Buffer) => {
        this.reads.push(chunk.length);
        const framed = reader.push(chunk);
        if (!framed.ok) {
          socket.destroy();
          return;
        }
        for (const raw of framed.value) {
          const decoded = decodeRadius(raw);
          if (!decoded.ok) continue;
          const req: RadsecRequest = { raw, packet: decoded.value, connection, verified: verifyRequest(raw, this.secret).ok };
          this.received.push(req);
          this.handler(req, this);
        }
      });
    });
    server.on('tlsClientError', () => undefined);
    return server;
  }

  private listen(port: number): Promise<void> {
    return new Promise<void>((resolve, reject) => {
      this.server.once('error', reject);
      this.server.listen(port, '127.0.0.1', () => {
        this.server.off('error', reject);
        this.portNumber = (this.server.address() as AddressInfo).port;
        resolve();
      });
    });
  }
}
