// A scripted RADIUS responder on 127.0.0.1 for the client's tests (RFC 2865 / 2866 / 5997
// exchanges). It answers through the codec's buildResponse, or misbehaves on demand -
// drops, delays, forged or truncated answers - which a real FreeRADIUS cannot do.
// Test support only: not exported from the package.

import { createHash } from 'node:crypto';
import dgram from 'node:dgram';

import { buildResponse, decodeRadius, verifyRequest, type RadiusAttribute, type RadiusPacket } from '../../codec/index.js';

/** One datagram the fake server received. */
export interface FakeRequest {
  /** The datagram as received. */
  raw: Buffer;
  /** Its decoding (the fake server drops what does not decode). */
  packet: RadiusPacket;
  /** Where it came from. */
  rinfo: dgram.RemoteInfo;
  /** performance.now() at reception. */
  at: number;
  /** Whether the codec's verifyRequest accepts it with the server's secret (authenticators, Message-Authenticator). */
  verified: boolean;
}

/** What the fake server does with each request. */
export type FakeHandler = (req: FakeRequest, server: FakeRadiusServer) => void;

/** Options of one scripted answer. */
export interface FakeReplyOptions {
  /** Secret to sign with (default: the server's); a wrong one forges the authenticators. */
  secret?: Buffer;
  /** Include Message-Authenticator (default true except for Accounting-Response). */
  messageAuthenticator?: boolean;
  /** Rewrites the signed bytes before they are sent. */
  mutate?: (bytes: Buffer) => Buffer;
  /** Sends after this many ms. */
  delayMs?: number;
}

/** A UDP RADIUS responder on an ephemeral loopback port. */
export class FakeRadiusServer {
  /** Every request received, in order. */
  readonly received: FakeRequest[] = [];
  /** The behaviour; replace it at any time. */
  handler: FakeHandler;
  private readonly timers = new Set<NodeJS.Timeout>();

  private constructor(
    private readonly socket: dgram.Socket,
    /** The secret shared with the client. */
    readonly secret: Buffer,
    handler: FakeHandler,
  ) {
    this.handler = handler;
  }

  /** Binds 127.0.0.1:0; the default handler never answers. */
  static async start(secret: Buffer, handler: FakeHandler = () => undefined): Promise<FakeRadiusServer> {
    const socket = dgram.createSocket('udp4');
    socket.on('error', () => undefined);
    const server = new FakeRadiusServer(socket, secret, handler);
    socket.on('message', (raw, rinfo) => {
      const decoded = decodeRadius(raw);
      if (!decoded.ok) return;
      const req: FakeRequest = { raw: Buffer.from(raw), packet: decoded.value, rinfo, at: performance.now(), verified: verifyRequest(raw, secret).ok };
      server.received.push(req);
      server.handler(req, server);
    });
    await new Promise<void>((resolve) => socket.bind(0, '127.0.0.1', resolve));
    try {
      socket.setRecvBufferSize(4 << 20); // bursts of hundreds of requests (capped by rmem_max)
    } catch {
      // not fatal
    }
    return server;
  }

  /** The UDP port (used as both the authentication and the accounting port). */
  get port(): number {
    return this.socket.address().port;
  }

  /** Requests with this code. */
  requests(code: number): FakeRequest[] {
    return this.received.filter((r) => r.packet.code === code);
  }

  /** Signs an answer to `req` (possibly mutated) without sending it. */
  sign(req: FakeRequest, code: number, attributes: RadiusAttribute[] = [], o: FakeReplyOptions = {}): Buffer {
    const signed = buildResponse({
      code,
      identifier: req.packet.identifier,
      requestAuthenticator: req.packet.authenticator,
      attributes,
      secret: o.secret ?? this.secret,
      messageAuthenticator: o.messageAuthenticator ?? code !== 5,
    });
    return o.mutate ? o.mutate(Buffer.from(signed)) : Buffer.from(signed);
  }

  /** Signs an answer to `req` and sends it (possibly mutated, possibly later); returns the bytes. */
  reply(req: FakeRequest, code: number, attributes: RadiusAttribute[] = [], o: FakeReplyOptions = {}): Buffer {
    const bytes = this.sign(req, code, attributes, o);
    this.sendRaw(bytes, req.rinfo, o.delayMs);
    return bytes;
  }

  /** Sends raw bytes to `to`, now or after `delayMs`. */
  sendRaw(bytes: Buffer, to: dgram.RemoteInfo, delayMs?: number): void {
    const send = (): void => {
      try {
        this.socket.send(bytes, to.port, to.address);
      } catch {
        // closed meanwhile
      }
    };
    if (delayMs === undefined) return send();
    const t = setTimeout(() => {
      this.timers.delete(t);
      send();
    }, delayMs);
    this.timers.add(t);
  }

  /** Stops pending replies and closes the socket. */
  close(): Promise<void> {
    for (const t of this.timers) clearTimeout(t);
    this.timers.clear();
    return new Promise((resolve) => this.socket.close(() => resolve()));
  }
}

/**
 * RFC 2548 §2.4.2 MS-MPPE-Send/Recv-Key encryption, written here from the RFC (not taken
 * from the codec) so that the client's decryption is checked against an independent
 * implementation: salt (high bit set) || C, where P = len || key || padding to 16 octets,
 * b(1) = MD5(S + R + A), c(i) = p(i) xor b(i), b(i) = MD5(S + c(i-1)).
 */
export function encryptMppeKeyForTest(key: Buffer, secret: Buffer, requestAuthenticator: Buffer, salt: Buffer): Buffer {
  const plainLen = 1 + key.length;
  const p = Buffer.alloc(Math.ceil(plainLen / 16) * 16);
  p[0] = key.length;
  key.copy(p, 1);
  const out: Buffer[] = [Buffer.from([salt[0] | 0x80, salt[1]])];
  let prev = Buffer.concat([requestAuthenticator, out[0]]);
  for (let i = 0; i < p.length; i += 16) {
    const b = createHash('md5').update(secret).update(prev).digest();
    const c = Buffer.alloc(16);
    for (let j = 0; j < 16; j++) c[j] = p[i + j] ^ b[j];
    out.push(c);
    prev = c;
  }
  return Buffer.concat(out);
}
