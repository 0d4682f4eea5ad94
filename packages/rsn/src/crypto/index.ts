/**
 * Cryptographic primitives of the RSN authenticator (IEEE 802.11-2020 §12.7 and Annex J):
 * PSK, PRF/KDF, PTK and PMKID derivation, EAPOL-Key MIC, AES key wrap (RFC 3394),
 * AES-CMAC (RFC 4493) and the BIP-CMAC-128 MIC (§12.5.4). node:crypto only; no I/O, no
 * clock, no randomness.
 */
export { timingSafeEqualBytes, wipe } from './bytes.js';
export { aesCmac } from './cmac.js';
export { BIP_AAD_LENGTH, BIP_CMAC_128_MIC_LENGTH, MME_ID, bipAad, bipCmac128Mic, igtkLength } from './bip.js';
export { kdfSha256, prf } from './kdf.js';
export { aesKeyUnwrap, aesKeyWrap } from './keywrap.js';
export { calculateEapolKeyMic } from './mic.js';
export { PskCache, passphraseProblem, pbkdf2Psk, pskFromHex } from './psk.js';
export {
  computePmkid,
  derivePtk,
  ptkFromOctets,
  copyPtkOctets,
  ptkLength,
  keyDescriptorVersionFor,
  pairwiseExpansionData,
  tkLength,
  type PtkKeys,
} from './ptk.js';
