/**
 * EAP packets, RFC 3748 §4: Code, Identifier, Length, and for Request/Response a Type and
 * Type-Data. The authenticator relays most of them to RADIUS untouched (RFC 3579); it
 * reads Code, Identifier and Type, and builds Request/Identity, Success and Failure.
 */
import { fail, ok, type Result } from '../result.js';

/** EAP Code values (RFC 3748 §4). */
export const EapCode = { Request: 1, Response: 2, Success: 3, Failure: 4 } as const;

/** EAP Type values used here (RFC 3748 §5, IANA "EAP Method Types"). */
export const EapType = { Identity: 1, Notification: 2, Nak: 3, Md5Challenge: 4, Tls: 13, Ttls: 21, Peap: 25, MsChapV2: 26, Expanded: 254 } as const;

/** Names of EAP methods (IANA "EAP Method Types"), as operators know them. */
const EAP_METHOD_NAMES: Readonly<Record<number, string>> = {
  4: 'EAP-MD5', 5: 'EAP-OTP', 6: 'EAP-GTC', 13: 'EAP-TLS', 17: 'LEAP', 18: 'EAP-SIM', 21: 'EAP-TTLS', 23: 'EAP-AKA',
  25: 'PEAP', 26: 'EAP-MSCHAPv2', 43: 'EAP-FAST', 47: 'EAP-PSK', 49: 'EAP-IKEv2', 50: "EAP-AKA'", 52: 'EAP-pwd',
  55: 'TEAP', 254: 'expanded EAP type',
};

/** "EAP-TTLS" for 21, "EAP type 99" for a type without a name here, "" for 0 (not known yet). */
export function eapMethodName(type: number): string {
  if (type === 0) return '';
  return EAP_METHOD_NAMES[type] ?? `EAP type ${type}`;
}

/** Octets of the EAP header (Code, Identifier, Length). */
export const EAP_HEADER_LENGTH = 4;

/** One EAP packet. */
export interface EapPacket {
  code: number;
  identifier: number;
  /** Type of a Request or Response; undefined for Success and Failure. */
  type: number | undefined;
  /** Type-Data (after the Type octet); empty for Success and Failure. */
  data: Buffer;
}

/**
 * Decodes an EAP packet. Trailing bytes: octets after Length are ignored (RFC 3748 §4.1:
 * "Octets outside the range of the Length field should be treated as Data Link Layer
 * padding"). A Request/Response without a Type is 'truncated'; a Success/Failure longer
 * than 4 octets keeps its extra octets in `data` (RFC 3748 says they are ignored).
 * Zero-copy: `data` is a view of `buf`.
 */
export function decodeEap(buf: Uint8Array): Result<EapPacket> {
  if (buf.length === 0) return fail('empty', 'no EAP header');
  if (buf.length < EAP_HEADER_LENGTH) return fail('truncated', `EAP header needs 4 octets, got ${buf.length}`);
  const code = buf[0];
  const identifier = buf[1];
  const length = (buf[2] << 8) | buf[3];
  if (length < EAP_HEADER_LENGTH) return fail('bad-length', `EAP Length ${length} is shorter than the header`);
  if (length > buf.length) return fail('length-overflow', `EAP Length ${length} exceeds the ${buf.length} octets present`);
  if (code < EapCode.Request || code > 6) return fail('bad-type', `EAP Code ${code} is not defined`);
  const b = Buffer.from(buf.buffer, buf.byteOffset, length);
  if (code === EapCode.Request || code === EapCode.Response) {
    if (length < EAP_HEADER_LENGTH + 1) return fail('truncated', `EAP ${code === 1 ? 'Request' : 'Response'} without a Type`);
    return ok({ code, identifier, type: b[4], data: b.subarray(5) });
  }
  return ok({ code, identifier, type: undefined, data: b.subarray(4) });
}

/** Encodes an EAP packet (Length computed). */
export function encodeEap(p: EapPacket): Buffer {
  const hasType = p.type !== undefined;
  const length = EAP_HEADER_LENGTH + (hasType ? 1 : 0) + p.data.length;
  if (length > 0xffff) throw new RangeError(`EAP packet of ${length} octets exceeds the 16-bit Length`);
  const out = Buffer.allocUnsafe(length);
  out[0] = p.code;
  out[1] = p.identifier & 0xff;
  out.writeUInt16BE(length, 2);
  if (hasType) {
    out[4] = p.type!;
    p.data.copy(out, 5);
  } else {
    p.data.copy(out, 4);
  }
  return out;
}
