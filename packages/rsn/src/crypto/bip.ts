/**
 * BIP-CMAC-128, IEEE 802.11-2020 §12.5.4: the MIC of the Management MIC element (MME, also
 * called MMIE) that protects group-addressed robust Management frames with the IGTK, and
 * Beacons with the BIGTK (Beacon protection). MIC = Truncate-64(AES-128-CMAC(IGTK,
 * AAD || Management Frame Body)), the body ending in the MME with its MIC field zeroed.
 */
import { CIPHER } from '../suites.js';
import { aesCmac } from './cmac.js';

/** Element ID of the Management MIC element. */
export const MME_ID = 76;

/** Octets of the BIP-CMAC-128 MIC in the MME. */
export const BIP_CMAC_128_MIC_LENGTH = 8;

/** Octets of the BIP AAD: Frame Control, A1, A2, A3. */
export const BIP_AAD_LENGTH = 20;

/** Frame Control (2) + Duration/ID (2) + A1, A2, A3 (6 each): the header octets the AAD is built from. */
const HEADER_THROUGH_A3 = 22;
/** Frame Control octet 1 (flags): Retry, Power Management and More Data are masked to 0 in the AAD. */
const FC_FLAGS_MASK = ~(0x08 | 0x10 | 0x20) & 0xff;
const IGTK_128 = 16;

/**
 * Octets of an IGTK or BIGTK for a group management cipher (Table 12-8): 16 for BIP-CMAC-128
 * and BIP-GMAC-128, 32 for BIP-GMAC-256 and BIP-CMAC-256, 0 for anything else.
 */
export function igtkLength(groupMgmtCipher: number): number {
  switch (groupMgmtCipher) {
    case CIPHER.BIP_CMAC_128:
    case CIPHER.BIP_GMAC_128:
      return 16;
    case CIPHER.BIP_GMAC_256:
    case CIPHER.BIP_CMAC_256:
      return 32;
    default:
      return 0;
  }
}

/**
 * The BIP AAD of a Management frame (§12.5.4): Frame Control with Retry, Power Management
 * and More Data masked to 0 (the Protected Frame bit is kept), then A1, A2 and A3. Duration
 * and Sequence Control are left out. `header` is the frame from its first octet (at least
 * 22 octets); RangeError when shorter.
 */
export function bipAad(header: Uint8Array): Buffer {
  if (header.length < HEADER_THROUGH_A3) throw new RangeError(`a Management frame header needs ${HEADER_THROUGH_A3} octets through A3, got ${header.length}`);
  const aad = Buffer.allocUnsafe(BIP_AAD_LENGTH); // every octet written below
  aad[0] = header[0];
  aad[1] = header[1] & FC_FLAGS_MASK;
  aad.set(header.subarray(4, HEADER_THROUGH_A3), 2);
  return aad;
}

/**
 * The 8-octet BIP-CMAC-128 MIC: Truncate-64(AES-128-CMAC(igtk, aad || frameBody)). `aad` is
 * bipAad() of the header; `frameBody` is the Management Frame Body ending in the MME with
 * its MIC field zeroed (for a Beacon protected with the BIGTK, the Timestamp zeroed too, as
 * §12.5.4 asks). RangeError unless the IGTK is 16 octets and the AAD 20.
 */
export function bipCmac128Mic(igtk: Uint8Array, aad: Uint8Array, frameBody: Uint8Array): Buffer {
  if (igtk.length !== IGTK_128) throw new RangeError(`a BIP-CMAC-128 IGTK is ${IGTK_128} octets, got ${igtk.length}`);
  if (aad.length !== BIP_AAD_LENGTH) throw new RangeError(`the BIP AAD is ${BIP_AAD_LENGTH} octets, got ${aad.length}`);
  const input = Buffer.allocUnsafe(BIP_AAD_LENGTH + frameBody.length); // every octet written below
  input.set(aad, 0);
  input.set(frameBody, BIP_AAD_LENGTH);
  const tag = aesCmac(igtk, input);
  const mic = Buffer.from(tag.subarray(0, BIP_CMAC_128_MIC_LENGTH));
  tag.fill(0);
  return mic;
}
