/**
 * Netlink message codec (RFC 3549 §2.3; Linux include/uapi/linux/netlink.h and
 * genetlink.h): the nlmsghdr, the generic netlink header, and the type-length-value
 * attributes (struct nlattr, 4-octet aligned) that nl80211 and rtnetlink carry.
 *
 * Encoding builds attributes from a small tree of values; decoding never throws: it returns
 * a Result, and an attribute whose length runs past its container ends the walk with
 * 'length-overflow'. Host byte order is little-endian on every architecture the agent
 * targets (x86, arm, arm64); the codec writes LE.
 */
import { asBuffer, fail, ok, type Result } from '@airlock/rsn';

/** nlmsghdr flags. */
export const NLM_F = { REQUEST: 0x1, MULTI: 0x2, ACK: 0x4, ROOT: 0x100, MATCH: 0x200, DUMP: 0x300, ACK_TLVS: 0x200 } as const;

/** Control message types. */
export const NLMSG = { NOOP: 1, ERROR: 2, DONE: 3, OVERRUN: 4 } as const;

/** The nlattr type bit that marks a nested attribute set (optional on send). */
export const NLA_F_NESTED = 0x8000;

/** Length of the nlmsghdr. */
export const NLMSG_HDRLEN = 16;
/** Length of the generic netlink header (cmd, version, reserved). */
export const GENL_HDRLEN = 4;

/** An attribute value to encode. */
export type AttrValue =
  | { u8: number }
  | { u16: number }
  | { u32: number }
  | { u64: bigint }
  | { flag: true }
  | { bytes: Uint8Array }
  /** NUL-terminated string. */
  | { string: string }
  | { nested: Attr[] };

/** One attribute to encode: its type number and value. */
export interface Attr {
  type: number;
  value: AttrValue;
}

/** Shorthands for building attribute lists. */
export const attr = {
  u8: (type: number, v: number): Attr => ({ type, value: { u8: v } }),
  u16: (type: number, v: number): Attr => ({ type, value: { u16: v } }),
  u32: (type: number, v: number): Attr => ({ type, value: { u32: v } }),
  u64: (type: number, v: bigint): Attr => ({ type, value: { u64: v } }),
  flag: (type: number): Attr => ({ type, value: { flag: true } }),
  bytes: (type: number, v: Uint8Array): Attr => ({ type, value: { bytes: v } }),
  string: (type: number, v: string): Attr => ({ type, value: { string: v } }),
  nested: (type: number, v: Attr[]): Attr => ({ type, value: { nested: v } }),
};

function align4(n: number): number {
  return (n + 3) & ~3;
}

function payloadLength(v: AttrValue): number {
  if ('u8' in v) return 1;
  if ('u16' in v) return 2;
  if ('u32' in v) return 4;
  if ('u64' in v) return 8;
  if ('flag' in v) return 0;
  if ('bytes' in v) return v.bytes.length;
  if ('string' in v) return Buffer.byteLength(v.string) + 1;
  return attrsLength(v.nested);
}

/** Encoded length of an attribute list (each one padded to 4 octets). */
export function attrsLength(attrs: readonly Attr[]): number {
  let n = 0;
  for (const a of attrs) n += align4(4 + payloadLength(a.value));
  return n;
}

/** Writes `attrs` into `buf` at `off`; returns the offset after them. */
function writeAttrs(buf: Buffer, off: number, attrs: readonly Attr[]): number {
  for (const a of attrs) {
    const len = 4 + payloadLength(a.value);
    const v = a.value;
    buf.writeUInt16LE(len, off);
    buf.writeUInt16LE('nested' in v ? a.type | NLA_F_NESTED : a.type, off + 2);
    const p = off + 4;
    if ('u8' in v) buf.writeUInt8(v.u8, p);
    else if ('u16' in v) buf.writeUInt16LE(v.u16, p);
    else if ('u32' in v) buf.writeUInt32LE(v.u32 >>> 0, p);
    else if ('u64' in v) buf.writeBigUInt64LE(v.u64, p);
    else if ('bytes' in v) buf.set(v.bytes, p);
    else if ('string' in v) buf.write(v.string, p);
    else if ('nested' in v) writeAttrs(buf, p, v.nested);
    off += align4(len);
  }
  return off;
}

