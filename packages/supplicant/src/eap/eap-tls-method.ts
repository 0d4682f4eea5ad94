/**
 * The peer side of the TLS-based EAP methods: EAP-TLS (RFC 5216; RFC 9190 for TLS 1.3)
 * and EAP-TTLS with PAP inner authentication (RFC 5281; RFC 9427 for TLS 1.3). It turns
 * EAP Type-Data from the server into Type-Data of the response, on a TlsEngine; the EAP
 * layer (identifiers, duplicates, Success/Failure) is EapPeer's.
 *
 * Behaviour follows the RFCs and, where they leave room, wpa_supplicant's
 * src/eap_peer/eap_tls_common.c, eap_tls.c and eap_ttls.c.
 */
import { EapTlsFlag, EapType, decodeEapTlsPayload, encodeEapTlsPayload, type EapTlsPayload } from '@airlock/rsn';
import { TlsReassembly, fragmentTlsData } from './fragmentation.js';
import { TlsEngine, type TlsFailure, type TlsStep, type TlsVersion } from './tls-engine.js';
import { encodePapAvps } from './ttls-avp.js';

/** Octets of the MSK (RFC 5216 §2.3). */
export const MSK_LENGTH = 64;
/** Octets of the EMSK (RFC 5216 §2.3). */
export const EMSK_LENGTH = 64;

/** What the method needs: the TLS credentials and, for TTLS, the PAP credentials. */
export type TlsMethodOptions =
  | { method: 'tls'; ca: string; cert: string; key: string; tlsVersion?: TlsVersion; serverName?: string; fragmentSize: number }
  | { method: 'ttls-pap'; ca: string; username: string; password: string; tlsVersion?: TlsVersion; serverName?: string; fragmentSize: number };

/** The method's answer to one request: Type-Data to send, or a reason to ignore the request. */
export type TlsMethodOutput = { kind: 'respond'; typeData: Buffer } | { kind: 'ignore'; reason: string };

/** MSK and EMSK. */
export interface EapKeys {
  msk: Buffer;
  emsk: Buffer;
}

/** The EAP Type of a configured method. */
export function eapTypeOf(method: TlsMethodOptions['method']): number {
  return method === 'tls' ? EapType.Tls : EapType.Ttls;
}

/** The error text for a failed TLS session. */
function describeFailure(f: TlsFailure): string {
  if (f.remoteAlert) return `TLS alert from the server: ${f.message} (${f.code})`;
  if (f.alertSent !== undefined) return `server certificate rejected: ${f.message} (${f.code}); sent TLS alert ${f.alertSent}`;
  return `TLS failure: ${f.message} (${f.code})`;
}

/**
 * One run of EAP-TLS or EAP-TTLS/PAP, from the Start to the end of the TLS conversation.
 * Its decision is 'fail' until success is acceptable: the handshake completed and, for
 * EAP-TLS 1.3, the server's commitment message arrived (RFC 9190 §2.5), for TTLS, the PAP
 * AVPs left — and none of our fragments is still waiting for its ACK.
 */
export class EapTlsMethod {
  /** EAP Type: 13 (TLS) or 21 (TTLS). */
  readonly type: number;
  private readonly opts: TlsMethodOptions;
  private engine: TlsEngine | undefined;
  private readonly reassembly = new TlsReassembly();
  private outgoing: EapTlsPayload[] = [];
  private version = 0;
  private handshakeComplete = false;
  private commitmentReceived = false;
  private phase2Sent = false;
  private keys: EapKeys | undefined;
  private failed: string | undefined;

  constructor(opts: TlsMethodOptions) {
    this.opts = opts;
    this.type = eapTypeOf(opts.method);
  }

  /** The TLS version negotiated, once known. */
  get tlsVersion(): TlsVersion | undefined {
    return this.engine?.protocol;
  }

  /** Why the method failed, if it did. */
  get error(): string | undefined {
    return this.failed;
  }

  /** True once an EAP-Success may be accepted (decision COND_SUCC/UNCOND_SUCC of RFC 4137). */
  get successAcceptable(): boolean {
    if (this.failed !== undefined || !this.handshakeComplete || this.outgoing.length > 0 || this.keys === undefined) return false;
    if (this.opts.method === 'ttls-pap') return this.phase2Sent;
    return this.tlsVersion === 'TLSv1.2' || this.commitmentReceived;
  }

  /** A Start was processed: the method is under way. */
  get started(): boolean {
    return this.engine !== undefined;
  }

  /** MSK and EMSK, once the handshake completed. */
  get keyMaterial(): EapKeys | undefined {
    return this.keys;
  }

