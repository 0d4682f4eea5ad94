/**
 * Suite selectors (IEEE 802.11-2020 §9.4.2.24.2 Table 9-149, §9.4.2.24.3 Table 9-151) as
 * 32-bit numbers: OUI << 8 | suite type. 00-0F-AC:4 is 0x000fac04.
 */

/** Cipher suite selectors. */
export const CIPHER = {
  USE_GROUP: 0x000fac00,
  WEP_40: 0x000fac01,
  TKIP: 0x000fac02,
  CCMP_128: 0x000fac04,
  WEP_104: 0x000fac05,
  BIP_CMAC_128: 0x000fac06,
  GROUP_NOT_ALLOWED: 0x000fac07,
  GCMP_128: 0x000fac08,
  GCMP_256: 0x000fac09,
  CCMP_256: 0x000fac0a,
  BIP_GMAC_128: 0x000fac0b,
  BIP_GMAC_256: 0x000fac0c,
  BIP_CMAC_256: 0x000fac0d,
} as const;

/** AKM suite selectors. */
export const AKM = {
  IEEE8021X: 0x000fac01,
  PSK: 0x000fac02,
  IEEE8021X_SHA256: 0x000fac05,
  PSK_SHA256: 0x000fac06,
  /** SAE with SHA-256 (WPA3-Personal): the PMK comes from the SAE exchange (§12.4). */
  SAE: 0x000fac08,
} as const;

/** True for the PSK AKMs (2 and 6). SAE (8) is not one: its PMK is not the PSK. */
export function isPskAkm(akm: number): boolean {
  return akm === AKM.PSK || akm === AKM.PSK_SHA256;
}

/** True for the 802.1X AKMs (1 and 5). */
export function is8021xAkm(akm: number): boolean {
  return akm === AKM.IEEE8021X || akm === AKM.IEEE8021X_SHA256;
}

/** True for SAE (AKM 8). */
export function isSaeAkm(akm: number): boolean {
  return akm === AKM.SAE;
}

/** True for the AKMs whose key hierarchy this package implements: 1, 2, 5, 6 and 8. */
export function isSupportedAkm(akm: number): boolean {
  return isPskAkm(akm) || is8021xAkm(akm) || isSaeAkm(akm);
}

/** "00-0f-ac:4" for a selector. */
export function formatSuite(s: number): string {
  const oui = (s >>> 8).toString(16).padStart(6, '0');
  return `${oui.slice(0, 2)}-${oui.slice(2, 4)}-${oui.slice(4, 6)}:${s & 0xff}`;
}
