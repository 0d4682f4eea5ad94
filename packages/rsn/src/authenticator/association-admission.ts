/**
 * Whether a (re)association may start a security association here, an endpoint-level
 * module of the core: the MAC backoff of stations whose handshakes keep failing
 * (mac-backoff.ts), the station caps per BSS and per agent, the cap on stations of a BSS not
 * yet authorized, and the suites the association RSNE selects (IEEE 802.11-2020 §12.6.3).
 * Pure: the core passes the BSS, the station and the time, and acts on the verdict.
 */
import { decodeRsne, pmfOf, rsneDefaults } from '../codec/index.js';
import { AKM, CIPHER } from '../suites.js';
import { macKey } from '../mac.js';
import { MacBackoff, type MacBackoffOptions } from './mac-backoff.js';
import { Reason } from './reason-codes.js';
import type { BssState } from './records.js';
import type { HandshakeResult } from './types.js';

/** Why an association is refused: the reason code to disconnect with, and what to count and say. */
export interface AssociationRefusal {
  reason: number;
  /** Deauthentication (true) or Disassociation. */
  deauth: boolean;
  /** A rejected-handshake report with this detail, when the refusal is one. */
  rejected?: string;
  /** A dropped-event report (reason, detail), when the refusal counts as one. */
  drop?: [string, string];
}

export interface AssociationLimits {
  maxStationsPerBss?: number;
  maxStationsPerAgent?: number;
  maxPendingPerBss?: number;
  macBackoff?: Partial<MacBackoffOptions> | false;
}

export class AssociationAdmission {
  private readonly maxPerBss: number;
  private readonly maxPerAgent: number;
  private readonly maxPendingPerBss: number;
  private readonly backoff: MacBackoff | undefined;
  private readonly agentStations = new Map<string, number>();

  constructor(o: AssociationLimits) {
    this.maxPerBss = o.maxStationsPerBss ?? Infinity;
    this.maxPerAgent = o.maxStationsPerAgent ?? Infinity;
    this.maxPendingPerBss = o.maxPendingPerBss ?? Infinity;
    this.backoff = o.macBackoff === false ? undefined : new MacBackoff(o.macBackoff);
  }

  /** The suites of the association, or why it is refused. A wired port's station (no RSNE) takes the port's first suites. */
  check(bss: BssState, sta: Buffer, rsne: Buffer, now: number): { akm: number; cipher: number; mfp: boolean } | AssociationRefusal {
    const refusedUntil = this.backoff?.refusedUntil(backoffKey(sta, bss), now);
    if (refusedUntil !== undefined) {
      return { reason: Reason.UNSPECIFIED, deauth: true, drop: ['mac_backoff', `association refused for another ${Math.ceil(refusedUntil - now)} ms: the station's handshakes failed again and again`] };
    }
    if (this.full(bss)) return { reason: Reason.AP_FULL, deauth: false, rejected: 'station limit of the BSS or agent reached', drop: ['station_limit', 'association refused: station limit reached'] };
    if (bss.pending >= this.maxPendingPerBss) {
      return { reason: Reason.AP_FULL, deauth: false, rejected: 'limit of stations not yet authorized on the BSS reached', drop: ['pending_limit', 'association refused: too many stations of the BSS are not yet authorized'] };
    }
    // Wired port without association frame: the port policy decides (checked in msg 2/4).
    if (bss.cfg.wired && rsne.length === 0) return { akm: bss.akms[0], cipher: bss.pairwiseCiphers[0], mfp: false };
    const dec = decodeRsne(rsne);
    if (!dec.ok) return { reason: dec.error.code === 'bad-version' ? Reason.UNSUPPORTED_RSNE_VERSION : Reason.INVALID_ELEMENT, deauth: true, rejected: `association RSNE: ${dec.error.detail}` };
    const r = rsneDefaults(dec.value);
    if (r.groupCipher !== bss.groupCipher) return { reason: Reason.GROUP_CIPHER_NOT_VALID, deauth: true, rejected: 'association RSNE names another group cipher' };
    if (r.pairwiseCiphers.length !== 1 || !bss.pairwiseCiphers.includes(r.pairwiseCiphers[0]))
      return { reason: Reason.PAIRWISE_CIPHER_NOT_VALID, deauth: true, rejected: 'association RSNE must select one offered pairwise cipher' };
    if (r.akms.length !== 1 || !bss.akms.includes(r.akms[0])) return { reason: Reason.AKMP_NOT_VALID, deauth: true, rejected: 'association RSNE must select one offered AKM' };
    // PMF (§12.6.3, hostapd's wpa_validate_wpa_ie): required on one side and not offered on the other is refused.
    const pmf = pmfOf(dec.value);
    const policy = (why: string): AssociationRefusal => ({ reason: Reason.ROBUST_MGMT_POLICY_VIOLATION, deauth: true, rejected: why });
    if (bss.pmf === 2 && !pmf.capable) return policy('the BSS requires PMF and the station does not offer it');
    if (pmf.required && bss.pmf === 0) return policy('the station requires PMF and the BSS does not offer it');
    const mfp = bss.pmf > 0 && pmf.capable;
    if (r.akms[0] === AKM.SAE && !mfp) return policy('SAE requires PMF');
    if (mfp && r.groupMgmtCipher !== CIPHER.BIP_CMAC_128) return { reason: Reason.CIPHER_SUITE_REJECTED, deauth: true, rejected: 'PMF with a group management cipher other than BIP-CMAC-128' };
    return { akm: r.akms[0], cipher: r.pairwiseCiphers[0], mfp };
  }

  /** The BSS or its agent holds as many stations as allowed. */
  full(bss: BssState): boolean {
    return bss.stations.size >= this.maxPerBss || (this.agentStations.get(bss.cfg.agentId) ?? 0) >= this.maxPerAgent;
  }

  /** A station of the agent was made / dropped. */
  added(agentId: string): void {
    this.agentStations.set(agentId, (this.agentStations.get(agentId) ?? 0) + 1);
  }

  removed(agentId: string): void {
    const left = (this.agentStations.get(agentId) ?? 1) - 1;
    if (left > 0) this.agentStations.set(agentId, left);
    else this.agentStations.delete(agentId);
  }

  /** A handshake ended: success clears the station's backoff, a failure (not an abort) counts. */
  ended(sta: Buffer, bss: BssState, result: HandshakeResult, now: number): void {
    if (result === 'success') this.backoff?.succeeded(backoffKey(sta, bss));
    else if (result !== 'aborted') this.backoff?.failed(backoffKey(sta, bss), now);
  }
}

/** The backoff table's key: station and BSS. */
function backoffKey(sta: Buffer, bss: BssState): string {
  return `${macKey(sta)}@${bss.key}`;
}
