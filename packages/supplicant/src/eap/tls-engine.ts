/**
 * A TLS endpoint without a socket: node:tls (OpenSSL) over an in-memory Duplex, fed TLS
 * records and drained of the records it writes, for the TLS-based EAP methods (RFC 5216,
 * RFC 9190, RFC 5281) where TLS travels inside EAP packets instead of TCP.
 *
 * This is the one place in the supplicant that touches node:tls and the event loop (see the
 * eslint override for src/eap/tls-*.ts). node:tls is asynchronous: after records are pushed
 * in, OpenSSL's answer, the handshake events and errors arrive over the next event-loop
 * turns (node finishes each write with setImmediate, and emits errors on nextTick). Each
 * step therefore waits until the engine has been quiet for QUIET_TURNS turns; no clock is
 * read and no timer is armed.
 *
 * Certificate checks: node's client verifies the server chain only when the handshake
 * completes, which in TLS 1.2 is after the client has already written its Certificate and
 * Finished. The engine checks the chain (and the server name) as soon as the server's
 * Certificate has been processed and, when it fails, sends a fatal alert instead of its
 * second flight — as OpenSSL's own verify callback would (wpa_supplicant behaves so).
 * node's TLSSocket in server mode does not verify client certificates itself (tls.Server
 * does); the engine does it when `requestCert` is set.
 */
import { Duplex } from 'node:stream';
import { TLSSocket, checkServerIdentity, connect, type PeerCertificate } from 'node:tls';

/** TLS versions the EAP methods negotiate (TLS 1.0/1.1 are not offered: RFC 8996). */
export type TlsVersion = 'TLSv1.2' | 'TLSv1.3';

/** Options of the client (EAP peer) side. */
export interface TlsClientOptions {
  /** PEM CA certificate(s) the server's chain must lead to. */
  ca: string;
  /** PEM client certificate, optionally followed by its intermediates (EAP-TLS). */
  cert?: string;
  /** PEM private key of `cert`. */
  key?: string;
  /** Only this TLS version; default: TLS 1.2 or 1.3 as the server chooses. */
  tlsVersion?: TlsVersion;
  /** Expected server name: checked against the certificate (RFC 6125) and sent as SNI. No name check when absent. */
  serverName?: string;
}

/** Options of the server side (scripted EAP servers in tests and simulations). */
export interface TlsServerOptions {
  /** PEM server certificate, optionally followed by its intermediates. */
  cert: string;
  /** PEM private key of `cert`. */
  key: string;
  /** PEM CA certificate(s) client certificates must lead to. */
  ca?: string;
  /** Ask for a client certificate and fail the handshake without a valid one. */
  requestCert?: boolean;
  /** Only this TLS version; default: TLS 1.2 or 1.3. */
  tlsVersion?: TlsVersion;
}

/** Why the TLS session failed. */
export interface TlsFailure {
  /** OpenSSL / node code: 'ERR_SSL_TLSV1_ALERT_UNKNOWN_CA', 'SELF_SIGNED_CERT_IN_CHAIN', 'ERR_TLS_CERT_ALTNAME_INVALID', ... */
  code: string;
  /** Human-readable text. */
  message: string;
  /** True when the peer told us, with a TLS alert, that it failed. */
  remoteAlert: boolean;
  /** The fatal alert this side sent for a certificate it rejected (RFC 8446 §6.2 AlertDescription). */
  alertSent?: number;
}

/** What one step of the engine produced. */
export interface TlsStep {
  /** TLS records to send to the peer (empty when there is nothing to say). */
  records: Buffer;
  /** Application data received in this step, decrypted. */
  applicationData: Buffer;
  /** The handshake is complete and the peer's certificate verified. */
  established: boolean;
  /** Set once the session failed; later steps keep returning it. */
  failure?: TlsFailure;
}

/** TLS AlertDescription values used here (RFC 8446 §6.2). */
export const TlsAlert = {
  BadCertificate: 42,
  CertificateRevoked: 44,
  CertificateExpired: 45,
  CertificateUnknown: 46,
  UnknownCa: 48,
} as const;

/** Event-loop turns without any activity after which a step is complete. */
const QUIET_TURNS = 2;
/** Upper bound of turns per step: a step that never quiets down is a bug, reported as a failure. */
const MAX_TURNS = 10_000;

