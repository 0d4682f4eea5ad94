/**
 * RSN Extension element (RSNXE), IEEE 802.11-2020 §9.4.2.241: Element ID 244, then the
 * Extended RSN Capabilities field of n octets, a little-endian bit field whose bits 0-3
 * (Field Length) hold n - 1. Bit 4 is Protected TWT Operations Support, bit 5 SAE
 * Hash-to-Element, bit 6 SAE-PK (the bit numbers hostapd's WLAN_RSNX_CAPAB_* use).
 */
import { fail, ok, type Result } from '../result.js';
import { asBuffer } from './bytes.js';

/** Element ID of the RSNXE. */
export const RSNXE_ID = 244;

/** Extended RSN Capabilities bits, as masks of Rsnxe.capabilities. */
export const RsnxCapability = {
  /** Protected TWT Operations Support (bit 4). */
  PROTECTED_TWT: 1n << 4n,
  /** SAE Hash-to-Element (bit 5): the password element is derived by hash-to-element (H2E). */
  SAE_H2E: 1n << 5n,
  /** SAE-PK (bit 6). */
  SAE_PK: 1n << 6n,
} as const;

/** Bits 0-3 of the first octet: the Field Length subfield, not a capability. */
const FIELD_LENGTH_MASK = 0x0f;
/** The Field Length subfield holds n - 1 in 4 bits: at most 16 octets of capabilities. */
const MAX_FIELD_OCTETS = 16;
const MAX_CAPABILITIES = (1n << BigInt(8 * MAX_FIELD_OCTETS)) - 1n;

/** A decoded RSNXE. */
export interface Rsnxe {
  /**
   * The Extended RSN Capabilities, bit i of octet j as bit 8j + i, with the Field Length
   * subfield (bits 0-3) cleared. Test with RsnxCapability masks.
   */
  capabilities: bigint;
  /** SAE Hash-to-Element (bit 5). */
  h2e: boolean;
  /** SAE-PK (bit 6). */
  saePk: boolean;
}

/** What encodeRsnxe writes: the flags, plus any other capability bits (4 and up). */
export interface RsnxeFields {
  /** SAE Hash-to-Element (bit 5). */
  h2e: boolean;
  /** SAE-PK (bit 6). */
  saePk?: boolean;
  /** Other Extended RSN Capabilities bits, ORed in; bits 0-3 must be clear. */
  capabilities?: bigint;
}

/**
 * Decodes an RSNXE starting at its Element ID; never throws.
 *
 * No octets is 'empty' and one is 'truncated'; an Element ID other than 244 is 'bad-type';
 * a Length beyond the buffer is 'length-overflow'; Length 0 (no Extended RSN Capabilities)
 * or a Field Length beyond the element is 'bad-length'. Trailing bytes: octets inside the
 * element after the Field Length octets are ignored (as hostapd's
 * ieee802_11_rsnx_capab_len() does), and so are octets after the element.
 */
export function decodeRsnxe(element: Uint8Array): Result<Rsnxe> {
  if (element.length === 0) return fail('empty', 'no RSNXE');
  if (element.length < 2) return fail('truncated', 'RSNXE header needs 2 octets');
  if (element[0] !== RSNXE_ID) return fail('bad-type', `element ID ${element[0]}, expected ${RSNXE_ID} (RSNXE)`);
  const len = element[1];
  if (2 + len > element.length) return fail('length-overflow', `RSNXE Length ${len} exceeds the ${element.length - 2} octets present`);
  if (len === 0) return fail('bad-length', 'RSNXE Length 0 leaves no Extended RSN Capabilities');
  const b = asBuffer(element);
  const n = (b[2] & FIELD_LENGTH_MASK) + 1;
  if (n > len) return fail('bad-length', `Extended RSN Capabilities Field Length ${n} exceeds the RSNXE Length ${len}`);
  let capabilities = 0n;
  for (let i = n - 1; i >= 0; i--) capabilities = (capabilities << 8n) | BigInt(b[2 + i]);
  capabilities &= ~BigInt(FIELD_LENGTH_MASK);
  return ok({
    capabilities,
    h2e: (capabilities & RsnxCapability.SAE_H2E) !== 0n,
    saePk: (capabilities & RsnxCapability.SAE_PK) !== 0n,
  });
}

/**
 * Encodes an RSNXE, Element ID and Length included, in the fewest octets that hold the
 * highest capability bit set (at least one; hostapd writes the same). The flags are ORed
 * into `capabilities`. Throws RangeError if `capabilities` is negative, sets any of bits 0-3
 * or needs more than 16 octets. Note hostapd sends no RSNXE at all rather than one with no
 * capability set; this encodes what it is given.
 */
export function encodeRsnxe(x: RsnxeFields): Buffer {
  let capabilities = x.capabilities ?? 0n;
  if (typeof capabilities !== 'bigint' || capabilities < 0n || capabilities > MAX_CAPABILITIES) {
    throw new RangeError(`Extended RSN Capabilities must be an unsigned bigint of at most ${MAX_FIELD_OCTETS} octets, got ${String(capabilities)}`);
  }
  if ((capabilities & BigInt(FIELD_LENGTH_MASK)) !== 0n) throw new RangeError('Extended RSN Capabilities bits 0-3 are the Field Length, not capabilities');
  if (x.h2e) capabilities |= RsnxCapability.SAE_H2E;
  if (x.saePk === true) capabilities |= RsnxCapability.SAE_PK;
  let n = 1;
  while (capabilities >> BigInt(8 * n) !== 0n) n++;
  const out = Buffer.allocUnsafe(2 + n); // every octet written below
  out[0] = RSNXE_ID;
  out[1] = n;
  let rest = capabilities | BigInt(n - 1);
  for (let i = 0; i < n; i++, rest >>= 8n) out[2 + i] = Number(rest & 0xffn);
  return out;
}
