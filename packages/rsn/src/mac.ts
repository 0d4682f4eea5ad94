/** MAC address helpers (6-octet IEEE 802 addresses). */

/** The PAE group address (IEEE 802.1X-2004 §7.8); wpa_supplicant's wired driver uses it as BSSID. */
export const PAE_GROUP_ADDRESS: Buffer = Buffer.from([0x01, 0x80, 0xc2, 0x00, 0x00, 0x03]);

/** True when `b` is a 6-byte buffer. */
export function isMac(b: Uint8Array | undefined | null): boolean {
  return b != null && b.length === 6;
}

/** Two lower-case hex digits of each octet value. */
const HEX: readonly string[] = Array.from({ length: 256 }, (_v, i) => i.toString(16).padStart(2, '0'));

/** "aa:bb:cc:dd:ee:ff" for a 6-byte address (any length: the octets joined by ':'). */
export function formatMac(b: Uint8Array): string {
  if (b.length === 6) return `${HEX[b[0]]}:${HEX[b[1]]}:${HEX[b[2]]}:${HEX[b[3]]}:${HEX[b[4]]}:${HEX[b[5]]}`;
  const parts: string[] = [];
  for (const x of b) parts.push(HEX[x]);
  return parts.join(':');
}

/** Parses "aa:bb:cc:dd:ee:ff" or "aa-bb-cc-dd-ee-ff" or "aabbccddeeff"; undefined if invalid. */
export function parseMac(s: string): Buffer | undefined {
  const hex = s.trim().replace(/[:-]/g, '');
  if (!/^[0-9a-fA-F]{12}$/.test(hex)) return undefined;
  return Buffer.from(hex, 'hex');
}

/** Key for maps: the 12 hex digits of the address (hot: every event and effect uses one). */
export function macKey(b: Uint8Array): string {
  if (b.length === 6) return HEX[b[0]] + HEX[b[1]] + HEX[b[2]] + HEX[b[3]] + HEX[b[4]] + HEX[b[5]];
  return Buffer.from(b.buffer, b.byteOffset, b.byteLength).toString('hex');
}

/**
 * The RADIUS User-Name (and User-Password) of a MAC-authentication request: 12 lower-case
 * hex digits, no separators (hostapd's RADIUS_ADDR_FORMAT for non-802.1X use).
 */
export function macUserName(b: Uint8Array): string {
  return macKey(b);
}
