/**
 * IEEE 802.11-2020 §9.4.1.7, Table 9-49: reason codes of Deauthentication and Disassociation
 * frames, in words for operators (station events, `airlock events`, logs). The wording is
 * ours, shortened from the standard's meaning column.
 */

/** The meaning of each reason code the standard defines that an AP is likely to meet. */
export const REASON_NAMES: Readonly<Record<number, string>> = {
  1: 'unspecified reason',
  2: 'previous authentication no longer valid',
  3: 'station is leaving (or has left) the ESS',
  4: 'inactivity',
  5: 'AP cannot handle all associated stations',
  6: 'class 2 frame from a nonauthenticated station',
  7: 'class 3 frame from a nonassociated station',
  8: 'station is leaving (or has left) the BSS',
  9: 'station requesting (re)association is not authenticated',
  10: 'power capability unacceptable',
  11: 'supported channels unacceptable',
  12: 'BSS transition management',
  13: 'invalid element',
  14: 'MIC failure',
  15: '4-way handshake timeout',
  16: 'group key handshake timeout',
  17: 'element in 4-way handshake differs from (Re)Association Request',
  18: 'invalid group cipher',
  19: 'invalid pairwise cipher',
  20: 'invalid AKMP',
  21: 'unsupported RSNE version',
  22: 'invalid RSNE capabilities',
  23: 'IEEE 802.1X authentication failed',
  24: 'cipher suite rejected by security policy',
  25: 'TDLS peer unreachable',
  26: 'TDLS teardown, unspecified reason',
  27: 'disassociated by session termination (SSP request)',
  28: 'no SSP roaming agreement',
  29: 'bad cipher or AKM (SSP)',
  30: 'not authorized in this location',
  31: 'service change precludes TS',
  32: 'unspecified QoS reason',
  33: 'not enough bandwidth for the QoS station',
  34: 'too many frames need acknowledgement (poor channel conditions)',
  35: 'station transmitted outside its TXOPs',
  36: 'requesting station is leaving the BSS or resetting',
  37: 'requesting station no longer uses the stream or session',
  38: 'requesting station received frames of a setup it does not have',
  39: 'requested from the peer station: timeout',
  45: 'peer key mismatch',
  46: 'disassociated by the peer (mesh)',
  47: 'disassociated: AP initiated',
};

/**
 * "reason 15 (4-way handshake timeout)"; a code the table lacks is "reason N"; 0 (no frame
 * carried a reason) is "no reason code".
 */
export function reasonText(code: number): string {
  if (code === 0) return 'no reason code';
  const name = REASON_NAMES[code];
  return name === undefined ? `reason ${code}` : `reason ${code} (${name})`;
}
