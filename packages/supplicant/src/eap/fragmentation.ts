/**
 * Fragmentation of TLS data over EAP (RFC 5216 §2.1.5, RFC 5281 §9.2.2): TLS messages
 * larger than one EAP packet travel as fragments, the first with the L flag and the total
 * length, all but the last with the M flag; each fragment is acknowledged by the other
 * side with an EAP-TLS packet without data.
 */
import { EapTlsFlag, type EapTlsPayload } from '@airlock/rsn';

/** Default largest TLS data per fragment: wpa_supplicant's fragment_size (1398). */
export const DEFAULT_FRAGMENT_SIZE = 1398;

/** Largest reassembled TLS message accepted (wpa_supplicant's limit for EAP-TLS input). */
export const MAX_TLS_MESSAGE_LENGTH = 65536;

/**
 * The EAP-TLS payloads that carry `data`: one payload without L when it fits in
 * `fragmentSize` octets (wpa_supplicant's default; an empty `data` gives the ACK payload),
 * else fragments of `fragmentSize` octets, the first with L and the total, all but the last
 * with M.
 */
export function fragmentTlsData(data: Buffer, fragmentSize: number, version: number): EapTlsPayload[] {
  if (!Number.isInteger(fragmentSize) || fragmentSize < 1) throw new RangeError(`fragment size must be a positive integer, got ${String(fragmentSize)}`);
  if (data.length <= fragmentSize) return [{ flags: 0, version, data }];
  const out: EapTlsPayload[] = [];
  for (let off = 0; off < data.length; off += fragmentSize) {
    const end = Math.min(off + fragmentSize, data.length);
    const more = end < data.length ? EapTlsFlag.MoreFragments : 0;
    if (off === 0) out.push({ flags: EapTlsFlag.LengthIncluded | more, version, messageLength: data.length, data: data.subarray(off, end) });
    else out.push({ flags: more, version, data: data.subarray(off, end) });
  }
  return out;
}

/** What adding a fragment gave. */
export type ReassemblyResult =
  | { kind: 'more' }
  | { kind: 'complete'; message: Buffer }
  | { kind: 'invalid'; detail: string };

/**
 * Reassembles incoming fragments. add() is atomic: an invalid fragment is reported and
 * leaves the reassembly as it was (the packet is dropped, CONVENTIONS 6).
 */
export class TlsReassembly {
  private parts: Buffer[] = [];
  private received = 0;
  private total: number | undefined;

  /** A reassembly is in progress (a fragment with M was accepted, the last not yet). */
  get inProgress(): boolean {
    return this.parts.length > 0;
  }

  /** Adds one payload (its S flag is the caller's business). */
  add(p: EapTlsPayload): ReassemblyResult {
    const more = (p.flags & EapTlsFlag.MoreFragments) !== 0;
    const first = !this.inProgress;
    // Some servers repeat L on every fragment; only the first one's value counts.
    const total = first ? p.messageLength : this.total;
    if (total !== undefined && total > MAX_TLS_MESSAGE_LENGTH) {
      return { kind: 'invalid', detail: `TLS Message Length ${total} exceeds ${MAX_TLS_MESSAGE_LENGTH}` };
    }
    const received = this.received + p.data.length;
    if (received > (total ?? MAX_TLS_MESSAGE_LENGTH)) {
      return { kind: 'invalid', detail: `fragments carry ${received} octets, more than the ${total ?? MAX_TLS_MESSAGE_LENGTH} announced` };
    }
    if (more && p.data.length === 0) {
      return { kind: 'invalid', detail: 'fragment with M set and no data' };
    }
    if (!more && total !== undefined && received !== total) {
      return { kind: 'invalid', detail: `the message ends at ${received} of ${total} announced octets` };
    }
    if (first && !more) return { kind: 'complete', message: p.data };
    this.parts.push(Buffer.from(p.data));
    this.received = received;
    this.total = total;
    if (more) return { kind: 'more' };
    const message = Buffer.concat(this.parts);
    this.reset();
    return { kind: 'complete', message };
  }

  /** Forgets any partial message. */
  reset(): void {
    this.parts = [];
    this.received = 0;
    this.total = undefined;
  }
}
