/**
 * A scripted EAP server for the peer's tests: RFC 3748 Identity, then EAP-TLS (RFC 5216,
 * RFC 9190) or EAP-TTLS/PAP (RFC 5281) on the server side of node:tls (a TlsEngine in
 * server mode over memory), with fragmentation both ways. It plays the part FreeRADIUS
 * plays behind the authenticator, and records what it saw so tests can assert on it:
 * fragments and ACKs in both directions, the PAP AVPs, its own MSK/EMSK.
 *
 * Not a general EAP server: one conversation, strict about what the peer sends (a wrong
 * identifier or packet is a test failure, thrown), with switches for the cases tests need.
 */
import {
  EapCode,
  EapTlsFlag,
  EapType,
  decodeEap,
  decodeEapTlsPayload,
  encodeEap,
  encodeEapTlsPayload,
  type EapTlsPayload,
} from '@airlock/rsn';
import { TlsReassembly, fragmentTlsData } from '../fragmentation.js';
import { TlsEngine, type TlsFailure, type TlsVersion } from '../tls-engine.js';
import { TtlsAvpCode, decodeTtlsAvps, type TtlsAvp } from '../ttls-avp.js';

/** How the scripted server behaves. */
export interface ScriptedEapServerOptions {
  /** The method it runs after Identity. */
  method: 'tls' | 'ttls';
  /** Server certificate chain (leaf first), PEM. */
  cert: string;
  /** Server private key, PEM. */
  key: string;
  /** CA that client certificates must lead to (EAP-TLS). */
  clientCa?: string;
  /** Only this TLS version; default 1.2 or 1.3. */
  tlsVersion?: TlsVersion;
  /** Largest TLS data per fragment the server sends (default 1398). */
  fragmentSize?: number;
  /** Identifier of the first Request (default 1). */
  firstIdentifier?: number;
  /** TTLS/PAP: accepted users and passwords. */
  users?: Readonly<Record<string, string>>;
  /** EAP-TLS 1.3: send the commitment message (RFC 9190 §2.5); default true. */
  commitment?: boolean;
  /** Propose this EAP type (with this Type-Data) before the configured method, to see the peer's Nak. */
  proposeFirst?: { type: number; data: Buffer };
}

/** Counts of what crossed the wire in the method. */
export interface FragmentCounts {
  /** EAP-TLS requests the server sent with TLS data. */
  fragmentsSent: number;
  /** Of those, with the M flag. */
  fragmentsSentWithMore: number;
  /** Of those, with the L flag. */
  fragmentsSentWithLength: number;
  /** Empty responses that acknowledged a server fragment. */
  acksReceived: number;
  /** Peer responses with TLS data. */
  fragmentsReceived: number;
  /** Of those, with the M flag. */
  fragmentsReceivedWithMore: number;
  /** Of those, with the L flag. */
  fragmentsReceivedWithLength: number;
  /** Empty requests the server sent to acknowledge a peer fragment. */
  acksSent: number;
}

type Phase = 'identity' | 'propose' | 'method' | 'done';

/** One scripted EAP server conversation. */
export class ScriptedEapServer {
  /** The peer's Response/Identity. */
  identity: string | undefined;
  /** Type-Data of the Naks received. */
  readonly naks: Buffer[] = [];
  /** TTLS: AVPs the peer tunnelled. */
  avps: TtlsAvp[] | undefined;
  /** TTLS: the PAP credentials decoded from the AVPs (password without its NUL padding). */
  pap: { username: string; password: string; paddedLength: number } | undefined;
  /** How the server's TLS session failed, if it did. */
  tlsFailure: TlsFailure | undefined;
  /** The TLS version negotiated. */
  tlsVersion: TlsVersion | undefined;
  /** What the server ended with. */
  outcome: 'success' | 'failure' | undefined;
  /** Server-side MSK (same derivation as the peer's, from the server's TLS session). */
  msk: Buffer | undefined;
  /** Server-side EMSK. */
  emsk: Buffer | undefined;
  /** Every packet, in order. */
  readonly transcript: { from: 'server' | 'peer'; packet: Buffer }[] = [];
  /** Fragment and ACK counts. */
  readonly counts: FragmentCounts = {
    fragmentsSent: 0,
    fragmentsSentWithMore: 0,
    fragmentsSentWithLength: 0,
    acksReceived: 0,
    fragmentsReceived: 0,
    fragmentsReceivedWithMore: 0,
    fragmentsReceivedWithLength: 0,
    acksSent: 0,
  };

