/**
 * Tagged tunnel attributes, RFC 2868 §3 (Tag: 0x01..0x1F groups attributes of one tunnel),
 * and the VLAN assignment of RFC 3580 §3.31: Tunnel-Type = VLAN (13), Tunnel-Medium-Type =
 * 802 (6), Tunnel-Private-Group-ID = the VLAN ID as a decimal string.
 *
 * Integer tunnel attributes (Tunnel-Type §3.1, Tunnel-Medium-Type §3.2) always start with
 * the Tag octet, followed by a 3-octet value. In string tunnel attributes
 * (Tunnel-Private-Group-ID §3.6) the first octet is a Tag only when it is 0x01..0x1F;
 * otherwise it is the first octet of the string.
 */
import { fail, ok, type Result } from '@airlock/bytes';
import { asBuffer, checkInt } from './bytes.js';
import { Attr, TunnelMediumType, TunnelType } from './constants.js';
import type { RadiusAttribute } from './packet.js';

/** Largest Tag value (RFC 2868 §3.1). */
export const MAX_TUNNEL_TAG = 0x1f;

/** A tag and the value after it. */
export interface TaggedValue {
  /** 0 when the attribute carries no tag. */
  tag: number;
  value: Buffer;
}

/** A tagged integer tunnel attribute: its tag and its 24-bit value. */
export interface TaggedInteger {
  tag: number;
  value: number;
}

/**
 * Splits a tunnel attribute into tag and value, leniently (never throws): for integer
 * attributes the first octet is the tag and the rest (3 octets when well formed) the
 * value; for string attributes the first octet is the tag only when it is 0x01..0x1F,
 * else the tag is 0 and the value is the whole attribute. Views of `a.value`.
 */
export function parseTagged(a: RadiusAttribute, integer: boolean): TaggedValue {
  const v = a.value;
  if (integer) return v.length === 0 ? { tag: 0, value: v } : { tag: v[0], value: v.subarray(1) };
  const first = v[0];
  if (first !== undefined && first >= 0x01 && first <= MAX_TUNNEL_TAG) return { tag: first, value: v.subarray(1) };
  return { tag: 0, value: v };
}

/**
 * A tagged string tunnel attribute (RFC 2868 §3): Tag (0x01..0x1F) then `value`.
 * RangeError on a tag outside that range. For integer attributes use taggedIntegerAttribute.
 */
export function taggedAttribute(type: number, tag: number, value: Buffer): RadiusAttribute {
  checkInt('tunnel Tag', tag, 0x01, MAX_TUNNEL_TAG);
  return { type, value: Buffer.concat([Buffer.of(tag), value]) };
}

/**
 * A tagged integer tunnel attribute (RFC 2868 §3.1, §3.2): Tag (0x00 = untagged, or
 * 0x01..0x1F) then a 24-bit big-endian value. RangeError outside those ranges.
 */
export function taggedIntegerAttribute(type: number, tag: number, value: number): RadiusAttribute {
  return { type, value: encodeTaggedInteger({ tag, value }) };
}

/**
 * Decodes a tagged integer value strictly (RFC 2868 §3.1): exactly 4 octets, tag 0..0x1F.
 * Never throws: 'empty', 'bad-length' (not 4 octets), 'invalid' (tag > 0x1F).
 */
export function decodeTaggedInteger(bytes: Uint8Array): Result<TaggedInteger> {
  if (bytes.length === 0) return fail('empty', 'no tagged integer');
  if (bytes.length !== 4) return fail('bad-length', `tagged integer must be 4 octets, got ${bytes.length}`);
  const b = asBuffer(bytes);
  if (b[0] > MAX_TUNNEL_TAG) return fail('invalid', `tag 0x${b[0].toString(16)} exceeds 0x1f`);
  return ok({ tag: b[0], value: b.readUIntBE(1, 3) });
}

/** Encodes a tagged integer value: Tag then 24-bit value; RangeError on a tag > 0x1F or a value >= 2^24. */
export function encodeTaggedInteger(t: TaggedInteger): Buffer {
  checkInt('tunnel Tag', t.tag, 0, MAX_TUNNEL_TAG);
  checkInt('tagged integer value', t.value, 0, 0xffffff);
  const out = Buffer.alloc(4);
  out[0] = t.tag;
  out.writeUIntBE(t.value, 1, 3);
  return out;
}

