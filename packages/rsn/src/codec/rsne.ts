/**
 * RSN element: IEEE 802.11-2020 §9.4.2.24 (Figure 9-289), defaults of §9.4.2.24.1, suite
 * selectors of §9.4.2.24.2/.3, RSN Capabilities of §9.4.2.24.4.
 */
import { fail, ok, type Result } from '../result.js';
import { AKM, CIPHER } from '../suites.js';
import { asBuffer, checkInt, checkLength } from './bytes.js';

/** Element ID of the RSNE. */
export const RSNE_ID = 48;

/**
 * RSN Capabilities field (§9.4.2.24.4): single bits, and the masks of the two 2-bit
 * replay counter subfields. Bit 15 is reserved.
 */
export const RsnCapability = {
  /** Preauthentication (bit 0). */
  PREAUTH: 1 << 0,
  /** No Pairwise (bit 1). */
  NO_PAIRWISE: 1 << 1,
  /** PTKSA Replay Counter (bits 2-3): 1, 2, 4 or 16 counters. */
  PTKSA_REPLAY_COUNTER: 0x000c,
  /** GTKSA Replay Counter (bits 4-5). */
  GTKSA_REPLAY_COUNTER: 0x0030,
  /** Management Frame Protection Required (bit 6). */
  MFPR: 1 << 6,
  /** Management Frame Protection Capable (bit 7). */
  MFPC: 1 << 7,
  /** Joint Multi-Band RSNA (bit 8). */
  JOINT_MULTIBAND_RSNA: 1 << 8,
  /** PeerKey Enabled (bit 9). */
  PEERKEY_ENABLED: 1 << 9,
  /** SPP A-MSDU Capable (bit 10). */
  SPP_AMSDU_CAPABLE: 1 << 10,
  /** SPP A-MSDU Required (bit 11). */
  SPP_AMSDU_REQUIRED: 1 << 11,
  /** Protected Block Ack Agreement Capable (bit 12). */
  PBAC: 1 << 12,
  /** Extended Key ID for Individually Addressed Frames (bit 13). */
  EXT_KEY_ID: 1 << 13,
  /** Operating Channel Validation Capable (bit 14). */
  OCVC: 1 << 14,
} as const;

const SUITE_LENGTH = 4;
const PMKID_LENGTH = 16;

/**
 * A decoded RSNE. Every field after Version is optional because the element may end after
 * any of them; an absent field means "not present" (the §9.4.2.24.1 defaults apply, see
 * rsneDefaults). Presence is kept so that encodeRsne(decodeRsne(x)) reproduces x. A field
 * can only be present when every field before it is.
 */
export interface Rsne {
  /** Version: 1 is the only one defined. */
  version: number;
  /** Group Data Cipher Suite selector (e.g. CIPHER.CCMP_128). */
  groupCipher?: number;
  /** Pairwise Cipher Suite List. */
  pairwiseCiphers?: number[];
  /** AKM Suite List (e.g. AKM.PSK). */
  akms?: number[];
  /** RSN Capabilities (16 bits, §9.4.2.24.4). */
  capabilities?: number;
  /** PMKID List, 16 octets each. */
  pmkids?: Buffer[];
  /** Group Management Cipher Suite selector. */
  groupMgmtCipher?: number;
  /**
   * Octets inside the element after the Group Management Cipher Suite (fields of later
   * amendments), kept verbatim. hostapd ignores such octets; so do we, without losing them.
   */
  extension?: Buffer;
}

/**
 * Decodes an RSNE starting at its Element ID.
 *
 * Element ID other than 48 is 'bad-type'; Version other than 1 is 'bad-version'; a Length
 * beyond the buffer is 'length-overflow'; a Length below 2 (no Version), a field cut short
 * or a count whose list runs past the element is 'bad-length'. Counts of zero are carried
 * as empty lists (whether they are acceptable is policy). Trailing bytes: octets after the
 * element's declared length are ignored; octets inside it after the last defined field are
 * kept in `extension`.
 *
 * Zero-copy: `pmkids` and `extension` are views of `element`.
 */
