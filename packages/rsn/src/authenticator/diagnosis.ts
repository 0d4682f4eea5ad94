/**
 * MIC-failure diagnosis: when msg 2/4 fails its MIC, re-derive the PTK with the mistakes a
 * split authenticator (or its operator) is likely to have made, and name the one that
 * verifies. Pure: every candidate is passed in; PSKs for SSID variants come lazily from
 * the caller's cache. Only fingerprints leave this module, never keys.
 */
import { calculateEapolKeyMic, derivePtk, pskFromHex, timingSafeEqualBytes, wipe } from '../crypto/index.js';
import { formatMac, PAE_GROUP_ADDRESS } from '../mac.js';
import { isPskAkm } from '../suites.js';
import type { Association, BssState, Handshake, ReceivedKey } from './records.js';
import { fingerprint } from './fingerprint.js';
import type { MicDiagnosis } from './types.js';

/** A candidate Authenticator Address and why it is plausible. */
export interface AaCandidate {
  aa: Buffer;
  label: string;
}

/** Everything the diagnosis may try. */
export interface DiagnosisInput {
  zeroed: Buffer;
  mic: Buffer;
  descriptorVersion: number;
  akm: number;
  cipher: number;
  bssid: Buffer;
  sta: Buffer;
  anonce: Buffer;
  snonce: Buffer;
  previousANonces: Buffer[];
  /** The PMKs that should have worked (already tried with AA = BSSID and the ANonce). */
  pmks: Buffer[];
  psk: boolean;
  ssid: string;
  /** Wrong AAs a split is likely to use. */
  aaCandidates: AaCandidate[];
  /** Per-station PSKs configured for other stations on this SSID. */
  otherStationPmks: { pmk: Buffer; sta: string }[];
  /** PSKs of the configured passphrases under SSID variants (computed on demand). */
  ssidVariantPmks: () => { pmk: Buffer; ssid: string }[];
}

/** Finds which likely mistake makes the msg 2/4 MIC verify. */
export function diagnoseMicFailure(d: DiagnosisInput): MicDiagnosis {
  const base = {
    aaAnnounced: formatMac(d.bssid),
    anonceFp: fingerprint(d.anonce),
    snonceFp: fingerprint(d.snonce),
  };
  const verifies = (pmk: Buffer, aa: Buffer, anonce: Buffer): boolean => {
    const ptk = derivePtk({ pmk, aa, spa: d.sta, anonce, snonce: d.snonce, akm: d.akm, cipher: d.cipher });
    const ok = timingSafeEqualBytes(calculateEapolKeyMic(ptk.kck, d.zeroed, d.descriptorVersion), d.mic);
    wipe(ptk.kck);
    wipe(ptk.kek);
    wipe(ptk.tk);
    return ok;
  };

  for (const c of d.aaCandidates) {
    if (c.aa.equals(d.bssid)) continue;
    for (const pmk of d.pmks) {
      if (verifies(pmk, c.aa, d.anonce)) {
        const aaUsed = formatMac(c.aa);
        return {
          ...base,
          cause: 'aa-mismatch',
          aaUsed,
          text: `AA mismatch: the station derived its PTK with AA ${aaUsed} (${c.label}); the agent announced BSSID ${base.aaAnnounced} — fix the agent's BSS table`,
        };
      }
    }
  }
  for (const prev of d.previousANonces) {
    for (const pmk of d.pmks) {
      if (verifies(pmk, d.bssid, prev)) {
        return {
          ...base,
          cause: 'stale-anonce',
          text: `stale ANonce: the station answered msg 1/4 of an earlier handshake (ANonce ${fingerprint(prev)}, current ${base.anonceFp}); a duplicated or late association restarted the handshake — check the agent's event order`,
        };
      }
    }
  }
  if (d.psk) {
    for (const o of d.otherStationPmks) {
      if (verifies(o.pmk, d.bssid, d.anonce)) {
        return {
          ...base,
          cause: 'other-station-psk',
          text: `PSK mismatch: the station uses the per-station PSK configured for ${o.sta} on SSID "${d.ssid}"`,
        };
      }
    }
    for (const v of d.ssidVariantPmks()) {
      if (verifies(v.pmk, d.bssid, d.anonce)) {
        return {
          ...base,
          cause: 'ssid-mismatch',
          text: `SSID mismatch: the passphrase is right but the station derived its PSK with SSID ${JSON.stringify(v.ssid)}; the network's SSID is ${JSON.stringify(d.ssid)}`,
        };
      }
    }
    return {
      ...base,
      cause: 'psk-mismatch',
      text: `PSK mismatch: no passphrase configured for SSID ${JSON.stringify(d.ssid)} verifies msg 2/4 with AA ${base.aaAnnounced} (also tried ${d.aaCandidates.length} other AAs, ${d.previousANonces.length} earlier ANonces and SSID variants) — the station's passphrase is wrong`,
    };
  }
  return {
    ...base,
    cause: 'pmk-mismatch',
    text: `PMK mismatch: the PMK from 802.1X does not verify msg 2/4 with AA ${base.aaAnnounced} or any likely alternative — the station and the authenticator hold different PMKs`,
  };
}