/** One event-loop turn (the check phase, after node's own setImmediate callbacks). */
function nextTurn(): Promise<void> {
  return new Promise((resolve) => setImmediate(resolve));
}

/** A fatal TLS alert record in the clear: ContentType alert(21), legacy version 3.3, length 2, level fatal(2), description. */
export function fatalAlertRecord(description: number): Buffer {
  return Buffer.from([21, 3, 3, 0, 2, 2, description & 0xff]);
}

/** The alert a client sends for a certificate verification error (OpenSSL's mapping, ssl_verify_alarm_type). */
function alertForVerifyError(code: string): number {
  switch (code) {
    case 'UNABLE_TO_GET_ISSUER_CERT':
    case 'UNABLE_TO_GET_ISSUER_CERT_LOCALLY':
    case 'UNABLE_TO_VERIFY_LEAF_SIGNATURE':
    case 'SELF_SIGNED_CERT_IN_CHAIN':
    case 'DEPTH_ZERO_SELF_SIGNED_CERT':
    case 'INVALID_CA':
      return TlsAlert.UnknownCa;
    case 'CERT_HAS_EXPIRED':
    case 'CERT_NOT_YET_VALID':
      return TlsAlert.CertificateExpired;
    case 'CERT_REVOKED':
      return TlsAlert.CertificateRevoked;
    case 'ERR_TLS_CERT_ALTNAME_INVALID':
    case 'CERT_SIGNATURE_FAILURE':
      return TlsAlert.BadCertificate;
    default:
      return TlsAlert.CertificateUnknown;
  }
}

/** node's internal TLS handle: verifyError() reads SSL_get_verify_result, valid as soon as the peer's Certificate was processed. */
interface TlsHandleInternals {
  verifyError?: () => (Error & { code?: string }) | null | undefined;
}

/** The error code node/OpenSSL attached to `err`, or a fallback. */
function errorCode(err: unknown): string {
  const code = (err as { code?: unknown } | null)?.code;
  return typeof code === 'string' ? code : 'ERR_TLS';
}

/**
 * Whether `code` is a certificate check failure: an X.509 verify result as node names it
 * ('SELF_SIGNED_CERT_IN_CHAIN', 'CERT_HAS_EXPIRED', ...) or the server name check. Not
 * OpenSSL protocol errors ('ERR_SSL_*'), node errors ('ERR_*') or errnos ('ECONNRESET').
 */
function isCertificateError(code: string): boolean {
  if (code === 'ERR_TLS_CERT_ALTNAME_INVALID') return true;
  return !code.startsWith('ERR_') && !/^E[A-Z]+$/.test(code);
}

/** The short text of `err`: OpenSSL's reason ('tlsv1 alert unknown ca') rather than its multi-line message. */
function errorMessage(err: unknown): string {
  const reason = (err as { reason?: unknown } | null)?.reason;
  if (typeof reason === 'string' && reason.length > 0) return reason;
  return (err instanceof Error ? err.message : String(err)).trim();
}

/**
 * One TLS session over memory. Create it with TlsEngine.client() or TlsEngine.server(),
 * call start(), then receive() each reassembled TLS message from the peer and send() the
 * application data to protect; every call resolves, never rejects.
 */
export class TlsEngine {
  private readonly socket: TLSSocket;
  private readonly transport: Duplex;
  private readonly role: 'client' | 'server';
  private readonly serverName: string | undefined;
  private readonly requestCert: boolean;
  private written: Buffer[] = [];
  private received: Buffer[] = [];
  private activity = 0;
  private handshakeDone = false;
  private failureValue: TlsFailure | undefined;
  private closed = false;
  private protocolValue: TlsVersion | undefined;

  private constructor(role: 'client' | 'server', build: (transport: Duplex) => TLSSocket, serverName?: string, requestCert = false) {
    this.role = role;
    this.serverName = serverName;
    this.requestCert = requestCert;
    this.transport = new Duplex({
      read: () => undefined,
      write: (chunk: Buffer, _encoding, callback) => {
        this.activity++;
        if (!this.closed) this.written.push(Buffer.from(chunk));
        callback();
      },
    });
    this.transport.on('error', () => undefined);
    this.socket = build(this.transport);
    this.socket.on('data', (data: Buffer) => {
      this.activity++;
      this.received.push(Buffer.from(data));
    });
    this.socket.on('error', (err: unknown) => {
      this.activity++;
      this.fail(err);
    });
    this.socket.on('end', () => {
      this.activity++;
    });
    this.socket.on('close', () => {
      this.activity++;
    });
    this.socket.on(role === 'client' ? 'secureConnect' : 'secure', () => {
      this.activity++;
      this.onHandshakeDone();
    });
  }

