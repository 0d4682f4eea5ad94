/**
 * RADIUS packets, RFC 2865 §3 (Code, Identifier, Length, Authenticator, Attributes) and
 * §5 (Type, Length, Value attributes). The decoder judges framing only: any Code is
 * carried, attribute values are not interpreted. Authenticators are checked by
 * ./authenticator.ts.
 */
import { fail, ok, type Result } from '@airlock/bytes';
import { asBuffer, checkInt, checkLength } from './bytes.js';
import {
  AUTHENTICATOR_LENGTH,
  MAX_ATTRIBUTE_VALUE_LENGTH,
  RADIUS_HEADER_LENGTH,
  RADIUS_MAX_LENGTH,
  RADIUS_MIN_LENGTH,
} from './constants.js';

/** One attribute: its Type and its Value (at most 253 octets). */
export interface RadiusAttribute {
  type: number;
  value: Buffer;
}

/** One RADIUS packet. */
export interface RadiusPacket {
  code: number;
  identifier: number;
  /** The 16-octet Authenticator field as carried (Request or Response Authenticator). */
  authenticator: Buffer;
  /** Attributes in packet order. */
  attributes: RadiusAttribute[];
}

/** Where one attribute sits in a packet: offset of its Type octet, and its Value. */
export interface AttributeSpan {
  type: number;
  /** Offset of the Type octet from the start of the packet. */
  offset: number;
  /** Offset of the Value from the start of the packet. */
  valueOffset: number;
  /** Octets of the Value. */
  valueLength: number;
}

/** A framed packet: its declared Length and where its attributes are. */
export interface PacketFrame {
  length: number;
  spans: AttributeSpan[];
}

/**
 * Checks the framing of a RADIUS packet (RFC 2865 §3) and locates its attributes. Never
 * throws. Error codes: 'empty'; 'truncated' (fewer than 4 octets: no Length to read);
 * 'bad-length' (Length < 20 or > 4096, or an attribute Length < 2); 'length-overflow'
 * (Length beyond the octets present, or an attribute running past Length).
 */
export function frameRadius(buf: Uint8Array): Result<PacketFrame> {
  if (buf.length === 0) return fail('empty', 'no RADIUS header');
  if (buf.length < 4) return fail('truncated', `RADIUS header needs 4 octets to read Length, got ${buf.length}`);
  const length = (buf[2] << 8) | buf[3];
  if (length < RADIUS_MIN_LENGTH || length > RADIUS_MAX_LENGTH) {
    return fail('bad-length', `RADIUS Length ${length} is outside [${RADIUS_MIN_LENGTH}, ${RADIUS_MAX_LENGTH}]`);
  }
  if (length > buf.length) return fail('length-overflow', `RADIUS Length ${length} exceeds the ${buf.length} octets present`);
  const spans: AttributeSpan[] = [];
  let off = RADIUS_HEADER_LENGTH;
  while (off < length) {
    if (off + 2 > length) return fail('length-overflow', `attribute at offset ${off} has no Length octet before the packet ends at ${length}`);
    const type = buf[off];
    const alen = buf[off + 1];
    if (alen < 2) return fail('bad-length', `attribute ${type} at offset ${off} has Length ${alen} (< 2)`);
    if (off + alen > length) {
      return fail('length-overflow', `attribute ${type} at offset ${off} with Length ${alen} runs past the packet Length ${length}`);
    }
    spans.push({ type, offset: off, valueOffset: off + 2, valueLength: alen - 2 });
    off += alen;
  }
  return ok({ length, spans });
}

/**
 * Decodes a RADIUS packet. Never throws; error codes as for frameRadius. Trailing bytes:
 * octets after Length are padding and ignored (RFC 2865 §3: "Octets outside the range of
 * the Length field MUST be treated as padding and ignored on reception"). Zero-copy: the
 * authenticator and every attribute value are views of `buf`; copy them to keep them
 * beyond the life of the input buffer.
 */
export function decodeRadius(buf: Uint8Array): Result<RadiusPacket> {
  const framed = frameRadius(buf);
  if (!framed.ok) return framed;
  return ok(packetOfFrame(buf, framed.value));
}

/** The packet `frame` (frameRadius of `buf`) describes; zero-copy views of `buf`, as decodeRadius. */
export function packetOfFrame(buf: Uint8Array, frame: PacketFrame): RadiusPacket {
  const b = asBuffer(buf);
  const attributes = frame.spans.map((s) => ({
    type: s.type,
    value: b.subarray(s.valueOffset, s.valueOffset + s.valueLength),
  }));
  return {
    code: b[0],
    identifier: b[1],
    authenticator: b.subarray(4, RADIUS_HEADER_LENGTH),
    attributes,
  };
}

/** The Length an encoding of `p` has (header plus 2 + value octets per attribute). */
export function radiusEncodingLength(p: RadiusPacket): number {
  let length = RADIUS_HEADER_LENGTH;
  for (const a of p.attributes) length += 2 + a.value.length;
  return length;
}

/**
 * Encodes a RADIUS packet as given (the authenticator is written unchanged; signing is
 * ./authenticator.ts's job). Throws RangeError when the packet would exceed 4096 octets,
 * an attribute value exceeds 253 octets, the authenticator is not 16 octets, or a Code,
 * Identifier or Type is outside one octet.
 */
export function encodeRadius(p: RadiusPacket): Buffer {
  return encodeRadiusAfter(p, 0);
}

/**
 * encodeRadius with `reserved` octets left (uninitialised) between the header and the
 * attributes, for an attribute the caller writes there (the signed requests' leading
 * Message-Authenticator) without copying the attribute list. RangeError as encodeRadius.
 */
export function encodeRadiusAfter(p: Omit<RadiusPacket, 'attributes'> & { attributes: readonly RadiusAttribute[] }, reserved: number): Buffer {
  checkInt('RADIUS Code', p.code, 0, 255);
  checkInt('RADIUS Identifier', p.identifier, 0, 255);
  checkLength('RADIUS Authenticator', p.authenticator, AUTHENTICATOR_LENGTH);
  let length = RADIUS_HEADER_LENGTH + reserved;
  for (const a of p.attributes) {
    checkInt('attribute Type', a.type, 0, 255);
    if (a.value.length > MAX_ATTRIBUTE_VALUE_LENGTH) {
      throw new RangeError(`attribute ${a.type} value of ${a.value.length} octets exceeds ${MAX_ATTRIBUTE_VALUE_LENGTH}`);
    }
    length += 2 + a.value.length;
  }
  if (length > RADIUS_MAX_LENGTH) throw new RangeError(`RADIUS packet of ${length} octets exceeds ${RADIUS_MAX_LENGTH}`);
  const out = Buffer.allocUnsafe(length);
  out[0] = p.code;
  out[1] = p.identifier;
  out.writeUInt16BE(length, 2);
  out.set(p.authenticator, 4);
  let off = RADIUS_HEADER_LENGTH + reserved;
  for (const a of p.attributes) {
    out[off] = a.type;
    out[off + 1] = a.value.length + 2;
    out.set(a.value, off + 2);
    off += a.value.length + 2;
  }
  return out;
}
