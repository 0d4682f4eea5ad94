/**
 * Diameter AVPs as EAP-TTLS tunnels them (RFC 5281 §10.1), and the PAP inner
 * authentication (RFC 5281 §11.2.5):
 *
 *   AVP Code (4) | V M r r r r r r (1) | AVP Length (3) | [Vendor-ID (4) if V] | Data | padding to 4
 *
 * AVP Length counts the header and the data, not the padding. RADIUS attribute numbers
 * are used as AVP codes with no vendor (RFC 5281 §10.2).
 */
import { fail, ok, type Result } from '@airlock/rsn';

/** AVP codes used here (RADIUS attribute types, RFC 2865 §5, RFC 3579). */
export const TtlsAvpCode = { UserName: 1, UserPassword: 2, ReplyMessage: 18, EapMessage: 79 } as const;

/** AVP flag bits (RFC 5281 §10.1). */
export const TtlsAvpFlag = { VendorSpecific: 0x80, Mandatory: 0x40 } as const;

/** Header octets without and with the Vendor-ID. */
const AVP_HEADER_LENGTH = 8;
const AVP_VENDOR_HEADER_LENGTH = 12;
/** Largest AVP Length (24 bits). */
const MAX_AVP_LENGTH = 0xffffff;

/** One AVP. The reserved flag bits are ignored on receipt and sent as zero (RFC 5281 §10.1). */
export interface TtlsAvp {
  /** AVP Code: a RADIUS attribute type when `vendorId` is absent. */
  code: number;
  /** M: the receiver must understand this AVP or fail the conversation. */
  mandatory: boolean;
  /** Vendor-ID (V set) for vendor-specific AVPs. */
  vendorId?: number;
  /** The AVP data, without padding. */
  data: Buffer;
}

/**
 * Decodes a sequence of AVPs (the decrypted application data of an EAP-TTLS message).
 * Never throws. Errors: 'truncated' (header cut), 'bad-length' (AVP Length shorter than
 * its header), 'length-overflow' (AVP Length beyond the data). Padding: each AVP is
 * followed by zero to 3 octets to a 4-octet boundary; missing padding after the last AVP
 * is accepted (some peers omit it), padding contents are not checked. Zero-copy views.
 */
export function decodeTtlsAvps(bytes: Uint8Array): Result<TtlsAvp[]> {
  const b = Buffer.isBuffer(bytes) ? bytes : Buffer.from(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  const out: TtlsAvp[] = [];
  let off = 0;
  while (off < b.length) {
    if (b.length - off < AVP_HEADER_LENGTH) return fail('truncated', `AVP header at offset ${off} needs 8 octets, ${b.length - off} left`);
    const code = b.readUInt32BE(off);
    const flags = b[off + 4];
    const length = b.readUIntBE(off + 5, 3);
    const vendor = (flags & TtlsAvpFlag.VendorSpecific) !== 0;
    const headerLength = vendor ? AVP_VENDOR_HEADER_LENGTH : AVP_HEADER_LENGTH;
    if (vendor && b.length - off < AVP_VENDOR_HEADER_LENGTH) return fail('truncated', `vendor AVP header at offset ${off} needs 12 octets, ${b.length - off} left`);
    if (length < headerLength) return fail('bad-length', `AVP Length ${length} at offset ${off} is shorter than its ${headerLength}-octet header`);
    if (length > b.length - off) return fail('length-overflow', `AVP Length ${length} at offset ${off} exceeds the ${b.length - off} octets left`);
    const avp: TtlsAvp = { code, mandatory: (flags & TtlsAvpFlag.Mandatory) !== 0, data: b.subarray(off + headerLength, off + length) };
    if (vendor) avp.vendorId = b.readUInt32BE(off + AVP_HEADER_LENGTH);
    out.push(avp);
    off = Math.min(b.length, off + length + ((4 - (length % 4)) % 4));
  }
  return ok(out);
}

/** Encodes AVPs, each padded with zeros to 4 octets. Throws RangeError on out-of-range fields. */
export function encodeTtlsAvps(avps: readonly TtlsAvp[]): Buffer {
  const parts: Buffer[] = [];
  for (const avp of avps) {
    if (!Number.isInteger(avp.code) || avp.code < 0 || avp.code > 0xffffffff) throw new RangeError(`AVP Code must be a 32-bit integer, got ${String(avp.code)}`);
    const vendor = avp.vendorId !== undefined;
    if (vendor && (!Number.isInteger(avp.vendorId) || avp.vendorId! < 0 || avp.vendorId! > 0xffffffff)) {
      throw new RangeError(`Vendor-ID must be a 32-bit integer, got ${String(avp.vendorId)}`);
    }
    const headerLength = vendor ? AVP_VENDOR_HEADER_LENGTH : AVP_HEADER_LENGTH;
    const length = headerLength + avp.data.length;
    if (length > MAX_AVP_LENGTH) throw new RangeError(`AVP of ${length} octets exceeds the 24-bit AVP Length`);
    const padded = length + ((4 - (length % 4)) % 4);
    const out = Buffer.alloc(padded);
    out.writeUInt32BE(avp.code, 0);
    out[4] = (vendor ? TtlsAvpFlag.VendorSpecific : 0) | (avp.mandatory ? TtlsAvpFlag.Mandatory : 0);
    out.writeUIntBE(length, 5, 3);
    if (vendor) out.writeUInt32BE(avp.vendorId!, AVP_HEADER_LENGTH);
    out.set(avp.data, headerLength);
    parts.push(out);
  }
  return Buffer.concat(parts);
}

/**
 * The PAP inner authentication (RFC 5281 §11.2.5): User-Name and User-Password, both
 * mandatory. The password is not obfuscated as in RADIUS (the tunnel protects it) but is
 * padded with NULs to a multiple of 16 octets, at least 16, to hide its length — the
 * RADIUS User-Password rule (RFC 2865 §5.2) that wpa_supplicant and FreeRADIUS follow.
 */
export function encodePapAvps(username: string, password: string): Buffer {
  const pw = Buffer.from(password, 'utf8');
  const paddedLength = Math.max(16, Math.ceil(pw.length / 16) * 16);
  const paddedPassword = Buffer.alloc(paddedLength);
  pw.copy(paddedPassword);
  pw.fill(0);
  const out = encodeTtlsAvps([
    { code: TtlsAvpCode.UserName, mandatory: true, data: Buffer.from(username, 'utf8') },
    { code: TtlsAvpCode.UserPassword, mandatory: true, data: paddedPassword },
  ]);
  paddedPassword.fill(0);
  return out;
}
