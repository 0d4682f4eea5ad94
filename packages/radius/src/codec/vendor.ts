/**
 * Vendor-Specific attributes, RFC 2865 §5.26: Vendor-Id (4 octets, high-order octet 0,
 * the SMI Network Management Private Enterprise Code) followed by the String, which in the
 * RFC's suggested format is one or more sub-attributes of Vendor type (1 octet), Vendor
 * length (1 octet, >= 2, counting type and length) and value. Microsoft's (RFC 2548 §2)
 * follow that format; so does every VSA this codec builds.
 */
import { fail, ok, type Result } from '@airlock/bytes';
import { asBuffer, checkInt } from './bytes.js';
import { Attr, MAX_ATTRIBUTE_VALUE_LENGTH } from './constants.js';
import type { RadiusAttribute } from './packet.js';

/** One vendor sub-attribute. */
export interface VendorSubAttribute {
  vendorId: number;
  vendorType: number;
  value: Buffer;
}

/** Octets of Vendor-Id plus one sub-attribute header. */
const VSA_OVERHEAD = 4 + 2;

/** Longest value of a single sub-attribute in one Vendor-Specific attribute (253 - 6). */
export const MAX_VENDOR_VALUE_LENGTH = MAX_ATTRIBUTE_VALUE_LENGTH - VSA_OVERHEAD;

/**
 * Decodes the value of a Vendor-Specific attribute into its sub-attributes (all with the
 * same vendorId). Never throws. Errors: 'empty'; 'truncated' (fewer than 4 octets of
 * Vendor-Id, or no sub-attribute after it); 'invalid' (Vendor-Id high-order octet not 0);
 * 'bad-length' (a sub-attribute length < 2); 'length-overflow' (a sub-attribute running
 * past the value). There are no trailing bytes: sub-attributes must fill the value.
 * Zero-copy: sub-attribute values are views of `bytes`.
 */
export function decodeVendorSpecific(bytes: Uint8Array): Result<VendorSubAttribute[]> {
  if (bytes.length === 0) return fail('empty', 'no Vendor-Id');
  if (bytes.length < 4) return fail('truncated', `Vendor-Id needs 4 octets, got ${bytes.length}`);
  const b = asBuffer(bytes);
  if (b[0] !== 0) return fail('invalid', `Vendor-Id high-order octet is ${b[0]}, must be 0 (RFC 2865 §5.26)`);
  const vendorId = b.readUInt32BE(0);
  if (b.length === 4) return fail('truncated', `Vendor-Specific ${vendorId} carries no sub-attribute`);
  const subs: VendorSubAttribute[] = [];
  let off = 4;
  while (off < b.length) {
    if (off + 2 > b.length) return fail('length-overflow', `vendor sub-attribute at offset ${off} has no length octet`);
    const vendorType = b[off];
    const len = b[off + 1];
    if (len < 2) return fail('bad-length', `vendor ${vendorId} sub-attribute ${vendorType} has length ${len} (< 2)`);
    if (off + len > b.length) {
      return fail('length-overflow', `vendor ${vendorId} sub-attribute ${vendorType} of length ${len} runs past the ${b.length}-octet value`);
    }
    subs.push({ vendorId, vendorType, value: b.subarray(off + 2, off + len) });
    off += len;
  }
  return ok(subs);
}

/**
 * Encodes sub-attributes (all of one vendor) as a Vendor-Specific value. RangeError when
 * the list is empty, vendor ids differ, the Vendor-Id is not in [0, 2^24 - 1], a vendor
 * type is outside one octet, or the value would exceed 253 octets.
 */
export function encodeVendorSpecific(subs: readonly VendorSubAttribute[]): Buffer {
  const first = subs[0];
  if (first === undefined) throw new RangeError('a Vendor-Specific attribute needs at least one sub-attribute');
  checkInt('Vendor-Id', first.vendorId, 0, 0xffffff);
  let length = 4;
  for (const s of subs) {
    if (s.vendorId !== first.vendorId) throw new RangeError(`sub-attributes of vendors ${first.vendorId} and ${s.vendorId} in one Vendor-Specific`);
    checkInt('vendor type', s.vendorType, 0, 255);
    length += 2 + s.value.length;
  }
  if (length > MAX_ATTRIBUTE_VALUE_LENGTH) throw new RangeError(`Vendor-Specific value of ${length} octets exceeds ${MAX_ATTRIBUTE_VALUE_LENGTH}`);
  const out = Buffer.allocUnsafe(length);
  out.writeUInt32BE(first.vendorId, 0);
  let off = 4;
  for (const s of subs) {
    out[off] = s.vendorType;
    out[off + 1] = s.value.length + 2;
    out.set(s.value, off + 2);
    off += 2 + s.value.length;
  }
  return out;
}

/** A Vendor-Specific attribute carrying one sub-attribute (RangeError as encodeVendorSpecific). */
export function vendorAttribute(vendorId: number, vendorType: number, value: Buffer): RadiusAttribute {
  return { type: Attr.VendorSpecific, value: encodeVendorSpecific([{ vendorId, vendorType, value }]) };
}

/**
 * The sub-attributes of one Vendor-Specific attribute (RFC 2865 §5.26). Never throws;
 * 'bad-type' when `a` is not a Vendor-Specific attribute, else as decodeVendorSpecific.
 */
export function parseVendorAttribute(a: RadiusAttribute): Result<VendorSubAttribute[]> {
  if (a.type !== Attr.VendorSpecific) return fail('bad-type', `attribute ${a.type} is not Vendor-Specific (26)`);
  return decodeVendorSpecific(a.value);
}

/**
 * The value of the first sub-attribute `vendorType` of `vendorId` among `attrs`. Malformed
 * Vendor-Specific attributes (other vendors' formats) are skipped.
 */
export function findVendorAttribute(attrs: readonly RadiusAttribute[], vendorId: number, vendorType: number): Buffer | undefined {
  for (const a of attrs) {
    if (a.type !== Attr.VendorSpecific || a.value.length < 4 || a.value.readUInt32BE(0) !== vendorId) continue;
    const subs = decodeVendorSpecific(a.value);
    if (!subs.ok) continue;
    const hit = subs.value.find((s) => s.vendorType === vendorType);
    if (hit !== undefined) return hit.value;
  }
  return undefined;
}