/**
 * Decodes a tagged string value (RFC 2868 §3.6): a first octet of 0x01..0x1F is the tag.
 * Never throws: 'empty' for no octets (RFC 2868 strings are at least one octet). Zero-copy.
 */
export function decodeTaggedString(bytes: Uint8Array): Result<TaggedValue> {
  if (bytes.length === 0) return fail('empty', 'no tagged string');
  return ok(parseTagged({ type: 0, value: asBuffer(bytes) }, false));
}

/**
 * Encodes a tagged string value. Tag 0 writes the value alone, which must then not start
 * with an octet 0x01..0x1F (it would read back as a tag): RangeError, as for a tag > 0x1F.
 */
export function encodeTaggedString(t: TaggedValue): Buffer {
  checkInt('tunnel Tag', t.tag, 0, MAX_TUNNEL_TAG);
  if (t.tag !== 0) return Buffer.concat([Buffer.of(t.tag), t.value]);
  const first = t.value[0];
  if (first !== undefined && first >= 0x01 && first <= MAX_TUNNEL_TAG) {
    throw new RangeError(`untagged string starting with 0x${first.toString(16)} would read back as tag ${first}`);
  }
  return Buffer.from(t.value);
}

/** Highest IEEE 802.1Q VLAN ID usable for a port (4095 is reserved). */
const MAX_VLAN_ID = 4094;

/** Per-tag state while scanning, as hostapd's struct radius_tunnel_attrs. */
interface TunnelAttrs {
  type?: number;
  mediumType?: number;
  vlanId?: number;
}

/**
 * The VLAN ID a response assigns (RFC 3580 §3.31), with hostapd's rules
 * (radius_msg_get_vlanid): attributes are grouped by tag (a first octet above 0x1F counts
 * as tag 0); Tunnel-Type and Tunnel-Medium-Type must be 6-octet attributes; a
 * Tunnel-Private-Group-ID drops its first octet when it is below 0x20 (0x00 included, as
 * hostapd and FreeRADIUS treat it as a zero tag); a later attribute with the same tag
 * replaces an earlier one; the group with the lowest tag having Tunnel-Type VLAN,
 * Tunnel-Medium-Type 802 and a valid ID wins. Stricter than hostapd's atoi(): the group ID
 * must be decimal digits only, 1..4094. Undefined when no group qualifies.
 */
export function tunnelVlan(attrs: readonly RadiusAttribute[]): number | undefined {
  const tunnels = new Map<number, TunnelAttrs>();
  const at = (tag: number): TunnelAttrs => {
    let t = tunnels.get(tag);
    if (t === undefined) tunnels.set(tag, (t = {}));
    return t;
  };
  for (const a of attrs) {
    const v = a.value;
    const first = v[0];
    if (first === undefined) continue;
    const tag = first <= MAX_TUNNEL_TAG ? first : 0;
    switch (a.type) {
      case Attr.TunnelType:
        if (v.length === 4) at(tag).type = v.readUIntBE(1, 3);
        break;
      case Attr.TunnelMediumType:
        if (v.length === 4) at(tag).mediumType = v.readUIntBE(1, 3);
        break;
      case Attr.TunnelPrivateGroupId: {
        const text = (first <= MAX_TUNNEL_TAG ? v.subarray(1) : v).toString('latin1');
        if (!/^[0-9]{1,4}$/.test(text)) break;
        const id = Number(text);
        if (id >= 1 && id <= MAX_VLAN_ID) at(tag).vlanId = id;
        break;
      }
      default:
        break;
    }
  }
  for (const tag of [...tunnels.keys()].sort((x, y) => x - y)) {
    const t = tunnels.get(tag)!;
    if (t.type === TunnelType.Vlan && t.mediumType === TunnelMediumType.Ieee802 && t.vlanId !== undefined) return t.vlanId;
  }
  return undefined;
}
