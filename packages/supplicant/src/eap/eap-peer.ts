/**
 * The EAP peer (RFC 3748; the peer state machine of RFC 4137, simplified) with the
 * TLS-based methods EAP-TLS (RFC 5216, RFC 9190) and EAP-TTLS/PAP (RFC 5281, RFC 9427).
 * It answers Identity and Notification, Naks methods it is not configured for, resends
 * its last response to a duplicate request, runs the method, and decides on
 * Success/Failure.
 *
 * EAP packets in, EAP packets out: the caller carries them (EAPOL, RADIUS EAP-Message,
 * a test's scripted server). The only I/O is the in-memory TLS engine (tls-engine.ts).
 * receive() calls are handled one at a time in call order.
 */
import { EapCode, EapType, decodeEap, encodeEap, wipe } from '@airlock/rsn';
import { DEFAULT_FRAGMENT_SIZE } from './fragmentation.js';
import { EapTlsMethod, eapTypeOf, type TlsMethodOptions } from './eap-tls-method.js';
import type { TlsVersion } from './tls-engine.js';

/** How the peer authenticates. */
export type EapMethodConfig =
  | {
      /** EAP-TLS: mutual certificate authentication. */
      method: 'tls';
      /** PEM client certificate, optionally followed by its intermediates. */
      cert: string;
      /** PEM private key of `cert`. */
      key: string;
      /** PEM CA certificate(s) the server's chain must lead to. */
      ca: string;
      /** Only this TLS version; default: 1.2 or 1.3 as the server chooses. */
      tlsVersion?: TlsVersion;
      /** Expected name in the server certificate (RFC 6125); no name check when absent. */
      serverName?: string;
    }
  | {
      /** EAP-TTLS with PAP inside the tunnel. */
      method: 'ttls-pap';
      /** Inner User-Name. */
      username: string;
      /** Inner User-Password. */
      password: string;
      /** PEM CA certificate(s) the server's chain must lead to. */
      ca: string;
      /** Outer identity (Response/Identity); default: `identity`. */
      anonymousIdentity?: string;
      /** Only this TLS version; default: 1.2 or 1.3 as the server chooses. */
      tlsVersion?: TlsVersion;
      /** Expected name in the server certificate (RFC 6125); no name check when absent. */
      serverName?: string;
    };

/** Options of an EapPeer. */
export interface EapPeerOptions {
  /** The identity sent in Response/Identity (for TTLS unless `anonymousIdentity` is set). */
  identity: string;
  /** The one method the peer accepts. */
  config: EapMethodConfig;
  /** Largest TLS data per EAP-TLS fragment; default 1398 like wpa_supplicant's fragment_size. */
  fragmentSize?: number;
}

/**
 * Where the conversation is: nothing received; identity answered (or a method Nak'ed),
 * waiting for the method; the method under way; EAP-Success accepted; failed.
 */
export type EapPeerState = 'idle' | 'identity' | 'method' | 'success' | 'failure';

/** An EAP peer for one conversation at a time. */
export class EapPeer {
  private readonly identity: string;
  private readonly config: EapMethodConfig;
  private readonly fragmentSize: number;
  private readonly methodType: number;
  private stateValue: EapPeerState = 'idle';
  private method: EapTlsMethod | undefined;
  private lastRequest: Buffer | undefined;
  private lastResponse: Buffer | undefined;
  private mskValue: Buffer | undefined;
  private emskValue: Buffer | undefined;
  private errorValue: string | undefined;
  private dropReason: string | undefined;
  private droppedCount = 0;
  private tlsVersionValue: TlsVersion | undefined;
  private queue: Promise<unknown> = Promise.resolve();
  /** Bumped by reset(): work started before it must not touch the new conversation. */
  private epoch = 0;

  constructor(opts: EapPeerOptions) {
    const fragmentSize = opts.fragmentSize ?? DEFAULT_FRAGMENT_SIZE;
    if (!Number.isInteger(fragmentSize) || fragmentSize < 1 || fragmentSize > 0xffff - 10) {
      throw new RangeError(`fragmentSize must be an integer in [1, 65525], got ${String(opts.fragmentSize)}`);
    }
    this.identity = opts.identity;
    this.config = opts.config;
    this.fragmentSize = fragmentSize;
    this.methodType = eapTypeOf(opts.config.method);
  }

  /** Where the conversation is. */
  get state(): EapPeerState {
    return this.stateValue;
  }

  /** The 64-octet MSK, after EAP-Success (RFC 5216 §2.3; PMK = its first 32 octets). */
  get msk(): Buffer | undefined {
    return this.mskValue;
  }