/** Encodes an attribute list alone (e.g. the payload of an rtnetlink message after its fixed header). */
export function encodeAttrs(attrs: readonly Attr[]): Buffer {
  const buf = Buffer.alloc(attrsLength(attrs));
  writeAttrs(buf, 0, attrs);
  return buf;
}

/** The header fields of a message to encode. */
export interface NlmsgHeader {
  type: number;
  flags: number;
  seq: number;
  /** Sender port id; 0 lets the kernel fill it in. */
  pid?: number;
}

/** Encodes a netlink message: header, then `fixed` (a family header), then attributes. */
export function encodeNlmsg(h: NlmsgHeader, fixed: Uint8Array, attrs: readonly Attr[]): Buffer {
  const len = NLMSG_HDRLEN + align4(fixed.length) + attrsLength(attrs);
  const buf = Buffer.alloc(len);
  buf.writeUInt32LE(len, 0);
  buf.writeUInt16LE(h.type, 4);
  buf.writeUInt16LE(h.flags, 6);
  buf.writeUInt32LE(h.seq >>> 0, 8);
  buf.writeUInt32LE((h.pid ?? 0) >>> 0, 12);
  buf.set(fixed, NLMSG_HDRLEN);
  writeAttrs(buf, NLMSG_HDRLEN + align4(fixed.length), attrs);
  return buf;
}

/** Encodes a generic netlink message for `family` with command `cmd`. */
export function encodeGenlmsg(family: number, cmd: number, flags: number, seq: number, attrs: readonly Attr[], version = 1): Buffer {
  return encodeNlmsg({ type: family, flags, seq }, Buffer.from([cmd, version, 0, 0]), attrs);
}

/** One decoded netlink message: the header and the octets after it. */
export interface Nlmsg {
  type: number;
  flags: number;
  seq: number;
  pid: number;
  /** Everything after the nlmsghdr, up to the message's length (a view). */
  payload: Buffer;
}

/**
 * Splits a datagram into its netlink messages. A header shorter than 16 octets or a
 * length outside the datagram ends the walk with an error; what came before is lost with
 * it (a kernel never sends that, so it is only a defence). An empty datagram holds no
 * messages. `payload` is a view of the datagram.
 */
export function decodeNlmsgs(bytes: Uint8Array): Result<Nlmsg[]> {
  const datagram = asBuffer(bytes);
  const out: Nlmsg[] = [];
  let off = 0;
  while (off < datagram.length) {
    if (datagram.length - off < NLMSG_HDRLEN) return fail('truncated', `netlink header at ${off} needs 16 octets, ${datagram.length - off} left`);
    const len = datagram.readUInt32LE(off);
    if (len < NLMSG_HDRLEN) return fail('bad-length', `netlink message length ${len} below its header`);
    if (off + len > datagram.length) return fail('length-overflow', `netlink message of ${len} octets at ${off} runs past the datagram (${datagram.length})`);
    out.push({
      type: datagram.readUInt16LE(off + 4),
      flags: datagram.readUInt16LE(off + 6),
      seq: datagram.readUInt32LE(off + 8),
      pid: datagram.readUInt32LE(off + 12),
      payload: datagram.subarray(off + NLMSG_HDRLEN, off + len),
    });
    off += align4(len);
  }
  return ok(out);
}

/** The error (or ACK, errno 0) a request was answered with. */
export interface NlmsgError {
  /** 0 for an ACK; otherwise a positive errno (EINVAL = 22, ...). */
  errno: number;
  /** The sequence number of the request it answers. */
  seq: number;
  /** NLMSGERR_ATTR_MSG, when the kernel sent extended-ACK text. */
  message?: string;
}

/** Decodes the payload of an NLMSG_ERROR message. */
export function decodeNlmsgError(bytes: Uint8Array): Result<NlmsgError> {
  if (bytes.length < 4 + NLMSG_HDRLEN) return fail('truncated', `NLMSG_ERROR needs 20 octets, got ${bytes.length}`);
  const payload = asBuffer(bytes);
  // 0 - x, not -x: an ACK's errno is 0, not -0.
  const errno = 0 - payload.readInt32LE(0);
  return ok({ errno, seq: payload.readUInt32LE(4 + 8) });
}

