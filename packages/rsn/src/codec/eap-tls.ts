/**
 * Type-Data of the TLS-based EAP methods: RFC 5216 §3.1 (EAP-TLS, also RFC 9190 for TLS
 * 1.3), RFC 5281 §9.1 (EAP-TTLS) and the PEAP draft share one framing:
 *
 *   Flags (1) | TLS Message Length (4, only with L) | TLS Data
 *
 * Flags: L 0x80 (length included), M 0x40 (more fragments), S 0x20 (start); 0x18 are
 * reserved; the low 3 bits carry the TTLS/PEAP version (reserved, zero, for EAP-TLS).
 * The TLS Message Length is the total of the TLS data being fragmented, so it may exceed
 * the data of this fragment. Reassembly is the method's business, not this codec's.
 */
import { fail, ok, type Result } from '../result.js';
import { asBuffer, checkInt } from './bytes.js';

/** Flag bits of the first Type-Data octet (RFC 5216 §3.1, RFC 5281 §9.1). */
export const EapTlsFlag = {
  /** L: a 4-octet TLS Message Length follows the flags. */
  LengthIncluded: 0x80,
  /** M: more fragments of this TLS message follow. */
  MoreFragments: 0x40,
  /** S: EAP-TLS/TTLS Start, sent by the server only. */
  Start: 0x20,
} as const;

/** Bits of the flags octet that carry the TTLS/PEAP version (RFC 5281 §9.1). */
export const EAP_TLS_VERSION_MASK = 0x07;

/** Octets of the flags field. */
export const EAP_TLS_FLAGS_LENGTH = 1;
/** Octets of the optional TLS Message Length field. */
export const EAP_TLS_MESSAGE_LENGTH_LENGTH = 4;

/** One EAP-TLS/TTLS/PEAP Type-Data, split into its fields. */
export interface EapTlsPayload {
  /** The flags octet without the version bits (L, M, S and the reserved bits 0x18). */
  flags: number;
  /** TTLS/PEAP version: the low 3 bits of the flags octet (0 for EAP-TLS). */
  version: number;
  /** TLS Message Length; present exactly when L is set. */
  messageLength?: number;
  /** TLS data of this fragment (may be empty: Start, ACK). */
  data: Buffer;
}

/**
 * Decodes the Type-Data of an EAP-TLS, EAP-TTLS or PEAP Request/Response. Never throws.
 * Errors: 'empty' (no flags octet), 'truncated' (L set and fewer than 4 octets of TLS
 * Message Length), 'bad-length' (a TLS Message Length smaller than the data carried here).
 * Trailing bytes: none exist — everything after the header is TLS data (EAP's Length
 * already bounded the Type-Data). Zero-copy: `data` is a view of `bytes`.
 */
export function decodeEapTlsPayload(bytes: Uint8Array): Result<EapTlsPayload> {
  if (bytes.length === 0) return fail('empty', 'no EAP-TLS flags octet');
  const b = asBuffer(bytes);
  const octet = b[0];
  const flags = octet & ~EAP_TLS_VERSION_MASK & 0xff;
  const version = octet & EAP_TLS_VERSION_MASK;
  if ((flags & EapTlsFlag.LengthIncluded) === 0) {
    return ok({ flags, version, data: b.subarray(EAP_TLS_FLAGS_LENGTH) });
  }
  const headerLength = EAP_TLS_FLAGS_LENGTH + EAP_TLS_MESSAGE_LENGTH_LENGTH;
  if (b.length < headerLength) {
    return fail('truncated', `L flag set but only ${b.length - EAP_TLS_FLAGS_LENGTH} of 4 TLS Message Length octets present`);
  }
  const messageLength = b.readUInt32BE(EAP_TLS_FLAGS_LENGTH);
  const data = b.subarray(headerLength);
  if (messageLength < data.length) {
    return fail('bad-length', `TLS Message Length ${messageLength} is smaller than the ${data.length} octets of TLS data carried`);
  }
  return ok({ flags, version, messageLength, data });
}

/**
 * Encodes EAP-TLS/TTLS/PEAP Type-Data. The L bit of `flags` and `messageLength` must agree
 * (both present or both absent); `version` must fit in 3 bits and `flags` must not use
 * them. Throws RangeError on such caller errors, never on a decoded value.
 */
export function encodeEapTlsPayload(p: EapTlsPayload): Buffer {
  checkInt('EAP-TLS flags', p.flags, 0, 0xff);
  checkInt('EAP-TLS version', p.version, 0, EAP_TLS_VERSION_MASK);
  if ((p.flags & EAP_TLS_VERSION_MASK) !== 0) {
    throw new RangeError(`EAP-TLS flags 0x${p.flags.toString(16)} use the version bits; put the version in 'version'`);
  }
  const hasL = (p.flags & EapTlsFlag.LengthIncluded) !== 0;
  if (hasL !== (p.messageLength !== undefined)) {
    throw new RangeError(hasL ? 'L flag set without a TLS Message Length' : 'TLS Message Length given without the L flag');
  }
  if (p.messageLength !== undefined) {
    checkInt('TLS Message Length', p.messageLength, p.data.length, 0xffffffff);
  }
  const headerLength = EAP_TLS_FLAGS_LENGTH + (hasL ? EAP_TLS_MESSAGE_LENGTH_LENGTH : 0);
  const out = Buffer.allocUnsafe(headerLength + p.data.length);
  out[0] = p.flags | p.version;
  if (p.messageLength !== undefined) out.writeUInt32BE(p.messageLength, EAP_TLS_FLAGS_LENGTH);
  out.set(p.data, headerLength);
  return out;
}
