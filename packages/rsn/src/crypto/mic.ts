/**
 * EAPOL-Key MIC, IEEE 802.11-2020 §12.7.2 (Key Descriptor Version field, Table 12-9 /
 * Table 12-11): computed over the EAPOL frame from the 802.1X header on, MIC field zeroed.
 */
import { createHmac } from 'node:crypto';
import { aesCmac } from './cmac.js';

const MIC_LEN = 16;

/** The 16-octet EAPOL-Key MIC: v2 HMAC-SHA1-128, v3 AES-128-CMAC; RangeError for other versions. */
export function calculateEapolKeyMic(kck: Uint8Array, frameWithZeroMic: Uint8Array, descriptorVersion: number): Buffer {
  switch (descriptorVersion) {
    case 2:
      return createHmac('sha1', kck).update(frameWithZeroMic).digest().subarray(0, MIC_LEN);
    case 3:
      return aesCmac(kck, frameWithZeroMic);
    default:
      throw new RangeError(`unsupported key descriptor version ${descriptorVersion}`);
  }
}
