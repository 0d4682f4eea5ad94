/**
 * EAPOL over Ethernet: IEEE 802.1X-2004 §7.5 / §11.1 (the PAE EtherType 0x888E, the
 * destination address) on an IEEE 802.3 MAC frame without FCS, as libpcap delivers and
 * sends it: Destination Address, Source Address, EtherType, then the EAPOL PDU, padded to
 * the 60-octet minimum frame (64 with the FCS the hardware adds).
 */
import { fail, ok, type Result } from '@airlock/rsn';

/** The PAE EtherType (IEEE 802.1X-2004 §7.5, Table 7-1). */
export const ETHERTYPE_PAE = 0x888e;
/** Destination, source, EtherType. */
export const ETHERNET_HEADER_LENGTH = 14;
/** The smallest frame on the wire without its FCS (IEEE 802.3 minFrameSize 64 minus 4). */
export const ETHERNET_MIN_FRAME_LENGTH = 60;
/** EAPOL header: Protocol Version, Packet Type, Packet Body Length (IEEE 802.1X-2004 §11.3). */
const EAPOL_HEADER_LENGTH = 4;

/** An EAPOL PDU in an Ethernet frame. */
export interface EthernetEapolFrame {
  /** Destination Address (6 octets). */
  destination: Buffer;
  /** Source Address (6 octets). */
  source: Buffer;
  /** The EAPOL PDU from its 802.1X header to the end of its declared body: padding removed. */
  eapol: Buffer;
}

/**
 * Decodes an Ethernet frame carrying EAPOL.
 *
 * Extent: the EAPOL Packet Body Length decides where the PDU ends, never the captured
 * length — a short frame arrives padded to 60 octets (and a capture may add more), and
 * the padding is not part of the PDU (the EAPOL-Key MIC covers the PDU only). Trailing
 * octets after the declared body are ignored. A declared body longer than the frame is
 * 'length-overflow'. A frame with another EtherType (including an 802.1Q tag) is 'bad-type'.
 *
 * Zero-copy: the fields are views of `frame`.
 */
export function decodeEthernetEapol(frame: Uint8Array): Result<EthernetEapolFrame> {
  if (frame.length === 0) return fail('empty', 'no Ethernet header');
  if (frame.length < ETHERNET_HEADER_LENGTH) {
    return fail('truncated', `Ethernet header needs ${ETHERNET_HEADER_LENGTH} octets, got ${frame.length}`);
  }
  const buf = Buffer.from(frame.buffer, frame.byteOffset, frame.byteLength);
  const etherType = buf.readUInt16BE(12);
  if (etherType !== ETHERTYPE_PAE) return fail('bad-type', `EtherType 0x${etherType.toString(16).padStart(4, '0')} is not EAPOL (0x888e)`);
  const pdu = buf.subarray(ETHERNET_HEADER_LENGTH);
  if (pdu.length < EAPOL_HEADER_LENGTH) {
    return fail('truncated', `EAPOL header needs ${EAPOL_HEADER_LENGTH} octets, got ${pdu.length}`);
  }
  const bodyLength = pdu.readUInt16BE(2);
  const end = EAPOL_HEADER_LENGTH + bodyLength;
  if (end > pdu.length) {
    return fail('length-overflow', `EAPOL Packet Body Length ${bodyLength} exceeds the ${pdu.length - EAPOL_HEADER_LENGTH} octets in the frame`);
  }
  return ok({ destination: buf.subarray(0, 6), source: buf.subarray(6, 12), eapol: pdu.subarray(0, end) });
}

/**
 * Encodes an Ethernet frame carrying `f.eapol` (sent as given, byte for byte), padded
 * with zero octets to the 60-octet minimum. Throws RangeError on addresses that are not 6
 * octets or a PDU shorter than its 4-octet header.
 */
export function encodeEthernetEapol(f: EthernetEapolFrame): Buffer {
  if (f.destination.length !== 6) throw new RangeError(`destination address must be 6 octets, got ${f.destination.length}`);
  if (f.source.length !== 6) throw new RangeError(`source address must be 6 octets, got ${f.source.length}`);
  if (f.eapol.length < EAPOL_HEADER_LENGTH) throw new RangeError(`EAPOL PDU must be at least ${EAPOL_HEADER_LENGTH} octets, got ${f.eapol.length}`);
  const length = Math.max(ETHERNET_MIN_FRAME_LENGTH, ETHERNET_HEADER_LENGTH + f.eapol.length);
  const out = Buffer.alloc(length); // zero padding
  out.set(f.destination, 0);
  out.set(f.source, 6);
  out.writeUInt16BE(ETHERTYPE_PAE, 12);
  out.set(f.eapol, ETHERNET_HEADER_LENGTH);
  return out;
}