  /**
   * An EAPOL-Key frame arrived: if the method has completed with keys, treat it as the lost
   * EAP-Success (IEEE 802.1X-2004 §8.1.9: the key exchange implies success, as
   * wpa_supplicant does). Returns whether the peer is now in 'success'.
   */
  implicitSuccess(): boolean {
    if (this.stateValue === 'success') return true;
    if (this.stateValue === 'failure') return false;
    const method = this.method;
    if (method === undefined || !method.successAcceptable || method.keyMaterial === undefined) return false;
    this.onSuccess();
    return (this.stateValue as EapPeerState) === 'success';
  }

  /** The 64-octet EMSK, after EAP-Success. */
  get emsk(): Buffer | undefined {
    return this.emskValue;
  }

  /** Why the conversation failed (TLS alert, certificate rejected, EAP-Failure, ...). */
  get error(): string | undefined {
    return this.errorValue;
  }

  /** Why the last ignored packet was ignored (malformed, unexpected, ...). */
  get lastDropReason(): string | undefined {
    return this.dropReason;
  }

  /** How many packets were ignored since construction. */
  get dropped(): number {
    return this.droppedCount;
  }

  /** The EAP Type this peer authenticates with: 13 (EAP-TLS) or 21 (EAP-TTLS). */
  get eapType(): number {
    return this.methodType;
  }

  /** The TLS version the method negotiated, once known. */
  get tlsVersion(): TlsVersion | undefined {
    return this.tlsVersionValue ?? this.method?.tlsVersion;
  }

  /**
   * Handles one EAP packet from the authenticator; resolves to the EAP Response to send,
   * or undefined (Success/Failure/ignored). Never rejects: protocol errors end in state
   * 'failure' with `error` set; bad packets are ignored (see lastDropReason).
   */
  receive(eap: Uint8Array): Promise<Buffer | undefined> {
    let packet: Buffer;
    try {
      packet = Buffer.from(eap); // the caller may reuse its buffer while we wait
    } catch {
      return Promise.resolve(this.drop('not a byte array'));
    }
    const epoch = this.epoch;
    const run = this.queue.then(() => (epoch === this.epoch ? this.handle(packet, epoch) : undefined));
    const settled = run.catch((err: unknown) => {
      if (epoch === this.epoch) this.fail(`internal error: ${err instanceof Error ? err.message : String(err)}`);
      return undefined;
    });
    this.queue = settled;
    return settled;
  }

  /** Forgets the conversation (keys wiped) and returns to 'idle'. */
  reset(): void {
    this.epoch++;
    this.restart();
    this.lastRequest = undefined;
    this.lastResponse = undefined;
    this.stateValue = 'idle';
  }

  private async handle(packet: Buffer, epoch: number): Promise<Buffer | undefined> {
    const decoded = decodeEap(packet);
    if (!decoded.ok) return this.drop(`malformed EAP packet: ${decoded.error.code}: ${decoded.error.detail}`);
    const p = decoded.value;
    switch (p.code) {
      case EapCode.Request:
        return this.onRequest(packet.subarray(0, 4 + 1 + p.data.length), p.identifier, p.type!, p.data, epoch);
      case EapCode.Success:
        this.onSuccess();
        return undefined;
      case EapCode.Failure:
        this.onFailure();
        return undefined;
      default:
        return this.drop(`EAP Code ${p.code} is not for a peer`);
    }
  }

  private async onRequest(request: Buffer, identifier: number, type: number, data: Buffer, epoch: number): Promise<Buffer | undefined> {
    // RFC 3748 §4.1: a retransmitted Request gets the same Response, not a second run. A
    // Request with the identifier of the last one but other contents is new (wpa_supplicant
    // does the same: some servers reuse identifiers).
    if (this.lastRequest !== undefined && this.lastResponse !== undefined && request.equals(this.lastRequest)) {
      return Buffer.from(this.lastResponse);
    }
    const ended = this.stateValue === 'success' || this.stateValue === 'failure';
    let response: Buffer | undefined;
    switch (type) {
      case EapType.Identity:
        // A new Identity request starts a new conversation (also after Success/Failure).
        if (this.method !== undefined || ended) this.restart();
        response = this.response(identifier, EapType.Identity, Buffer.from(this.outerIdentity(), 'utf8'));
        this.stateValue = 'identity';
        break;
      case EapType.Notification:
        // RFC 3748 §5.2: acknowledged with an empty Response/Notification.
        response = this.response(identifier, EapType.Notification, Buffer.alloc(0));
        break;
      case EapType.Nak:
        return this.drop('Nak is a Response type, not a Request');
      default: {
        if (ended) return this.drop(`Request type ${type} after the conversation ended (${this.stateValue})`);
        if (type === this.methodType) {
          response = await this.runMethod(identifier, data, epoch);
          if (response === undefined) return undefined;
          break;
        }
        // RFC 3748 §5.3: Nak only the initial Request of a method, never during our method.
        if (this.method?.started) return this.drop(`Request type ${type} during EAP type ${this.methodType}`);
        response = type === EapType.Expanded ? this.expandedNak(identifier) : this.response(identifier, EapType.Nak, Buffer.from([this.methodType]));
        if (this.stateValue === 'idle') this.stateValue = 'identity';
      }
    }
    this.lastRequest = Buffer.from(request);
    this.lastResponse = response;
    return Buffer.from(response);
  }

