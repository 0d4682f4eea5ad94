/**
 * EAPOL-Key Key Data: IEEE 802.11-2020 §12.7.2 — elements and Key Data Encapsulations
 * (KDE format Figure 12-34, KDE selectors Table 12-9, GTK KDE Figure 12-35, PMKID KDE,
 * IGTK KDE and BIGTK KDE, padding before AES key wrap).
 */
import { fail, ok, type Result } from '../result.js';
import { asBuffer, checkInt, checkLength } from './bytes.js';

/** OUI of the IEEE 802.11 KDEs, 00-0F-AC. */
export const KDE_OUI = 0x000fac;

/**
 * KDE Data Types (§12.7.2, KDE selectors table). OCI (13) is named only: its KDE is not
 * decoded here.
 */
export const KdeType = { GTK: 1, MAC_ADDRESS: 3, PMKID: 4, NONCE: 6, LIFETIME: 7, ERROR: 8, IGTK: 9, KEY_ID: 10, OCI: 13, BIGTK: 14 } as const;

/** Element ID 221 (Vendor Specific), which every KDE and the padding start with. */
const VENDOR_SPECIFIC = 0xdd;
/** OUI (3) + Data Type (1). */
const KDE_HEADER = 4;
const GTK_MIN = 5;
const GTK_MAX = 32;
const PMKID_LENGTH = 16;
/** Key ID (2) + IPN or BIPN (6) before the IGTK or BIGTK. */
const INTEGRITY_KDE_PREFIX = 8;
const PN_LENGTH = 6;
const MAX_PN = (1n << 48n) - 1n;
/** IGTK and BIGTK lengths of the BIP ciphers (Table 12-8): 16 (BIP-CMAC-128, BIP-GMAC-128), 32 (BIP-GMAC-256, BIP-CMAC-256). */
const INTEGRITY_KEY_LENGTHS: readonly number[] = [16, 32];
const IGTK_KEY_IDS: readonly number[] = [4, 5];
const BIGTK_KEY_IDS: readonly number[] = [6, 7];

/**
 * One item of Key Data: an information element (e.g. the RSNE) or a KDE. Vendor-specific
 * elements with another OUI (e.g. the WPA element, 00-50-F2:1) also appear as 'kde' with
 * their OUI; findKde only matches OUI 00-0F-AC.
 */
export type KeyDataElement =
  | { kind: 'ie'; id: number; raw: Buffer /* whole element incl. id+len */ }
  | { kind: 'kde'; oui: number; dataType: number; data: Buffer; raw: Buffer };

/**
 * Splits Key Data (already unwrapped) into elements and KDEs, in order.
 *
 * Parsing stops at padding: an octet 0xdd followed only by zero octets up to the end
 * (§12.7.2; the 0xdd may be the last octet). An element running past the buffer is
 * 'length-overflow'; a lone octet that is neither padding nor a whole element header is
 * 'truncated'; an 0xdd element shorter than OUI + Data Type (Length 0..3, unless it is the
 * padding) is 'bad-length'. Trailing bytes: none are ignored except the padding.
 *
 * Zero-copy: `raw` and `data` are views of `buf`.
 */
export function decodeKeyData(buf: Uint8Array): Result<KeyDataElement[]> {
  const b = asBuffer(buf);
  const n = b.length;
  const out: KeyDataElement[] = [];
  let pos = 0;
  while (pos < n) {
    const id = b[pos];
    if (id === VENDOR_SPECIFIC && isZeroFrom(b, pos + 1)) break;
    if (pos + 2 > n) return fail('truncated', `element header at offset ${pos} cut short`);
    const len = b[pos + 1];
    const end = pos + 2 + len;
    if (end > n) return fail('length-overflow', `element ${id} at offset ${pos}: Length ${len} exceeds the ${n - pos - 2} octets left`);
    if (id === VENDOR_SPECIFIC) {
      if (len < KDE_HEADER) return fail('bad-length', `KDE at offset ${pos}: Length ${len} is shorter than OUI + Data Type`);
      out.push({
        kind: 'kde',
        oui: (b[pos + 2] << 16) | (b[pos + 3] << 8) | b[pos + 4],
        dataType: b[pos + 5],
        data: b.subarray(pos + 2 + KDE_HEADER, end),
        raw: b.subarray(pos, end),
      });
    } else {
      out.push({ kind: 'ie', id, raw: b.subarray(pos, end) });
    }
    pos = end;
  }
  return ok(out);
}

/** True when every octet of `b` from `from` to the end is zero (vacuously at the end). */
function isZeroFrom(b: Buffer, from: number): boolean {
  for (let i = from; i < b.length; i++) if (b[i] !== 0) return false;
  return true;
}

