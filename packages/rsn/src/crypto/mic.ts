/**
 * EAPOL-Key MIC, IEEE 802.11-2020 §12.7.2 (Key Descriptor Version field, Table 12-9 /
 * Table 12-11): computed over the EAPOL frame from the 802.1X header on, MIC field zeroed.
 * Version 0 is "AKM-defined"; the only such AKM here is SAE (00-0F-AC:8), whose MIC is
 * AES-128-CMAC. (SAE-EXT-KEY, AKM 24, would need the AKM as well: its version-0 MIC is
 * HMAC-SHA-256/384/512.)
 */
import { createHmac } from 'node:crypto';
import { aesCmac } from './cmac.js';

const MIC_LEN = 16;

/**
 * The 16-octet EAPOL-Key MIC: v2 HMAC-SHA1-128; v3 and v0 (AKM-defined, SAE) AES-128-CMAC;
 * RangeError for other versions.
 */
export function calculateEapolKeyMic(kck: Uint8Array, frameWithZeroMic: Uint8Array, descriptorVersion: number): Buffer {
  switch (descriptorVersion) {
    case 2:
      return createHmac('sha1', kck).update(frameWithZeroMic).digest().subarray(0, MIC_LEN);
    case 0:
    case 3:
      return aesCmac(kck, frameWithZeroMic);
    default:
      throw new RangeError(`unsupported key descriptor version ${descriptorVersion}`);
  }
}
