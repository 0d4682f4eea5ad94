/**
 * Per-station PSKs from RADIUS (networks[].psk_source: radius; hostapd's wpa_psk_radius=2,
 * Cisco's iPSK): the glue's half of the core's 'psk-request'. A MAC-authentication
 * Access-Request per join (radius-attributes.ts pskLookupAttributes); the Access-Accept's
 * Tunnel-Password (RFC 2868 §3.5, decrypted by the RADIUS client) is the station's
 * passphrase, or 64 hex digits of PSK, and its VLAN, Class and Session-Timeout come with it.
 * The PSK is derived here (PBKDF2 off the event loop, in libuv's pool) and the answer is kept
 * for its Session-Timeout, so a station that rejoins or roams within it does not ask again;
 * without a Session-Timeout every join asks, and a change on the server applies at once.
 * Only Accepts are kept (an outsider cannot grow the table past the stations the server
 * admits), at most MAX_ENTRIES of them, least recently used first out, PSKs wiped.
 */
import { pbkdf2 } from 'node:crypto';
import { promisify } from 'node:util';
import type { AccessOutcome, RadiusAttribute } from '@airlock/radius';
import { macKey, macUserName, type RadiusOutcome } from '@airlock/rsn';
import type { PskRequestEffect } from './effect-router.js';
import { outcomeOf } from './radius-attributes.js';

const pbkdf2Async = promisify(pbkdf2);

/** Answers kept at most (each a PSK, a VLAN and its Class attributes). */
export const MAX_ENTRIES = 65_536;

/** How a lookup ended (airlock_psk_lookups_total{result}). */
export type PskLookupResult = 'accept' | 'cached' | 'reject' | 'no_psk' | 'timeout';

interface Entry {
  psk: Buffer;
  vlanId: number | undefined;
  sessionTimeoutS: number;
  classes: Buffer[];
  userName: string | undefined;
  server: string;
  expiresAt: number;
}

/** What the lookup needs from the service. */
export interface PskLookupHooks {
  /** Sends the Access-Request (the RADIUS client's callback form; without a client, `done` gets a timeout). */
  requestAccess(attrs: RadiusAttribute[], userPassword: Buffer, owner: { agent: string; bss: string }, conversation: string, done: (r: AccessOutcome) => void): void;
  /** The answer, to the core (the PSK is a copy the callee wipes once the core copied it). */
  deliver(ref: number, outcome: RadiusOutcome): void;
  /** Counts one lookup. */
  count(result: PskLookupResult): void;
  /** The clock (ms). */
  now(): number;
}

/** A passphrase (8..63 printable ASCII, IEEE 802.11-2020 J.4.1) or a raw PSK (64 hex digits); undefined otherwise. */
async function pskFrom(tunnelPassword: Buffer, ssid: Buffer): Promise<Buffer | undefined> {
  const n = tunnelPassword.length;
  if (n === 64 && /^[0-9a-fA-F]{64}$/.test(tunnelPassword.toString('latin1'))) return Buffer.from(tunnelPassword.toString('latin1'), 'hex');
  if (n < 8 || n > 63) return undefined;
  for (const b of tunnelPassword) if (b < 0x20 || b > 0x7e) return undefined;
  return pbkdf2Async(tunnelPassword, ssid, 4096, 32, 'sha1');
}

/** See the module comment. */
export class PskLookup {
  private readonly cache = new Map<string, Entry>();

  constructor(
    private readonly hooks: PskLookupHooks,
    private readonly maxEntries = MAX_ENTRIES,
  ) {}

  /** Entries kept now. */
  get size(): number {
    return this.cache.size;
  }

  /** Runs the core's request: from the cache, else from RADIUS. */
  lookup(e: PskRequestEffect, attrs: RadiusAttribute[]): void {
    const key = `${e.ssid.toString('hex')}/${macKey(e.sta)}`;
    const hit = this.cache.get(key);
    if (hit !== undefined) {
      this.cache.delete(key);
      if (hit.expiresAt > this.hooks.now()) {
        this.cache.set(key, hit); // most recently used last
        this.hooks.count('cached');
        const outcome: RadiusOutcome = { outcome: 'accept', psk: Buffer.from(hit.psk), vlanId: hit.vlanId, sessionTimeoutS: Math.max(1, Math.ceil((hit.expiresAt - this.hooks.now()) / 1000)), classes: hit.classes, userName: hit.userName };
        queueMicrotask(() => this.hooks.deliver(e.ref, outcome));
        return;
      }
      hit.psk.fill(0);
    }
    const password = Buffer.from(macUserName(e.sta));
    this.hooks.requestAccess(attrs, password, { agent: e.agentId, bss: macKey(e.bssid) }, `psk/${macKey(e.sta)}`, (r) => {
      password.fill(0);
      void this.answered(e, key, r);
    });
  }

  /** Forgets a station's answers (a Disconnect from the policy server: its next join asks again). */
  forget(sta: Buffer): void {
    const suffix = `/${macKey(sta)}`;
    for (const [k, v] of this.cache) {
      if (!k.endsWith(suffix)) continue;
      v.psk.fill(0);
      this.cache.delete(k);
    }
  }

  /** Forgets everything (configuration reload, stop). */
  clear(): void {
    for (const v of this.cache.values()) v.psk.fill(0);
    this.cache.clear();
  }

  private async answered(e: PskRequestEffect, key: string, r: AccessOutcome): Promise<void> {
    if (!r.ok) {
      // A newer request of the station took its place, or the core let go of it.
      if (r.error.reason === 'superseded' || r.error.reason === 'withdrawn') return;
      this.hooks.count('timeout');
      this.hooks.deliver(e.ref, { outcome: 'timeout' });
      return;
    }
    const res = r.value;
    const tunnelPassword = res.tunnelPassword;
    try {
      const base = outcomeOf(res.code, res.attributes, undefined);
      if (base.outcome !== 'accept') {
        // A challenge has no place in MAC authentication: a refusal too.
        this.hooks.count('reject');
        this.hooks.deliver(e.ref, { outcome: 'reject', server: res.server, rttMs: res.rttMs });
        return;
      }
      const psk = tunnelPassword !== undefined ? await pskFrom(tunnelPassword, e.ssid) : undefined;
      if (psk === undefined) {
        this.hooks.count('no_psk');
        const detail = tunnelPassword !== undefined ? 'its Tunnel-Password is not a passphrase of 8..63 printable characters or 64 hex digits' : (res.tunnelPasswordError ?? 'no Tunnel-Password in the Access-Accept');
        this.hooks.deliver(e.ref, { outcome: 'accept', detail, server: res.server, rttMs: res.rttMs });
        return;
      }
      this.hooks.count('accept');
      const sessionTimeoutS = base.sessionTimeoutS ?? 0;
      if (sessionTimeoutS > 0) this.keep(key, { psk: Buffer.from(psk), vlanId: base.vlanId, sessionTimeoutS, classes: base.classes ?? [], userName: base.userName, server: res.server, expiresAt: this.hooks.now() + sessionTimeoutS * 1000 });
      this.hooks.deliver(e.ref, { ...base, psk, server: res.server, rttMs: res.rttMs });
    } finally {
      tunnelPassword?.fill(0);
    }
  }

  private keep(key: string, entry: Entry): void {
    const old = this.cache.get(key);
    if (old !== undefined) {
      old.psk.fill(0);
      this.cache.delete(key);
    }
    if (this.cache.size >= this.maxEntries) {
      const [k, oldest] = this.cache.entries().next().value as [string, Entry];
      oldest.psk.fill(0);
      this.cache.delete(k);
    }
    this.cache.set(key, entry);
  }
}