  /** Handles the Type-Data of one EAP-TLS/TTLS Request. Never rejects. */
  async process(typeData: Buffer): Promise<TlsMethodOutput> {
    const decoded = decodeEapTlsPayload(typeData);
    if (!decoded.ok) return { kind: 'ignore', reason: `malformed EAP-TLS Type-Data: ${decoded.error.code}: ${decoded.error.detail}` };
    const p = decoded.value;
    if (this.failed !== undefined) return { kind: 'ignore', reason: 'the method has already failed' };

    if ((p.flags & EapTlsFlag.Start) !== 0) return this.start();
    if (this.engine === undefined) return { kind: 'ignore', reason: 'no EAP-TLS Start yet' };

    if (this.outgoing.length > 0) {
      // RFC 5216 §2.1.5: the server acknowledges each fragment with an empty request.
      if (p.data.length > 0 || (p.flags & EapTlsFlag.MoreFragments) !== 0) return { kind: 'ignore', reason: 'expected the ACK of our fragment' };
      return this.respond(this.outgoing.shift()!);
    }

    const added = this.reassembly.add(p);
    if (added.kind === 'invalid') return { kind: 'ignore', reason: added.detail };
    if (added.kind === 'more') return this.respond(this.ack());
    if (added.message.length === 0) {
      // An empty request outside fragmentation: nothing for TLS; answer with an ACK.
      return this.respond(this.ack());
    }
    return this.answer(await this.engine.receive(added.message));
  }

  /** Releases the TLS session and wipes the keys. */
  close(): void {
    this.engine?.close();
    this.keys?.msk.fill(0);
    this.keys?.emsk.fill(0);
    this.keys = undefined;
  }

  private async start(): Promise<TlsMethodOutput> {
    // A Start in the middle of a run restarts it (the server lost its state).
    this.engine?.close();
    this.reassembly.reset();
    this.outgoing = [];
    this.handshakeComplete = false;
    this.commitmentReceived = false;
    this.phase2Sent = false;
    // RFC 5281 §9.1: the peer answers with the highest version both support; TTLS has only
    // version 0 (whatever the Start offers), EAP-TLS has none.
    this.version = 0;
    const o = this.opts;
    this.engine =
      o.method === 'tls'
        ? TlsEngine.client({ ca: o.ca, cert: o.cert, key: o.key, tlsVersion: o.tlsVersion, serverName: o.serverName })
        : TlsEngine.client({ ca: o.ca, tlsVersion: o.tlsVersion, serverName: o.serverName });
    return this.answer(await this.engine.start());
  }

  /** Turns what the engine did into the response. */
  private async answer(step: TlsStep): Promise<TlsMethodOutput> {
    if (step.failure !== undefined) return this.failWith(step);
    let records = step.records;
    if (step.established && !this.handshakeComplete) {
      this.handshakeComplete = true;
      this.keys = this.deriveKeys();
      if (this.opts.method === 'ttls-pap') {
        // RFC 5281 §11.2.5: PAP needs no challenge; the AVPs go as soon as the tunnel is up.
        const avps = encodePapAvps(this.opts.username, this.opts.password);
        const sent = await this.engine!.send(avps);
        avps.fill(0);
        if (sent.failure !== undefined) return this.failWith(sent);
        records = Buffer.concat([records, sent.records]);
        this.phase2Sent = true;
      }
    }
    if (this.handshakeComplete && step.applicationData.length > 0 && this.opts.method === 'tls') {
      // RFC 9190 §2.5: application data from the server (0x00) commits it to no further
      // handshake messages. Any data is taken as the commitment, as the RFC asks of peers.
      this.commitmentReceived = true;
    }
    if (records.length === 0) return this.respond(this.ack());
    this.outgoing = fragmentTlsData(records, this.opts.fragmentSize, this.version);
    return this.respond(this.outgoing.shift()!);
  }

  private failWith(step: TlsStep): TlsMethodOutput {
    this.failed = describeFailure(step.failure!);
    this.keys = undefined;
    // RFC 5216 §2.1.3: our own alert goes out; after the server's alert, an empty response.
    if (step.records.length === 0) return this.respond(this.ack());
    this.outgoing = fragmentTlsData(step.records, this.opts.fragmentSize, this.version);
    return this.respond(this.outgoing.shift()!);
  }

  /** RFC 5216 §2.3 / RFC 9190 §2.3 / RFC 5281 §8 / RFC 9427 §2.1. */
  private deriveKeys(): EapKeys {
    const engine = this.engine!;
    const tls13 = engine.protocol === 'TLSv1.3';
    const material = tls13
      ? engine.exportKeyingMaterial(MSK_LENGTH + EMSK_LENGTH, 'EXPORTER_EAP_TLS_Key_Material', Buffer.from([this.type]))
      : engine.exportKeyingMaterial(MSK_LENGTH + EMSK_LENGTH, this.opts.method === 'tls' ? 'client EAP encryption' : 'ttls keying material');
    const keys = { msk: Buffer.from(material.subarray(0, MSK_LENGTH)), emsk: Buffer.from(material.subarray(MSK_LENGTH)) };
    material.fill(0);
    return keys;
  }

  private ack(): EapTlsPayload {
    return { flags: 0, version: this.version, data: Buffer.alloc(0) };
  }

  private respond(p: EapTlsPayload): TlsMethodOutput {
    return { kind: 'respond', typeData: encodeEapTlsPayload(p) };
  }
}