export function decodeRsne(element: Uint8Array): Result<Rsne> {
  if (element.length === 0) return fail('empty', 'no RSNE');
  if (element.length < 2) return fail('truncated', 'RSNE header needs 2 octets');
  if (element[0] !== RSNE_ID) return fail('bad-type', `element ID ${element[0]}, expected ${RSNE_ID} (RSNE)`);
  const len = element[1];
  const end = 2 + len;
  if (end > element.length) {
    return fail('length-overflow', `RSNE Length ${len} exceeds the ${element.length - 2} octets present`);
  }
  if (len < 2) return fail('bad-length', `RSNE Length ${len} leaves no room for Version`);
  const b = asBuffer(element);
  const version = b.readUInt16LE(2);
  if (version !== 1) return fail('bad-version', `RSNE version ${version}, expected 1`);
  const r: Rsne = { version };
  let pos = 4;

  if (pos === end) return ok(r);
  if (end - pos < SUITE_LENGTH) return fail('bad-length', 'Group Data Cipher Suite cut short');
  r.groupCipher = b.readUInt32BE(pos);
  pos += SUITE_LENGTH;

  if (pos === end) return ok(r);
  const pairwise = readSuiteList(b, pos, end, 'Pairwise Cipher Suite');
  if (!pairwise.ok) return pairwise;
  r.pairwiseCiphers = pairwise.value;
  pos += 2 + SUITE_LENGTH * pairwise.value.length;

  if (pos === end) return ok(r);
  const akms = readSuiteList(b, pos, end, 'AKM Suite');
  if (!akms.ok) return akms;
  r.akms = akms.value;
  pos += 2 + SUITE_LENGTH * akms.value.length;

  if (pos === end) return ok(r);
  if (end - pos < 2) return fail('bad-length', 'RSN Capabilities cut short');
  r.capabilities = b.readUInt16LE(pos);
  pos += 2;

  if (pos === end) return ok(r);
  if (end - pos < 2) return fail('bad-length', 'PMKID Count cut short');
  const pmkidCount = b.readUInt16LE(pos);
  pos += 2;
  if (pmkidCount * PMKID_LENGTH > end - pos) {
    return fail('bad-length', `PMKID Count ${pmkidCount} runs past the element`);
  }
  const pmkids: Buffer[] = new Array<Buffer>(pmkidCount);
  for (let i = 0; i < pmkidCount; i++, pos += PMKID_LENGTH) pmkids[i] = b.subarray(pos, pos + PMKID_LENGTH);
  r.pmkids = pmkids;

  if (pos === end) return ok(r);
  if (end - pos < SUITE_LENGTH) return fail('bad-length', 'Group Management Cipher Suite cut short');
  r.groupMgmtCipher = b.readUInt32BE(pos);
  pos += SUITE_LENGTH;

  if (pos < end) r.extension = b.subarray(pos, end);
  return ok(r);
}

/** Reads a 2-octet LE count and that many suite selectors at `pos`, within `end`. */
function readSuiteList(b: Buffer, pos: number, end: number, what: string): Result<number[]> {
  if (end - pos < 2) return fail('bad-length', `${what} Count cut short`);
  const count = b.readUInt16LE(pos);
  pos += 2;
  if (count * SUITE_LENGTH > end - pos) return fail('bad-length', `${what} Count ${count} runs past the element`);
  const list: number[] = new Array<number>(count);
  for (let i = 0; i < count; i++, pos += SUITE_LENGTH) list[i] = b.readUInt32BE(pos);
  return ok(list);
}

/** Field names in wire order, for the "present only after its predecessors" check. */
const FIELD_ORDER = ['groupCipher', 'pairwiseCiphers', 'akms', 'capabilities', 'pmkids', 'groupMgmtCipher', 'extension'] as const;

/**
 * Encodes an RSNE, Element ID and Length included, writing exactly the fields present.
 * Throws RangeError when a field is present while an earlier one is absent, a value is out
 * of range, a PMKID is not 16 octets, or the element would exceed 255 octets of body.
 * Any 16-bit version is written as given (decodeRsne accepts only 1).
 */