/** SSID spellings an operator or a station may have used instead of `ssid`. */
export function ssidVariants(ssid: string, otherSsids: string[]): string[] {
  const out = new Set<string>([ssid.trim(), ssid.toLowerCase(), ssid.toUpperCase(), `${ssid} `, `${ssid}\0`, ...otherSsids]);
  out.delete(ssid);
  return [...out].filter((s) => s.length > 0 && Buffer.byteLength(s) <= 32).slice(0, 8);
}

/**
 * The core's MIC-failure diagnoser: gathers the candidates for one station (the AAs a split
 * gets wrong, other stations' PSKs, SSID variants) and runs diagnoseMicFailure, at most
 * `perSecond` times a second core-wide: a station sending garbage must not make the core
 * burn CPU on PBKDF2.
 */
export class MicDiagnoser {
  private tokens: number;
  private refillAt = 0;

  /**
   * @param psk the PSK for an SSID and passphrase: a copy the diagnoser wipes
   * @param bsses every BSS of the core (the other BSSes of the agent, the other SSIDs)
   */
  constructor(
    private readonly perSecond: number,
    private readonly psk: (ssid: Buffer, passphrase: string) => Buffer,
    private readonly bsses: () => Iterable<BssState>,
  ) {
    this.tokens = perSecond;
  }

  diagnose(st: Association, hs: Handshake, rk: ReceivedKey, now: number): MicDiagnosis | undefined {
    this.tokens = Math.min(this.perSecond, this.tokens + ((now - this.refillAt) / 1000) * this.perSecond);
    this.refillAt = now;
    if (this.tokens < 1) return undefined;
    this.tokens -= 1;
    const bss = st.bss;
    const net = bss.cfg.network;
    const ssid = net.ssid.toString('utf8');
    const aaCandidates: AaCandidate[] = [];
    if (bss.cfg.interfaceMac) aaCandidates.push({ aa: bss.cfg.interfaceMac, label: `the interface MAC of agent ${bss.cfg.agentId}` });
    aaCandidates.push({ aa: PAE_GROUP_ADDRESS, label: 'the PAE group address' });
    const otherSsids = new Set<string>();
    for (const other of this.bsses()) {
      const s = other.cfg.network.ssid.toString('utf8');
      if (s !== ssid) otherSsids.add(s);
      if (other === bss || other.cfg.agentId !== bss.cfg.agentId) continue;
      aaCandidates.push({ aa: other.cfg.bssid, label: `BSSID of another BSS of agent ${bss.cfg.agentId}` });
      if (other.cfg.interfaceMac) aaCandidates.push({ aa: other.cfg.interfaceMac, label: `an interface MAC of agent ${bss.cfg.agentId}` });
    }
    for (const delta of [1, -1, 2, -2]) {
      const aa = Buffer.from(bss.cfg.bssid);
      aa[5] = (aa[5] + delta + 256) & 0xff;
      aaCandidates.push({ aa, label: 'an adjacent BSSID' });
    }
    const otherStationPmks: { pmk: Buffer; sta: string }[] = [];
    for (const [k, list] of net.stationPassphrases) {
      if (k === st.key) continue;
      for (const p of list) otherStationPmks.push({ pmk: this.psk(net.ssid, p), sta: formatMac(Buffer.from(k, 'hex')) });
      if (otherStationPmks.length >= 64) break;
    }
    // The PSKs made for the diagnosis are copies: wiped once it is done.
    const variantPmks: Buffer[] = [];
    // Under SSID variants: the station's own per-station passphrases too (a network may have
    // only station_psks), not hex PSKs (they do not depend on the SSID).
    const variantPassphrases = [...(net.stationPassphrases.get(st.key) ?? []), ...net.passphrases].filter((p) => pskFromHex(p) === undefined);
    const diagnosis = diagnoseMicFailure({
      zeroed: rk.zeroed,
      mic: rk.mic,
      descriptorVersion: st.descriptorVersion,
      akm: st.akm,
      cipher: st.pairwiseCipher,
      bssid: bss.cfg.bssid,
      sta: st.sta,
      anonce: hs.ANonce,
      snonce: rk.nonce,
      previousANonces: hs.previousANonces,
      pmks: hs.pmkCandidates,
      psk: isPskAkm(st.akm),
      ssid,
      aaCandidates,
      otherStationPmks,
      ssidVariantPmks: () =>
        ssidVariants(ssid, [...otherSsids]).flatMap((v) =>
          variantPassphrases.map((p) => {
            const pmk = this.psk(Buffer.from(v, 'utf8'), p);
            variantPmks.push(pmk);
            return { pmk, ssid: v };
          }),
        ),
    });
    for (const o of otherStationPmks) wipe(o.pmk);
    for (const k of variantPmks) wipe(k);
    return diagnosis;
  }
}
