/**
 * Attribute values, RFC 2865 §5: text and string (§5, "text" is UTF-8), integer (32-bit
 * big-endian), address (IPv4, 4 octets); RFC 7268 §2.14-§2.17 suite selectors (a 32-bit
 * integer, OUI << 8 | suite type). Builders throw RangeError on values they cannot encode;
 * readers return undefined on malformed values.
 */
import { checkInt } from './bytes.js';
import type { RadiusAttribute } from './packet.js';

/** A text attribute value: the UTF-8 octets of `v` (RFC 2865 §5 "text"). */
export function attrString(v: string): Buffer {
  return Buffer.from(v, 'utf8');
}

/** An integer attribute value: 4 octets, big-endian; RangeError outside [0, 2^32 - 1]. */
export function attrInt(n: number): Buffer {
  checkInt('integer attribute value', n, 0, 0xffffffff);
  const out = Buffer.alloc(4);
  out.writeUInt32BE(n, 0);
  return out;
}

/** An address attribute value: the 4 octets of a dotted-quad IPv4 address; RangeError otherwise. */
export function attrIpv4(ip: string): Buffer {
  const parts = ip.split('.');
  if (parts.length !== 4) throw new RangeError(`not a dotted-quad IPv4 address: ${JSON.stringify(ip)}`);
  const out = Buffer.alloc(4);
  parts.forEach((p, i) => {
    // Decimal only, no leading zeros (which some parsers read as octal), 0..255.
    if (!/^(0|[1-9][0-9]{0,2})$/.test(p) || Number(p) > 255) {
      throw new RangeError(`not a dotted-quad IPv4 address: ${JSON.stringify(ip)}`);
    }
    out[i] = Number(p);
  });
  return out;
}

/** The dotted-quad text of a 4-octet address value; undefined for any other length. */
export function readIpv4(b: Buffer): string | undefined {
  return b.length === 4 ? `${b[0]}.${b[1]}.${b[2]}.${b[3]}` : undefined;
}

/** The value of an integer attribute (4 octets, big-endian); undefined for any other length. */
export function readInt(b: Buffer): number | undefined {
  return b.length === 4 ? b.readUInt32BE(0) : undefined;
}

/** The value of the first attribute of `type`, or undefined. */
export function getAttribute(attrs: readonly RadiusAttribute[], type: number): Buffer | undefined {
  return attrs.find((a) => a.type === type)?.value;
}

/** The values of every attribute of `type`, in packet order. */
export function getAttributes(attrs: readonly RadiusAttribute[], type: number): Buffer[] {
  return attrs.filter((a) => a.type === type).map((a) => a.value);
}

/**
 * The value of a WLAN-Pairwise-Cipher, WLAN-Group-Cipher, WLAN-AKM-Suite or
 * WLAN-Group-Mgmt-Cipher attribute (RFC 7268 §2.14-§2.17): the suite selector as a 32-bit
 * integer, e.g. 0x000fac04 (00-0F-AC:4, CCMP-128) -> 00 0f ac 04.
 */
export function wlanSuiteValue(selector: number): Buffer {
  return attrInt(selector);
}