  private readonly opts: ScriptedEapServerOptions;
  private readonly type: number;
  private engine: TlsEngine | undefined;
  private readonly reassembly = new TlsReassembly();
  private outgoing: EapTlsPayload[] = [];
  private identifier: number;
  private phase: Phase = 'identity';
  private established = false;
  private decision: 'success' | 'failure' | undefined;

  constructor(opts: ScriptedEapServerOptions) {
    this.opts = opts;
    this.type = opts.method === 'tls' ? EapType.Tls : EapType.Ttls;
    this.identifier = ((opts.firstIdentifier ?? 1) - 1) & 0xff;
  }

  /** The first packet: Request/Identity. */
  start(): Buffer {
    return this.request(EapType.Identity, Buffer.alloc(0));
  }

  /** The identifier of the last Request sent. */
  get lastIdentifier(): number {
    return this.identifier;
  }

  /** Handles the peer's Response; resolves to the next packet (Request, Success or Failure), or undefined once done. */
  async respond(response: Buffer): Promise<Buffer | undefined> {
    this.transcript.push({ from: 'peer', packet: Buffer.from(response) });
    const decoded = decodeEap(response);
    if (!decoded.ok) throw new Error(`scripted EAP server: undecodable response: ${decoded.error.detail}`);
    const r = decoded.value;
    if (r.code !== EapCode.Response) throw new Error(`scripted EAP server: expected a Response, got Code ${r.code}`);
    if (r.identifier !== this.identifier) throw new Error(`scripted EAP server: Response identifier ${r.identifier}, expected ${this.identifier}`);
    switch (this.phase) {
      case 'identity':
        if (r.type !== EapType.Identity) throw new Error(`scripted EAP server: expected Response/Identity, got type ${String(r.type)}`);
        this.identity = r.data.toString('utf8');
        if (this.opts.proposeFirst !== undefined) {
          this.phase = 'propose';
          return this.request(this.opts.proposeFirst.type, this.opts.proposeFirst.data);
        }
        return this.startMethod();
      case 'propose':
        if (r.type !== EapType.Nak) throw new Error(`scripted EAP server: expected a Nak, got type ${String(r.type)}`);
        this.naks.push(Buffer.from(r.data));
        return r.data.includes(this.type) ? this.startMethod() : this.finish('failure');
      case 'method':
        if (r.type === EapType.Nak) {
          this.naks.push(Buffer.from(r.data));
          return this.finish('failure');
        }
        if (r.type !== this.type) throw new Error(`scripted EAP server: expected type ${this.type}, got ${String(r.type)}`);
        return this.onMethodResponse(r.data);
      case 'done':
        throw new Error('scripted EAP server: Response after Success/Failure');
    }
  }

  /** The server's exporter (RFC 5705), while its TLS session is open: until close(). */
  exportKeyingMaterial(length: number, label: string, context?: Buffer): Buffer {
    if (this.engine === undefined) throw new Error('scripted EAP server: no TLS session');
    return this.engine.exportKeyingMaterial(length, label, context);
  }

  /** Releases the TLS session (it stays open after Success/Failure for exportKeyingMaterial()). */
  close(): void {
    this.engine?.close();
  }

  private async startMethod(): Promise<Buffer> {
    this.phase = 'method';
    this.engine = TlsEngine.server({
      cert: this.opts.cert,
      key: this.opts.key,
      ca: this.opts.clientCa,
      requestCert: this.opts.method === 'tls',
      tlsVersion: this.opts.tlsVersion,
    });
    await this.engine.start();
    return this.request(this.type, encodeEapTlsPayload({ flags: EapTlsFlag.Start, version: 0, data: Buffer.alloc(0) }));
  }

