/**
 * PMKSA cache (IEEE 802.11-2020 §12.6.10.3, invariant 9): PMKs from 802.1X, kept per
 * station and SSID for the whole authenticator, so a station may use its PMKID on any BSS
 * of any agent (opportunistic key caching across the controller). The PMKID is computed
 * for the AA the station associates to: PMKID = HMAC-SHA1-128(PMK, "PMK Name" || AA || SPA)
 * (SHA-256 for AKM 5). Entries expire by lifetime and by Session-Timeout.
 */
import { computePmkid, timingSafeEqualBytes, wipe } from '../crypto/index.js';
import { takeOldest } from '@airlock/bytes';
import { macKey } from '../mac.js';
import type { Grant } from './records.js';

/**
 * What is remembered of one 802.1X authentication, or of one SAE exchange. An SAE PMKSA
 * has its PMKID from the exchange and holds only at the BSS it was made with (`aa`): its
 * PMK came from a password element of the two addresses.
 */
export interface PmksaEntry extends Grant {
  sta: Buffer;
  ssid: Buffer;
  pmk: Buffer;
  akm: number;
  expiresAt: number;
  /** SAE: the PMKID of the exchange. */
  pmkid?: Buffer;
  /** SAE: the BSSID of the exchange. */
  aa?: Buffer;
}

/** A PMKSA as it travels between cores: its lifetime is relative, each core has its own clock. */
export interface SharedPmksa extends Omit<PmksaEntry, 'expiresAt'> {
  remainingMs: number;
}

/** What a core reports of its PMKSA cache (CoreOptions.pmksaListener). */
export interface PmksaListener {
  cached(entry: SharedPmksa): void;
  /** A PMKSA was forgotten: the station's on an SSID, or with `aa` its SAE PMKSA of that BSS. */
  forgotten(sta: Buffer, ssid: Buffer, aa?: Buffer): void;
}

/**
 * PMKSAs by station and SSID, bounded, least recently used evicted first. An authenticator
 * made of several cores (worker processes) keeps one cache: `cache` and `drop` tell the
 * listener, which the other cores hear as `importShared` and `forget`.
 */
export class PmksaCache {
  private readonly entries = new Map<string, PmksaEntry>();

  constructor(
    private readonly maxEntries = 262144,
    private readonly listener?: PmksaListener,
  ) {}

  /** Caches this core's PMKSA (the entry's buffers are the cache's own) and tells the listener. */
  cache(e: PmksaEntry, now: number): void {
    this.add(e);
    if (this.listener === undefined) return;
    const { expiresAt, ...shared } = e;
    this.listener.cached({ ...shared, pmk: Buffer.from(e.pmk), remainingMs: expiresAt - now });
  }

  /** Forgets a station's PMKSA here and tells the listener. */
  drop(sta: Buffer, ssid: Buffer): void {
    this.forget(sta, ssid);
    this.listener?.forgotten(sta, ssid);
  }

  /**
   * Forgets every PMKSA of a station (each SSID, SAE ones of each BSS too) and tells the
   * listener of each: a policy server's Disconnect-Request. A scan of the cache.
   */
  dropStation(sta: Buffer): number {
    const prefix = `${macKey(sta)}/`;
    const gone: { ssid: Buffer; aa: Buffer | undefined }[] = [];
    for (const [k, e] of this.entries) {
      if (!k.startsWith(prefix)) continue;
      gone.push({ ssid: Buffer.from(e.ssid), aa: e.aa === undefined ? undefined : Buffer.from(e.aa) });
      this.remove(k);
    }
    for (const g of gone) this.listener?.forgotten(sta, g.ssid, g.aa);
    return gone.length;
  }

  /** Caches a PMKSA another core made (copied); not told back to the listener. */
  importShared(e: SharedPmksa, now: number): void {
    if (!(e.remainingMs > 0) || e.pmk.length < 16 || e.sta.length !== 6) return;
    const { remainingMs, ...rest } = e;
    this.add({
      ...rest,
      sta: Buffer.from(e.sta),
      ssid: Buffer.from(e.ssid),
      pmk: Buffer.from(e.pmk),
      classes: e.classes.map((c) => Buffer.from(c)),
      pmkid: e.pmkid && Buffer.from(e.pmkid),
      aa: e.aa && Buffer.from(e.aa),
      expiresAt: now + remainingMs,
    });
  }