  private async runMethod(identifier: number, data: Buffer, epoch: number): Promise<Buffer | undefined> {
    this.method ??= new EapTlsMethod(this.methodOptions());
    const method = this.method;
    const out = await method.process(data);
    if (epoch !== this.epoch || method !== this.method) return undefined; // reset() while TLS worked
    if (out.kind === 'ignore') return this.drop(out.reason);
    this.tlsVersionValue = method.tlsVersion ?? this.tlsVersionValue;
    if (method.error !== undefined) this.fail(method.error);
    else this.stateValue = 'method';
    return this.response(identifier, this.methodType, out.typeData);
  }

  private onSuccess(): void {
    if (this.stateValue === 'success') return; // a repeated Success changes nothing
    if (this.stateValue === 'failure') {
      this.drop('EAP-Success after the method failed');
      return;
    }
    const method = this.method;
    if (method === undefined || !method.successAcceptable || method.keyMaterial === undefined) {
      // RFC 4137 §4.6: Success while the decision is FAIL ends in FAILURE.
      this.fail(`EAP-Success before the method completed (state ${this.stateValue})`);
      return;
    }
    this.mskValue = Buffer.from(method.keyMaterial.msk);
    this.emskValue = Buffer.from(method.keyMaterial.emsk);
    this.tlsVersionValue = method.tlsVersion ?? this.tlsVersionValue;
    method.close();
    this.method = undefined;
    this.lastRequest = undefined;
    this.lastResponse = undefined;
    this.stateValue = 'success';
  }

  private onFailure(): void {
    if (this.stateValue === 'success') {
      this.drop('EAP-Failure after EAP-Success');
      return;
    }
    this.fail(this.method?.error ?? 'EAP-Failure received');
    this.lastRequest = undefined;
    this.lastResponse = undefined;
  }

  private fail(error: string): void {
    this.errorValue ??= error;
    this.stateValue = 'failure';
    if (this.method !== undefined) {
      this.tlsVersionValue = this.method.tlsVersion ?? this.tlsVersionValue;
      // The TLS session is over; the last response stays stored for a retransmitted Request.
      this.method.close();
    }
    wipe(this.mskValue);
    wipe(this.emskValue);
    this.mskValue = undefined;
    this.emskValue = undefined;
  }

  /** A new conversation on the same peer (new Request/Identity). */
  private restart(): void {
    this.method?.close();
    this.method = undefined;
    wipe(this.mskValue);
    wipe(this.emskValue);
    this.mskValue = undefined;
    this.emskValue = undefined;
    this.errorValue = undefined;
    this.tlsVersionValue = undefined;
  }

  private drop(reason: string): undefined {
    this.dropReason = reason;
    this.droppedCount++;
    return undefined;
  }

  private outerIdentity(): string {
    return this.config.method === 'ttls-pap' ? (this.config.anonymousIdentity ?? this.identity) : this.identity;
  }

  private methodOptions(): TlsMethodOptions {
    const c = this.config;
    return c.method === 'tls'
      ? { method: 'tls', ca: c.ca, cert: c.cert, key: c.key, tlsVersion: c.tlsVersion, serverName: c.serverName, fragmentSize: this.fragmentSize }
      : { method: 'ttls-pap', ca: c.ca, username: c.username, password: c.password, tlsVersion: c.tlsVersion, serverName: c.serverName, fragmentSize: this.fragmentSize };
  }

  private response(identifier: number, type: number, data: Buffer): Buffer {
    return encodeEap({ code: EapCode.Response, identifier, type, data });
  }

  /** RFC 3748 §5.3.2: Expanded Nak naming our (IETF, vendor 0) method. */
  private expandedNak(identifier: number): Buffer {
    const data = Buffer.alloc(15);
    data.writeUIntBE(0, 0, 3); // Vendor-Id 0 (IETF)
    data.writeUInt32BE(EapType.Nak, 3); // Vendor-Type 3 (Nak)
    data[7] = EapType.Expanded; // the method we want, as an expanded type
    data.writeUIntBE(0, 8, 3); // its Vendor-Id
    data.writeUInt32BE(this.methodType, 11); // its Vendor-Type
    return this.response(identifier, EapType.Expanded, data);
  }
}
