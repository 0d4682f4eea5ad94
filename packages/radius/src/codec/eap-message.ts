/**
 * EAP-Message, RFC 3579 §3.1: an EAP packet longer than 253 octets travels in consecutive
 * EAP-Message attributes of at most 253 octets each, and the receiver concatenates them
 * in order. (Consecutiveness is not enforced on receive: like hostapd's radius_msg_get_eap,
 * every EAP-Message in the packet is joined in packet order.)
 */
import { Attr, MAX_ATTRIBUTE_VALUE_LENGTH } from './constants.js';
import type { RadiusAttribute } from './packet.js';

/**
 * EAP-Message attributes carrying `eap`, each of at most 253 octets, in order; none for an
 * empty buffer. Values are views of `eap`.
 */
export function splitEapMessage(eap: Buffer): RadiusAttribute[] {
  const out: RadiusAttribute[] = [];
  for (let off = 0; off < eap.length; off += MAX_ATTRIBUTE_VALUE_LENGTH) {
    out.push({ type: Attr.EapMessage, value: eap.subarray(off, off + MAX_ATTRIBUTE_VALUE_LENGTH) });
  }
  return out;
}

/** The concatenation of every EAP-Message attribute of `attrs`, in order; undefined when there is none. */
export function joinEapMessage(attrs: readonly RadiusAttribute[]): Buffer | undefined {
  const parts = attrs.filter((a) => a.type === Attr.EapMessage).map((a) => a.value);
  return parts.length === 0 ? undefined : Buffer.concat(parts);
}