  /** A client (EAP peer) endpoint; the handshake starts with start(). */
  static client(opts: TlsClientOptions): TlsEngine {
    const serverName = opts.serverName;
    return new TlsEngine(
      'client',
      (transport) =>
        connect({
          socket: transport,
          ca: opts.ca,
          cert: opts.cert,
          key: opts.key,
          minVersion: opts.tlsVersion ?? 'TLSv1.2',
          maxVersion: opts.tlsVersion ?? 'TLSv1.3',
          servername: serverName,
          rejectUnauthorized: true,
          // EAP servers are rarely named like hosts: the CA decides unless a name is configured.
          checkServerIdentity: (_host: string, cert: PeerCertificate) => (serverName === undefined ? undefined : checkServerIdentity(serverName, cert)),
        }),
      serverName,
    );
  }

  /** A server endpoint (for scripted EAP servers); it waits for the ClientHello. */
  static server(opts: TlsServerOptions): TlsEngine {
    return new TlsEngine(
      'server',
      (transport) =>
        new TLSSocket(transport, {
          isServer: true,
          cert: opts.cert,
          key: opts.key,
          ca: opts.ca,
          requestCert: opts.requestCert ?? false,
          rejectUnauthorized: opts.requestCert ?? false,
          minVersion: opts.tlsVersion ?? 'TLSv1.2',
          maxVersion: opts.tlsVersion ?? 'TLSv1.3',
        }),
      undefined,
      opts.requestCert ?? false,
    );
  }

  /** The negotiated version, once the handshake completed. */
  get protocol(): TlsVersion | undefined {
    return this.protocolValue;
  }

  /** Handshake complete and peer verified. */
  get established(): boolean {
    return this.handshakeDone && this.failureValue === undefined;
  }

  /** Why the session failed, if it did. */
  get failure(): TlsFailure | undefined {
    return this.failureValue;
  }

  /** Lets the engine write its first flight (the ClientHello for a client; nothing for a server). */
  start(): Promise<TlsStep> {
    return this.step(() => undefined);
  }

  /** Feeds TLS records from the peer; resolves with what the engine answers. */
  receive(records: Buffer): Promise<TlsStep> {
    return this.step(() => {
      if (records.length > 0) this.transport.push(Buffer.from(records));
    });
  }

  /** Protects application data; resolves with the records to send. */
  send(plaintext: Buffer): Promise<TlsStep> {
    return this.step(() => {
      if (this.established) this.socket.write(plaintext);
    });
  }

  /**
   * RFC 5705 exporter (RFC 8446 §7.5 for TLS 1.3). `context` undefined means "no context",
   * which differs from an empty one in TLS 1.2: RFC 5216 and RFC 5281 use none. Throws
   * (a programmer error) before the handshake is complete.
   */
  exportKeyingMaterial(length: number, label: string, context?: Buffer): Buffer {
    if (!this.established) throw new Error('exportKeyingMaterial before the TLS handshake completed');
    if (context === undefined) {
      // @types/node declares `context` as required, but node passes "no context" to OpenSSL
      // only when the argument is absent; RFC 5216 §2.3 and RFC 5281 §8 need that.
      const socket = this.socket as unknown as { exportKeyingMaterial(length: number, label: string): Buffer };
      return Buffer.from(socket.exportKeyingMaterial(length, label));
    }
    return Buffer.from(this.socket.exportKeyingMaterial(length, label, context));
  }

  /** The peer's leaf certificate as node describes it, once received (empty object before). */
  peerCertificate(): PeerCertificate | undefined {
    if (this.closed) return undefined;
    const cert = this.socket.getPeerCertificate(false) as PeerCertificate | null | undefined;
    return cert && Object.keys(cert).length > 0 ? cert : undefined;
  }

