/**
 * Station and BSS identifiers as text in RADIUS attributes. RFC 3580 §3.20-§3.21 writes
 * Calling-Station-Id as the station's MAC address "00-10-A4-23-19-C0" and Called-Station-Id
 * as the BSSID and SSID "00-10-A4-23-19-C0:AP1"; policy servers writing Dynamic
 * Authorization requests use the other forms operators know too. Accepted, in any case:
 * "11-22-33-44-55-66", "11:22:33:44:55:66", "112233445566" and Cisco's "1122.3344.5566".
 * Decoding never throws.
 */
import { fail, ok, type Result } from '@airlock/bytes';
import { checkLength } from '../codec/bytes.js';

/** Octets of a MAC address. */
const MAC_LENGTH = 6;

function hexValue(c: number): number {
  if (c >= 0x30 && c <= 0x39) return c - 0x30;
  const lower = c | 0x20;
  if (lower >= 0x61 && lower <= 0x66) return lower - 0x61 + 10;
  return -1;
}

/** The 12 hex digits of `text` at the given offsets as 6 octets; undefined when one is not a hex digit. */
function macFromDigits(text: Uint8Array, offsets: readonly number[]): Buffer | undefined {
  const out = Buffer.alloc(MAC_LENGTH);
  for (let i = 0; i < MAC_LENGTH; i++) {
    const hi = hexValue(text[offsets[2 * i]]);
    const lo = hexValue(text[offsets[2 * i + 1]]);
    if (hi < 0 || lo < 0) return undefined;
    out[i] = (hi << 4) | lo;
  }
  return out;
}

const PLAIN = [0, 1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11];
const PAIRS = [0, 1, 3, 4, 6, 7, 9, 10, 12, 13, 15, 16];
const DOTTED = [0, 1, 2, 3, 5, 6, 7, 8, 10, 11, 12, 13];

/**
 * Decodes a MAC address written as text: "11-22-33-44-55-66" or "11:22:33:44:55:66" (one
 * separator throughout), "112233445566" or "1122.3344.5566"; hex digits in any case. Never
 * throws: 'empty'; 'bad-length' (not 12, 14 or 17 characters); 'invalid' (a character that
 * is not a hex digit where one belongs, or the wrong or mixed separators). No trailing
 * bytes are allowed. Returns the 6 octets (a new buffer).
 */
export function decodeMacText(text: Uint8Array): Result<Buffer> {
  if (text.length === 0) return fail('empty', 'no MAC address');
  let mac: Buffer | undefined;
  switch (text.length) {
    case 12:
      mac = macFromDigits(text, PLAIN);
      break;
    case 14:
      if (text[4] !== 0x2e || text[9] !== 0x2e) return fail('invalid', 'a 14-character MAC address must be written 1122.3344.5566');
      mac = macFromDigits(text, DOTTED);
      break;
    case 17: {
      const sep = text[2];
      if (sep !== 0x2d && sep !== 0x3a) return fail('invalid', 'a 17-character MAC address must be separated by "-" or ":"');
      for (const at of [5, 8, 11, 14]) {
        if (text[at] !== sep) return fail('invalid', 'a MAC address must use one separator throughout');
      }
      mac = macFromDigits(text, PAIRS);
      break;
    }
    default:
      return fail('bad-length', `a MAC address is written in 12, 14 or 17 characters, not ${text.length}`);
  }
  return mac === undefined ? fail('invalid', 'a MAC address has a character that is not a hex digit') : ok(mac);
}

/** The RFC 3580 §3.21 text of a MAC address: "11-22-33-44-55-66", upper case. RangeError unless 6 octets. */
export function encodeMacText(mac: Uint8Array): Buffer {
  checkLength('MAC address', mac, MAC_LENGTH);
  const parts: string[] = [];
  for (const b of mac) parts.push(b.toString(16).padStart(2, '0').toUpperCase());
  return Buffer.from(parts.join('-'), 'latin1');
}

/** A Called-Station-Id read as RFC 3580 §3.20 writes it. */
export interface CalledStationId {
  /** The attribute's text as received (UTF-8, malformed sequences replaced). */
  text: string;
  /** The BSSID, when the text starts with a MAC address in one of decodeMacText's forms. */
  bssid?: Buffer;
  /** What follows the MAC address and a ':' (the SSID), when present. */
  ssid?: string;
}

/**
 * Reads a Called-Station-Id: "BSSID" or "BSSID:SSID" with the BSSID in any form
 * decodeMacText accepts. Never throws; text that does not start with a MAC address gives
 * only `text`.
 */
export function parseCalledStationId(value: Uint8Array): CalledStationId {
  const b = Buffer.from(value.buffer, value.byteOffset, value.byteLength);
  const text = b.toString('utf8');
  for (const n of [17, 14, 12]) {
    if (b.length < n) continue;
    if (b.length > n && b[n] !== 0x3a) continue;
    const mac = decodeMacText(b.subarray(0, n));
    if (!mac.ok) continue;
    const out: CalledStationId = { text, bssid: mac.value };
    if (b.length > n) out.ssid = b.subarray(n + 1).toString('utf8');
    return out;
  }
  return { text };
}