/** A decoded GTK KDE (§12.7.2, Figure 12-35). */
export interface GtkKde {
  /** Key ID, bits 0-1 (1 or 2 in practice). */
  keyId: number;
  /** Tx bit: the GTK is used for transmit as well as receive. */
  tx: boolean;
  /** The GTK, 5..32 octets. */
  gtk: Buffer;
}

/**
 * Decodes the data of a GTK KDE (the octets after OUI and Data Type): Key ID bits 0-1,
 * Tx bit 2, a reserved octet, then the GTK. Fewer than 2 octets is 'truncated'; a GTK
 * outside 5..32 octets is 'bad-length'. Reserved bits are ignored. Zero-copy: `gtk` is a
 * view of `data`.
 */
export function decodeGtkKde(data: Uint8Array): Result<GtkKde> {
  if (data.length < 2) return fail('truncated', `GTK KDE needs at least 2 octets before the GTK, got ${data.length}`);
  const gtkLength = data.length - 2;
  if (gtkLength < GTK_MIN || gtkLength > GTK_MAX) {
    return fail('bad-length', `GTK of ${gtkLength} octets; expected ${GTK_MIN}..${GTK_MAX}`);
  }
  return ok({ keyId: data[0] & 0x03, tx: (data[0] & 0x04) !== 0, gtk: asBuffer(data).subarray(2) });
}

/** Writes the KDE header (0xdd, Length, OUI 00-0F-AC, Data Type) into `out`. */
function writeKdeHeader(out: Buffer, dataType: number, dataLength: number): void {
  out[0] = VENDOR_SPECIFIC;
  out[1] = KDE_HEADER + dataLength;
  out[2] = (KDE_OUI >>> 16) & 0xff;
  out[3] = (KDE_OUI >>> 8) & 0xff;
  out[4] = KDE_OUI & 0xff;
  out[5] = dataType;
}

/**
 * Encodes a whole GTK KDE (0xdd, Length, OUI, Data Type, Key ID/Tx, reserved, GTK).
 * Throws RangeError if keyId is not 0..3 or the GTK is not 5..32 octets.
 */
export function encodeGtkKde(g: GtkKde): Buffer {
  checkInt('GTK key ID', g.keyId, 0, 3);
  checkInt('GTK length', g.gtk.length, GTK_MIN, GTK_MAX);
  const out = Buffer.allocUnsafe(2 + KDE_HEADER + 2 + g.gtk.length);
  writeKdeHeader(out, KdeType.GTK, 2 + g.gtk.length);
  out[6] = g.keyId | (g.tx ? 0x04 : 0);
  out[7] = 0;
  out.set(g.gtk, 8);
  return out;
}

/** Encodes a whole PMKID KDE; throws RangeError unless `pmkid` is 16 octets. */
export function encodePmkidKde(pmkid: Uint8Array): Buffer {
  checkLength('PMKID', pmkid, PMKID_LENGTH);
  const out = Buffer.allocUnsafe(2 + KDE_HEADER + PMKID_LENGTH);
  writeKdeHeader(out, KdeType.PMKID, PMKID_LENGTH);
  out.set(pmkid, 2 + KDE_HEADER);
  return out;
}

/** A decoded IGTK KDE (§12.7.2): Key ID, IPN, IGTK. */
export interface IgtkKde {
  /** Key ID, 4 or 5 (2 octets little-endian on the wire). */
  keyId: number;
  /** IPN: the packet number of the IGTK's last use, 48 bits (little-endian on the wire); the receiver's BIP replay counter starts there. */
  ipn: bigint;
  /** The IGTK: 16 octets for BIP-CMAC-128 and BIP-GMAC-128, 32 for BIP-GMAC-256 and BIP-CMAC-256. */
  key: Buffer;
}

/** A decoded BIGTK KDE (§12.7.2): the shape of the IGTK KDE, for Beacon protection. */
export interface BigtkKde {
  /** Key ID, 6 or 7 (2 octets little-endian on the wire). */
  keyId: number;
  /** BIPN: the packet number of the BIGTK's last use, 48 bits (little-endian on the wire). */
  ipn: bigint;
  /** The BIGTK: 16 or 32 octets, as the IGTK. */
  key: Buffer;
}

/**
 * Decodes the data of an IGTK KDE (the octets after OUI and Data Type): Key ID (2 octets
 * LE), IPN (6 octets LE), then the IGTK. Fewer than 8 octets is 'truncated'; an IGTK of
 * other than 16 or 32 octets is 'bad-length'; a Key ID other than 4 or 5 is 'invalid'
 * (stricter than wpa_supplicant, which hands any Key ID up to 4095 to the driver). Zero-copy:
 * `key` is a view of `data`.
 */
export function decodeIgtkKde(data: Uint8Array): Result<IgtkKde> {
  return decodeIntegrityKde(data, 'IGTK', IGTK_KEY_IDS);
}