  /** Caches (or replaces) the PMKSA of a station on an SSID (an SAE one: on that SSID at that BSS). */
  add(e: PmksaEntry): void {
    const k = key(e.sta, e.ssid, e.aa);
    const old = this.entries.get(k);
    if (old !== undefined && old.pmk !== e.pmk) wipe(old.pmk);
    this.entries.delete(k);
    if (this.entries.size >= this.maxEntries) wipe(takeOldest(this.entries)?.[1].pmk);
    this.entries.set(k, e);
  }

  /**
   * The live entry whose PMKID (for this AA) is one of `pmkids`, or undefined: the station's
   * SAE PMKSA with this BSS, else its 802.1X PMKSA on the SSID (opportunistic key caching).
   */
  lookup(sta: Buffer, ssid: Buffer, aa: Buffer, pmkids: Buffer[], now: number): PmksaEntry | undefined {
    if (pmkids.length === 0) return undefined;
    return this.lookupKey(key(sta, ssid, aa), sta, aa, pmkids, now) ?? this.lookupKey(key(sta, ssid), sta, aa, pmkids, now);
  }

  private lookupKey(k: string, sta: Buffer, aa: Buffer, pmkids: Buffer[], now: number): PmksaEntry | undefined {
    const e = this.entries.get(k);
    if (e === undefined) return undefined;
    if (e.expiresAt <= now) {
      this.remove(k);
      return undefined;
    }
    if (e.aa !== undefined && !e.aa.equals(aa)) return undefined;
    // The PMKID is derived from the PMK's making: compared in constant time, as every PMK-derived value.
    const expectedPmkid = e.pmkid ?? computePmkid(e.pmk, aa, sta, e.akm);
    if (!pmkids.some((pmkid) => timingSafeEqualBytes(pmkid, expectedPmkid))) return undefined;
    // Refresh recency for the LRU bound.
    this.entries.delete(k);
    this.entries.set(k, e);
    return e;
  }

  /** Forgets a station's PMKSA on an SSID (e.g. after a failed reauthentication); with `aa`, its SAE PMKSA of that BSS. */
  forget(sta: Buffer, ssid: Buffer, aa?: Buffer): void {
    this.remove(key(sta, ssid, aa));
  }

  /** Drops expired entries (call now and then; lookups also expire lazily). */
  expire(now: number): number {
    let n = 0;
    for (const [k, e] of this.entries) {
      if (e.expiresAt <= now) {
        this.remove(k);
        n++;
      }
    }
    return n;
  }

  /** Every live entry as it travels (PMKs copied: the caller wipes them), e.g. to publish them again to a shared store. */
  shared(now: number): SharedPmksa[] {
    const out: SharedPmksa[] = [];
    for (const e of this.entries.values()) {
      if (e.expiresAt <= now) continue;
      const { expiresAt, ...rest } = e;
      out.push({ ...rest, pmk: Buffer.from(e.pmk), remainingMs: expiresAt - now });
    }
    return out;
  }

  /** Number of cached PMKSAs. */
  get size(): number {
    return this.entries.size;
  }

  private remove(k: string): void {
    const e = this.entries.get(k);
    if (e === undefined) return;
    wipe(e.pmk);
    this.entries.delete(k);
  }
}

/** Station and SSID; an SAE PMKSA also its BSSID (a station keeps one per BSS, as hostapd's per-BSS caches do). */
function key(sta: Buffer, ssid: Buffer, aa?: Buffer): string {
  return aa === undefined ? `${macKey(sta)}/${ssid.toString('hex')}` : `${macKey(sta)}/${ssid.toString('hex')}/${macKey(aa)}`;
}

/**
 * The PMKID of msg 1/4 (802.1X AKMs) for a PMK on a BSS. Wired ports: wpa_supplicant's wired
 * driver derives it with AA = the source address of the EAPOL frame (the agent's interface
 * MAC) while it uses the BSSID (the PAE group address) as the AA of the PTK; a PMKID made
 * with the BSSID makes it abort the handshake ("RSN: PMKID mismatch"). So on a wired port:
 * the interface MAC the agent announced, or no PMKID KDE when it announced none.
 */
export function msg1Pmkid(cfg: { bssid: Buffer; wired: boolean; interfaceMac?: Buffer }, sta: Buffer, akm: number, pmk: Buffer): Buffer | undefined {
  if (!cfg.wired) return computePmkid(pmk, cfg.bssid, sta, akm);
  return cfg.interfaceMac !== undefined ? computePmkid(pmk, cfg.interfaceMac, sta, akm) : undefined;
}
