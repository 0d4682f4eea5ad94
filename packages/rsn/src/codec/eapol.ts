/**
 * EAPOL PDU header: IEEE 802.1X-2004 §11.3 (Protocol Version, Packet Type, Packet Body
 * Length, Packet Body), as carried after the Ethernet header with ethertype 0x888E.
 */
import { fail, ok, type Result } from '../result.js';
import { asBuffer, checkInt } from './bytes.js';

/** Octets of the EAPOL header before the Packet Body (§11.3.1). */
export const EAPOL_HEADER_LENGTH = 4;

/** EAPOL Packet Type values (IEEE 802.1X-2004 §11.3.2, Table 11-3). */
export const EapolType = { EapPacket: 0, Start: 1, Logoff: 2, Key: 3, EncapsulatedAsfAlert: 4 } as const;

/** One EAPOL PDU: header fields and the packet body. */
export interface EapolFrame {
  /** Protocol Version: 1 (802.1X-2001), 2 (-2004) or 3 (-2010). */
  version: number;
  /** Packet Type (see EapolType); later revisions define more, so any value is carried. */
  type: number;
  /** Packet Body, exactly Packet Body Length octets. */
  body: Buffer;
}

/**
 * Decodes an EAPOL PDU from the start of `buf` (the octet after the ethertype).
 *
 * Trailing bytes: `body` is exactly the declared Packet Body Length; octets after it are
 * ignored (Ethernet pads short frames to 60 octets). A declared length beyond the buffer is
 * 'length-overflow'. Any version >= 1 is accepted (wpa_supplicant sends 1, 802.1X-2004
 * uses 2, -2010 uses 3); version 0 is 'bad-version'. Any Packet Type is accepted: the caller
 * dispatches on it.
 *
 * Zero-copy: `body` is a view of `buf`.
 */
export function decodeEapol(buf: Uint8Array): Result<EapolFrame> {
  if (buf.length === 0) return fail('empty', 'no EAPOL header');
  if (buf.length < EAPOL_HEADER_LENGTH) {
    return fail('truncated', `EAPOL header needs ${EAPOL_HEADER_LENGTH} octets, got ${buf.length}`);
  }
  const version = buf[0];
  if (version === 0) return fail('bad-version', 'EAPOL protocol version 0');
  const bodyLength = (buf[2] << 8) | buf[3];
  const end = EAPOL_HEADER_LENGTH + bodyLength;
  if (end > buf.length) {
    return fail('length-overflow', `Packet Body Length ${bodyLength} exceeds the ${buf.length - EAPOL_HEADER_LENGTH} octets present`);
  }
  return ok({ version, type: buf[1], body: asBuffer(buf).subarray(EAPOL_HEADER_LENGTH, end) });
}

/** Encodes an EAPOL PDU (header + body); throws RangeError on out-of-range fields. */
export function encodeEapol(frame: EapolFrame): Buffer {
  checkInt('EAPOL version', frame.version, 0, 0xff);
  checkInt('EAPOL packet type', frame.type, 0, 0xff);
  checkInt('EAPOL body length', frame.body.length, 0, 0xffff);
  const out = Buffer.allocUnsafe(EAPOL_HEADER_LENGTH + frame.body.length);
  out[0] = frame.version;
  out[1] = frame.type;
  out.writeUInt16BE(frame.body.length, 2);
  out.set(frame.body, EAPOL_HEADER_LENGTH);
  return out;
}