/** Decodes the data of a BIGTK KDE like decodeIgtkKde, with Key ID 6 or 7. */
export function decodeBigtkKde(data: Uint8Array): Result<BigtkKde> {
  return decodeIntegrityKde(data, 'BIGTK', BIGTK_KEY_IDS);
}

function decodeIntegrityKde(data: Uint8Array, what: string, keyIds: readonly number[]): Result<IgtkKde> {
  if (data.length < INTEGRITY_KDE_PREFIX) {
    return fail('truncated', `${what} KDE needs ${INTEGRITY_KDE_PREFIX} octets before the key, got ${data.length}`);
  }
  const keyLength = data.length - INTEGRITY_KDE_PREFIX;
  if (!INTEGRITY_KEY_LENGTHS.includes(keyLength)) return fail('bad-length', `${what} of ${keyLength} octets; expected 16 or 32`);
  const b = asBuffer(data);
  const keyId = b.readUInt16LE(0);
  if (!keyIds.includes(keyId)) return fail('invalid', `${what} Key ID ${keyId}; expected ${keyIds.join(' or ')}`);
  return ok({ keyId, ipn: BigInt(b.readUIntLE(2, PN_LENGTH)), key: b.subarray(INTEGRITY_KDE_PREFIX) });
}

/**
 * Encodes a whole IGTK KDE (0xdd, Length, OUI, Data Type 9, Key ID, IPN, IGTK). Throws
 * RangeError unless keyId is 4 or 5, ipn is a 48-bit unsigned bigint and the IGTK 16 or 32 octets.
 */
export function encodeIgtkKde(k: IgtkKde): Buffer {
  return encodeIntegrityKde(k, KdeType.IGTK, 'IGTK', IGTK_KEY_IDS);
}

/** Encodes a whole BIGTK KDE (Data Type 14) like encodeIgtkKde, with keyId 6 or 7. */
export function encodeBigtkKde(k: BigtkKde): Buffer {
  return encodeIntegrityKde(k, KdeType.BIGTK, 'BIGTK', BIGTK_KEY_IDS);
}

function encodeIntegrityKde(k: IgtkKde, dataType: number, what: string, keyIds: readonly number[]): Buffer {
  if (!keyIds.includes(k.keyId)) throw new RangeError(`${what} key ID must be ${keyIds.join(' or ')}, got ${String(k.keyId)}`);
  if (typeof k.ipn !== 'bigint' || k.ipn < 0n || k.ipn > MAX_PN) {
    throw new RangeError(`${what} packet number must be a 48-bit unsigned bigint, got ${String(k.ipn)}`);
  }
  if (!INTEGRITY_KEY_LENGTHS.includes(k.key.length)) throw new RangeError(`${what} must be 16 or 32 octets, got ${k.key.length}`);
  const dataLength = INTEGRITY_KDE_PREFIX + k.key.length;
  const out = Buffer.allocUnsafe(2 + KDE_HEADER + dataLength); // every octet written below
  writeKdeHeader(out, dataType, dataLength);
  const at = 2 + KDE_HEADER;
  out.writeUInt16LE(k.keyId, at);
  out.writeUIntLE(Number(k.ipn), at + 2, PN_LENGTH); // exact: 48 bits fit a double
  out.set(k.key, at + INTEGRITY_KDE_PREFIX);
  return out;
}

/** The data of the first KDE with OUI 00-0F-AC and Data Type `dataType`, if any. */
export function findKde(els: readonly KeyDataElement[], dataType: number): Buffer | undefined {
  for (const e of els) if (e.kind === 'kde' && e.oui === KDE_OUI && e.dataType === dataType) return e.data;
  return undefined;
}

/**
 * The raw bytes (ID and Length included) of the first information element with Element ID
 * `id`, e.g. RSNE_ID. Vendor-specific elements (221) are KDEs here and never match.
 */
export function findElement(els: readonly KeyDataElement[], id: number): Buffer | undefined {
  for (const e of els) if (e.kind === 'ie' && e.id === id) return e.raw;
  return undefined;
}

/**
 * Pads Key Data for AES key wrap (§12.7.2): when shorter than 16 octets or not a multiple
 * of 8, appends 0xdd then zero octets up to the next multiple of 8 (at least 16). Returns a
 * new Buffer when padding is added; otherwise `buf` itself (as a Buffer view, no copy).
 */
export function padKeyData(buf: Uint8Array): Buffer {
  const len = buf.length;
  const target = len < 16 ? 16 : (len + 7) & ~7;
  if (target === len) return asBuffer(buf);
  const out = Buffer.allocUnsafe(target);
  out.set(buf, 0);
  out[len] = VENDOR_SPECIFIC;
  out.fill(0, len + 1);
  return out;
}
