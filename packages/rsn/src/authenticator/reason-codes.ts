/** IEEE 802.11-2020 §9.4.1.7 (Table 9-49) reason codes the authenticator sends. */
/** Reason codes of Deauthentication/Disassociation (Table 9-49). */
export const Reason = {
  UNSPECIFIED: 1,
  PREV_AUTH_NOT_VALID: 2,
  DEAUTH_LEAVING: 3,
  AP_FULL: 5,
  INVALID_ELEMENT: 13,
  MIC_FAILURE: 14,
  FOURWAY_HANDSHAKE_TIMEOUT: 15,
  GROUP_KEY_UPDATE_TIMEOUT: 16,
  IE_IN_4WAY_DIFFERS: 17,
  GROUP_CIPHER_NOT_VALID: 18,
  PAIRWISE_CIPHER_NOT_VALID: 19,
  AKMP_NOT_VALID: 20,
  UNSUPPORTED_RSNE_VERSION: 21,
  INVALID_RSNE_CAPABILITIES: 22,
  IEEE_802_1X_AUTH_FAILED: 23,
  /** Robust management frame policy violation (PMF required or refused). */
  ROBUST_MGMT_POLICY_VIOLATION: 31,
  /** The association named no PMKSA the AP has (SAE without a completed exchange). */
  INVALID_PMKID: 49,
  /** Cipher suite rejected because of the security policy (here: a group management cipher other than BIP-CMAC-128). */
  CIPHER_SUITE_REJECTED: 24,
} as const;