export function encodeRsne(r: Rsne): Buffer {
  checkInt('RSNE version', r.version, 0, 0xffff);
  let last = -1;
  for (let i = 0; i < FIELD_ORDER.length; i++) {
    if (r[FIELD_ORDER[i]] === undefined) continue;
    if (last !== i - 1) {
      throw new RangeError(`RSNE field ${FIELD_ORDER[i]} is present but ${FIELD_ORDER[i - 1]} is not`);
    }
    last = i;
  }
  let len = 2;
  if (r.groupCipher !== undefined) len += SUITE_LENGTH;
  if (r.pairwiseCiphers !== undefined) len += 2 + SUITE_LENGTH * r.pairwiseCiphers.length;
  if (r.akms !== undefined) len += 2 + SUITE_LENGTH * r.akms.length;
  if (r.capabilities !== undefined) len += 2;
  if (r.pmkids !== undefined) len += 2 + PMKID_LENGTH * r.pmkids.length;
  if (r.groupMgmtCipher !== undefined) len += SUITE_LENGTH;
  if (r.extension !== undefined) len += r.extension.length;
  if (len > 0xff) throw new RangeError(`RSNE body would be ${len} octets; the maximum is 255`);

  const out = Buffer.allocUnsafe(2 + len);
  out[0] = RSNE_ID;
  out[1] = len;
  out.writeUInt16LE(r.version, 2);
  let pos = 4;
  if (r.groupCipher !== undefined) pos = writeSuite(out, pos, r.groupCipher, 'group cipher');
  if (r.pairwiseCiphers !== undefined) pos = writeSuiteList(out, pos, r.pairwiseCiphers, 'pairwise cipher');
  if (r.akms !== undefined) pos = writeSuiteList(out, pos, r.akms, 'AKM');
  if (r.capabilities !== undefined) {
    checkInt('RSN capabilities', r.capabilities, 0, 0xffff);
    pos = out.writeUInt16LE(r.capabilities, pos);
  }
  if (r.pmkids !== undefined) {
    pos = out.writeUInt16LE(r.pmkids.length, pos);
    for (const p of r.pmkids) {
      checkLength('PMKID', p, PMKID_LENGTH);
      out.set(p, pos);
      pos += PMKID_LENGTH;
    }
  }
  if (r.groupMgmtCipher !== undefined) pos = writeSuite(out, pos, r.groupMgmtCipher, 'group management cipher');
  if (r.extension !== undefined) out.set(r.extension, pos);
  return out;
}

function writeSuite(out: Buffer, pos: number, suite: number, what: string): number {
  checkInt(`${what} suite`, suite, 0, 0xffffffff);
  return out.writeUInt32BE(suite, pos);
}

function writeSuiteList(out: Buffer, pos: number, suites: readonly number[], what: string): number {
  pos = out.writeUInt16LE(suites.length, pos);
  for (const s of suites) pos = writeSuite(out, pos, s, what);
  return pos;
}

/**
 * The management frame protection bits of an RSNE's RSN Capabilities (absent: 0): MFPC
 * (capable) and MFPR (required), as advertised. MFPR without MFPC is not a valid combination; it is
 * reported as is. PMF is in use on a link when both ends set MFPC.
 */
export function pmfOf(rsne: { capabilities?: number }): { capable: boolean; required: boolean } {
  const c = rsne.capabilities ?? 0;
  return { capable: (c & RsnCapability.MFPC) !== 0, required: (c & RsnCapability.MFPR) !== 0 };
}

/** An RSNE's effective parameters: absent fields replaced by their §9.4.2.24.1 defaults. */
export interface RsneParameters {
  groupCipher: number;
  pairwiseCiphers: number[];
  akms: number[];
  capabilities: number;
  pmkids: Buffer[];
  groupMgmtCipher: number;
}

/**
 * Fills absent fields with the defaults of §9.4.2.24.1: group and pairwise cipher CCMP-128,
 * AKM 00-0F-AC:1 (IEEE 802.1X), capabilities 0, no PMKIDs, group management cipher
 * BIP-CMAC-128 (meaningful only when management frame protection is negotiated). These are
 * the defaults hostapd's wpa_parse_wpa_ie_rsn() applies too.
 */
export function rsneDefaults(r: Rsne): RsneParameters {
  return {
    groupCipher: r.groupCipher ?? CIPHER.CCMP_128,
    pairwiseCiphers: r.pairwiseCiphers ?? [CIPHER.CCMP_128],
    akms: r.akms ?? [AKM.IEEE8021X],
    capabilities: r.capabilities ?? 0,
    pmkids: r.pmkids ?? [],
    groupMgmtCipher: r.groupMgmtCipher ?? CIPHER.BIP_CMAC_128,
  };
}