  /** Releases the session (no close_notify: the EAP conversation is over). */
  close(): void {
    if (this.closed) return;
    this.closed = true;
    this.written = [];
    this.received = [];
    this.socket.destroy();
    this.transport.destroy();
  }

  private async step(act: () => void): Promise<TlsStep> {
    if (!this.closed && this.failureValue === undefined) {
      try {
        act();
      } catch (err) {
        this.fail(err);
      }
      await this.settle();
      this.checkPeerEarly();
    }
    return this.collect();
  }

  /** Waits until node:tls has done everything the last input caused. */
  private async settle(): Promise<void> {
    let quiet = 0;
    for (let turns = 0; quiet < QUIET_TURNS; turns++) {
      if (turns >= MAX_TURNS) {
        this.fail(Object.assign(new Error(`TLS engine still busy after ${MAX_TURNS} event-loop turns`), { code: 'ERR_TLS_ENGINE_BUSY' }));
        return;
      }
      const before = this.activity;
      await nextTurn();
      quiet = this.activity === before ? quiet + 1 : 0;
    }
  }

  private collect(): TlsStep {
    const records = Buffer.concat(this.written);
    const applicationData = Buffer.concat(this.received);
    this.written = [];
    this.received = [];
    const step: TlsStep = { records, applicationData, established: this.established };
    if (this.failureValue !== undefined) step.failure = this.failureValue;
    return step;
  }

  /**
   * Client, TLS 1.2: the server's Certificate has been processed but the handshake is not
   * complete, and node would only check the chain at the end. Check now, before our
   * Certificate and Finished leave.
   */
  private checkPeerEarly(): void {
    if (this.role !== 'client' || this.handshakeDone || this.failureValue !== undefined || this.closed) return;
    const cert = this.peerCertificate();
    if (cert === undefined) return;
    const verifyError = this.internalVerifyError();
    if (verifyError) {
      this.rejectPeer(verifyError);
      return;
    }
    if (this.serverName !== undefined) {
      const nameError = checkServerIdentity(this.serverName, cert);
      if (nameError) this.rejectPeer(nameError);
    }
  }

  private onHandshakeDone(): void {
    if (this.role === 'server' && this.requestCert) {
      // node verifies client certificates only for sockets of a tls.Server.
      const verifyError = this.internalVerifyError();
      if (verifyError) {
        this.rejectPeer(verifyError);
        return;
      }
      if (this.peerCertificate() === undefined) {
        this.rejectPeer(Object.assign(new Error('the client sent no certificate'), { code: 'ERR_TLS_NO_CLIENT_CERTIFICATE' }));
        return;
      }
    }
    // Read only now: before the ServerHello, OpenSSL reports the highest version it allows.
    const p = this.socket.getProtocol();
    if (p === 'TLSv1.2' || p === 'TLSv1.3') this.protocolValue = p;
    this.handshakeDone = true;
  }

  private internalVerifyError(): (Error & { code?: string }) | undefined {
    const handle = (this.socket as unknown as { _handle?: TlsHandleInternals })._handle;
    return handle?.verifyError?.() ?? undefined;
  }

  /** Rejects the peer's certificate: what we were about to write is replaced by a fatal alert. */
  private rejectPeer(err: Error): void {
    const code = errorCode(err);
    const alert = alertForVerifyError(code);
    this.failureValue = { code, message: errorMessage(err), remoteAlert: false, alertSent: alert };
    this.written = [fatalAlertRecord(alert)];
    this.received = [];
    this.closed = true;
    this.socket.destroy();
    this.transport.destroy();
  }

  private fail(err: unknown): void {
    if (this.failureValue !== undefined) return;
    const code = errorCode(err);
    // OpenSSL names alerts it received SSL_R_*_ALERT_* (ERR_SSL_TLSV1_ALERT_UNKNOWN_CA, ...).
    const remoteAlert = /^ERR_SSL_(SSLV3|TLSV1|TLSV13)_ALERT_/.test(code);
    if (isCertificateError(code) && this.role === 'client' && !this.handshakeDone) {
      // node's own end-of-handshake check (TLS 1.3 reaches it before writing our Finished).
      this.rejectPeer(err instanceof Error ? err : new Error(String(err)));
      return;
    }
    this.failureValue = { code, message: errorMessage(err), remoteAlert };
  }
}
