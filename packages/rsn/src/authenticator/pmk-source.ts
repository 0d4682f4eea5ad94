/**
 * Where the PMKs of a handshake come from (IEEE 802.11-2020 §12.7.1.3): for PSK AKMs the
 * station's own passphrases first (per-station PSKs), then the network's, each turned into
 * a PSK once per SSID and passphrase (PskCache, invariant 8: no PBKDF2 in a handshake); for
 * 802.1X AKMs the PMK IEEE 802.1X gave. Every PMK handed out is a copy its taker wipes.
 */
import { PskCache, pskFromHex } from '../crypto/index.js';
import { AKM, isPskAkm } from '../suites.js';
import type { Association } from './records.js';

export class PmkSource {
  private readonly cache = new PskCache();

  /** The PSK for an SSID and passphrase (64 hex digits: the PSK itself): a copy the caller owns. */
  psk(ssid: Buffer, passphrase: string): Buffer {
    if (passphrase.length === 64) {
      const raw = pskFromHex(passphrase);
      if (raw !== undefined) return raw;
    }
    return this.cache.get(ssid, passphrase);
  }

  /** The PMKs to try for a station, in order: copies it owns. */
  candidates(st: Association): Buffer[] {
    if (st.akm === AKM.SAE) return st.PMK !== undefined ? [Buffer.from(st.PMK)] : [];
    if (!isPskAkm(st.akm)) {
      // Sig.keyRun comes with the backend's SUCCESS, a step before AUTHENTICATED hands the
      // conversation's PMK to the association.
      const pmk = st.eap?.pmk ?? st.PMK;
      return pmk !== undefined ? [Buffer.from(pmk)] : [];
    }
    const net = st.bss.cfg.network;
    // A PSK from RADIUS: the one its Access-Accept gave (the handshake starts only with it).
    if (net.pskSource === 'radius') return st.PMK !== undefined ? [Buffer.from(st.PMK)] : [];
    const own = net.stationPassphrases.get(st.key);
    const out: Buffer[] = [];
    if (own) for (const p of own) out.push(this.psk(net.ssid, p));
    for (const p of net.passphrases) out.push(this.psk(net.ssid, p));
    return out;
  }
}