/** A decoded generic netlink message: command, version and its attributes (still encoded). */
export interface Genlmsg {
  cmd: number;
  version: number;
  attrs: Buffer;
}

/** Splits a generic netlink payload into its header and attributes. */
export function decodeGenlmsg(bytes: Uint8Array): Result<Genlmsg> {
  if (bytes.length < GENL_HDRLEN) return fail('truncated', `generic netlink header needs 4 octets, got ${bytes.length}`);
  const payload = asBuffer(bytes);
  return ok({ cmd: payload[0], version: payload[1], attrs: payload.subarray(GENL_HDRLEN) });
}

/**
 * Attributes decoded into a map from type (the nested flag masked off) to value octets
 * (views). When a type occurs more than once the first is kept, as the kernel's own
 * parsers do. `list` keeps every attribute in order (nested arrays use it).
 */
export class Attrs {
  private constructor(
    readonly list: readonly { type: number; data: Buffer }[],
    private readonly byType: Map<number, Buffer>,
  ) {}

  /**
   * Walks `input` as an attribute list. Never throws. The last attribute may lack its
   * padding; 1 to 3 octets left after it are 'truncated' (the kernel's strict parsing,
   * NL_VALIDATE_TRAILING, refuses them too).
   */
  static decode(input: Uint8Array): Result<Attrs> {
    const bytes = asBuffer(input);
    const list: { type: number; data: Buffer }[] = [];
    const byType = new Map<number, Buffer>();
    let off = 0;
    while (off + 4 <= bytes.length) {
      const len = bytes.readUInt16LE(off);
      const type = bytes.readUInt16LE(off + 2) & 0x3fff;
      if (len < 4) return fail('bad-length', `attribute length ${len} below its header`);
      if (off + len > bytes.length) return fail('length-overflow', `attribute ${type} of ${len} octets runs past its container`);
      const data = bytes.subarray(off + 4, off + len);
      list.push({ type, data });
      if (!byType.has(type)) byType.set(type, data);
      off += align4(len);
    }
    if (off < bytes.length) return fail('truncated', `${bytes.length - off} octets after the last attribute, too few for a header`);
    return ok(new Attrs(list, byType));
  }

  /** True when the attribute is present (for flags). */
  has(type: number): boolean {
    return this.byType.has(type);
  }

  /** The attribute's octets, or undefined. */
  bytes(type: number): Buffer | undefined {
    return this.byType.get(type);
  }

  /** An 8-bit value, or undefined when absent or too short. */
  u8(type: number): number | undefined {
    const b = this.byType.get(type);
    return b !== undefined && b.length >= 1 ? b[0] : undefined;
  }

  /** A 16-bit value, or undefined when absent or too short. */
  u16(type: number): number | undefined {
    const b = this.byType.get(type);
    return b !== undefined && b.length >= 2 ? b.readUInt16LE(0) : undefined;
  }

  /** A 32-bit value, or undefined when absent or too short. */
  u32(type: number): number | undefined {
    const b = this.byType.get(type);
    return b !== undefined && b.length >= 4 ? b.readUInt32LE(0) : undefined;
  }

  /** A 64-bit value, or undefined when absent or too short. */
  u64(type: number): bigint | undefined {
    const b = this.byType.get(type);
    return b !== undefined && b.length >= 8 ? b.readBigUInt64LE(0) : undefined;
  }

  /** A NUL-terminated string, or undefined. */
  string(type: number): string | undefined {
    const b = this.byType.get(type);
    if (b === undefined) return undefined;
    const nul = b.indexOf(0);
    return b.subarray(0, nul < 0 ? b.length : nul).toString('utf8');
  }

  /** A nested attribute set, or undefined when absent or malformed. */
  nested(type: number): Attrs | undefined {
    const b = this.byType.get(type);
    if (b === undefined) return undefined;
    const r = Attrs.decode(b);
    return r.ok ? r.value : undefined;
  }
}