  private async onMethodResponse(typeData: Buffer): Promise<Buffer | undefined> {
    const decoded = decodeEapTlsPayload(typeData);
    if (!decoded.ok) throw new Error(`scripted EAP server: bad EAP-TLS response: ${decoded.error.detail}`);
    const p = decoded.value;
    if (p.data.length > 0) {
      this.counts.fragmentsReceived++;
      if ((p.flags & EapTlsFlag.MoreFragments) !== 0) this.counts.fragmentsReceivedWithMore++;
      if ((p.flags & EapTlsFlag.LengthIncluded) !== 0) this.counts.fragmentsReceivedWithLength++;
    }
    if (this.outgoing.length > 0) {
      if (p.data.length > 0) throw new Error('scripted EAP server: expected the ACK of a fragment, got TLS data');
      this.counts.acksReceived++;
      return this.sendPayload(this.outgoing.shift()!);
    }
    if (this.tlsFailure !== undefined) return this.finish('failure');
    const added = this.reassembly.add(p);
    if (added.kind === 'invalid') throw new Error(`scripted EAP server: reassembly: ${added.detail}`);
    if (added.kind === 'more') {
      this.counts.acksSent++;
      return this.request(this.type, encodeEapTlsPayload({ flags: 0, version: 0, data: Buffer.alloc(0) }));
    }
    if (added.message.length === 0) {
      // The peer acknowledged our last flight (or the commitment message): decide.
      return this.finish(this.decision ?? 'failure');
    }
    const step = await this.engine!.receive(added.message);
    this.tlsVersion ??= this.engine!.protocol;
    let records = step.records;
    if (step.failure !== undefined) {
      this.tlsFailure = step.failure;
      this.decision = 'failure';
      return records.length > 0 ? this.sendTls(records) : this.finish('failure');
    }
    if (step.established && !this.established) {
      this.established = true;
      this.deriveKeys();
      if (this.opts.method === 'tls') {
        this.decision = 'success';
        if (this.engine!.protocol === 'TLSv1.3' && (this.opts.commitment ?? true)) {
          const commitment = await this.engine!.send(Buffer.from([0x00]));
          records = Buffer.concat([records, commitment.records]);
        }
      }
    }
    if (this.opts.method === 'ttls' && step.applicationData.length > 0) this.checkPap(step.applicationData);
    if (records.length > 0) return this.sendTls(records);
    return this.finish(this.decision ?? 'failure');
  }

  private checkPap(applicationData: Buffer): void {
    const avps = decodeTtlsAvps(applicationData);
    if (!avps.ok) {
      this.decision = 'failure';
      return;
    }
    this.avps = avps.value.map((a) => ({ ...a, data: Buffer.from(a.data) }));
    const name = this.avps.find((a) => a.code === TtlsAvpCode.UserName && a.vendorId === undefined);
    const pw = this.avps.find((a) => a.code === TtlsAvpCode.UserPassword && a.vendorId === undefined);
    if (name === undefined || pw === undefined) {
      this.decision = 'failure';
      return;
    }
    const end = pw.data.indexOf(0);
    const password = pw.data.subarray(0, end < 0 ? pw.data.length : end).toString('utf8');
    const username = name.data.toString('utf8');
    this.pap = { username, password, paddedLength: pw.data.length };
    this.decision = this.opts.users?.[username] === password ? 'success' : 'failure';
  }

  private deriveKeys(): void {
    const engine = this.engine!;
    const material =
      engine.protocol === 'TLSv1.3'
        ? engine.exportKeyingMaterial(128, 'EXPORTER_EAP_TLS_Key_Material', Buffer.from([this.type]))
        : engine.exportKeyingMaterial(128, this.opts.method === 'tls' ? 'client EAP encryption' : 'ttls keying material');
    this.msk = material.subarray(0, 64);
    this.emsk = material.subarray(64, 128);
  }

  private sendTls(records: Buffer): Buffer {
    this.outgoing = fragmentTlsData(records, this.opts.fragmentSize ?? 1398, 0);
    return this.sendPayload(this.outgoing.shift()!);
  }

  private sendPayload(p: EapTlsPayload): Buffer {
    this.counts.fragmentsSent++;
    if ((p.flags & EapTlsFlag.MoreFragments) !== 0) this.counts.fragmentsSentWithMore++;
    if ((p.flags & EapTlsFlag.LengthIncluded) !== 0) this.counts.fragmentsSentWithLength++;
    return this.request(this.type, encodeEapTlsPayload(p));
  }

  private finish(outcome: 'success' | 'failure'): Buffer {
    this.phase = 'done';
    this.outcome = outcome;
    // RFC 3748 §4.2: Success/Failure carry the identifier of the Response they answer.
    const packet = encodeEap({ code: outcome === 'success' ? EapCode.Success : EapCode.Failure, identifier: this.identifier, type: undefined, data: Buffer.alloc(0) });
    this.transcript.push({ from: 'server', packet });
    return packet;
  }

  private request(type: number, data: Buffer): Buffer {
    this.identifier = (this.identifier + 1) & 0xff;
    const packet = encodeEap({ code: EapCode.Request, identifier: this.identifier, type, data });
    this.transcript.push({ from: 'server', packet });
    return packet;
  }
}
