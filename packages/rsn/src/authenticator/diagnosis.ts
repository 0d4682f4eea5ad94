/**
 * MIC-failure diagnosis: when msg 2/4 fails its MIC, re-derive the PTK with the mistakes a
 * split authenticator (or its operator) is likely to have made, and name the one that
 * verifies. Pure: every candidate is passed in; PSKs for SSID variants come lazily from
 * the caller's cache. Only fingerprints leave this module, never keys.
 */
import { calculateEapolKeyMic, derivePtk, timingSafeEqualBytes, wipe } from '../crypto/index.js';
import { formatMac } from '../mac.js';
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
