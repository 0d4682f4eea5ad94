/**
 * Failures in words for the status page (issue 14): failed handshakes grouped by BSS and
 * cause, each a sentence an operator can act on — "3 MIC failures in msg 2/4 on BSS x
 * (1 station, last 02:..): PSK mismatch: ... the station's passphrase is wrong". The cause is
 * the core's own diagnosis of the handshake (the one `airlock explain` shows). And the
 * agents that went away, with when.
 *
 * Both tables are bounded and expire (DESIGN.md "Fairness"): at most MAX_FAILURES groups,
 * the least recently seen going first, each kept until FAILURE_TTL_MS after its last
 * occurrence; at most MAX_GONE_AGENTS agents, for GONE_TTL_MS. Time is a parameter (Unix ms).
 */
import { eapMethodName, formatMac, macKey, type HandshakeRecord, type HandshakeResult } from '@airlock/rsn';

/** Groups of failures kept at most. */
export const MAX_FAILURES = 64;
/** A group is forgotten this long after its last failure. */
export const FAILURE_TTL_MS = 15 * 60_000;
/** Distinct stations counted per group (more show as "N+"). */
const MAX_STATIONS_COUNTED = 32;
/** Gone agents kept at most, and for how long. */
export const MAX_GONE_AGENTS = 64;
export const GONE_TTL_MS = 60 * 60_000;

/** One group of failures as /api/status shows it. */
export interface FailureSummary {
  bssid: string;
  agentId: string;
  /** The handshake result (mic_failure, timeout, rejected). */
  result: string;
  /** The diagnosis cause code (psk-mismatch, aa-mismatch, ...), or "" when there is none. */
  cause: string;
  /** Failed handshakes in the group, and the MIC failures they saw. */
  handshakes: number;
  micFailures: number;
  /** Distinct stations (at most 32 counted) and the last one. */
  stations: number;
  lastSta: string;
  firstAtUnixMs: number;
  lastAtUnixMs: number;
  /** The whole sentence. */
  text: string;
}

interface Group {
  bssid: string;
  agentId: string;
  result: HandshakeResult;
  cause: string;
  detail: string;
  diagnosis: string;
  handshakes: number;
  micFailures: number;
  stations: Set<string>;
  lastSta: string;
  identity: string;
  method: string;
  first: number;
  last: number;
}

function plural(n: number, word: string): string {
  return `${n} ${word}${n === 1 ? '' : 's'}`;
}

/** The sentence of a group. */
function sentence(g: Group): string {
  const stations = `${g.stations.size >= MAX_STATIONS_COUNTED ? `${MAX_STATIONS_COUNTED}+ stations` : plural(g.stations.size, 'station')}, last ${g.lastSta}`;
  const on = `on BSS ${g.bssid} (${stations})`;
  if (g.result === 'mic_failure') {
    const what = g.diagnosis !== '' ? g.diagnosis : 'no diagnosis (the diagnosis is rate-limited, or no likely mistake verifies): a wrong passphrase or PMK?';
    return `${plural(g.micFailures, 'MIC failure')} in msg 2/4 ${on}, ${plural(g.handshakes, 'handshake')} failed: ${what}`;
  }
  if (g.detail.startsWith('802.1X: ')) {
    const who = g.identity !== '' ? `; last identity ${JSON.stringify(g.identity)}${g.method !== '' ? ` (${g.method})` : ''}` : '';
    return `${plural(g.handshakes, '802.1X authentication')} failed ${on}: ${g.detail.slice('802.1X: '.length)}${who}`;
  }
  if (g.result === 'timeout') return `${plural(g.handshakes, 'handshake')} timed out ${on}: ${g.detail}`;
  return `${plural(g.handshakes, 'association')} refused ${on}: ${g.detail}`;
}

/** Failed handshakes by BSS and cause, in words. */
export class FailureBoard {
  private readonly groups = new Map<string, Group>();

  /**
   * A handshake that ended with `result` (success and aborted are not failures): `record` is
   * its handshake record when the core kept one (diagnosis, MIC failures, identity).
   */
  record(at: { bssid: Buffer; sta: Buffer; agentId: string; result: HandshakeResult; detail: string }, record: Readonly<HandshakeRecord> | undefined, nowUnixMs: number): void {
    if (at.result === 'success' || at.result === 'aborted') return;
    this.expire(nowUnixMs);
    const cause = at.result === 'mic_failure' ? (record?.diagnosis?.cause ?? '') : '';
    // MIC failures group by cause; the others by their detail (a small fixed set of sentences).
    const key = `${macKey(at.bssid)}|${at.result}|${at.result === 'mic_failure' ? cause : at.detail}`;
    let g = this.groups.get(key);
    if (g === undefined) {
      if (this.groups.size >= MAX_FAILURES) this.groups.delete(this.groups.keys().next().value!);
      g = { bssid: formatMac(at.bssid), agentId: at.agentId, result: at.result, cause, detail: at.detail, diagnosis: '', handshakes: 0, micFailures: 0, stations: new Set(), lastSta: '', identity: '', method: '', first: nowUnixMs, last: nowUnixMs };
    } else {
      this.groups.delete(key); // re-inserted: the map's order is least recently seen first
    }
    this.groups.set(key, g);
    g.handshakes++;
    g.micFailures += record?.micFailures ?? 0;
    g.last = nowUnixMs;
    g.agentId = at.agentId;
    const sta = formatMac(at.sta);
    g.lastSta = sta;
    if (g.stations.size < MAX_STATIONS_COUNTED) g.stations.add(sta);
    if (record?.diagnosis !== undefined) g.diagnosis = record.diagnosis.text;
    if (record?.auth !== undefined) {
      g.identity = record.auth.identity;
      g.method = eapMethodName(record.auth.method);
    }
  }

  /** The groups, the most recent first. */
  list(nowUnixMs: number): FailureSummary[] {
    this.expire(nowUnixMs);
    return [...this.groups.values()].reverse().map((g) => ({
      bssid: g.bssid,
      agentId: g.agentId,
      result: g.result,
      cause: g.cause,
      handshakes: g.handshakes,
      micFailures: g.micFailures,
      stations: g.stations.size,
      lastSta: g.lastSta,
      firstAtUnixMs: g.first,
      lastAtUnixMs: g.last,
      text: sentence(g),
    }));
  }

  private expire(now: number): void {
    for (const [k, g] of this.groups) {
      if (now - g.last < FAILURE_TTL_MS) break; // oldest first: the rest are newer
      this.groups.delete(k);
    }
  }
}

/** An agent that went away (its stream ended, no reconnect grace or the grace ran out). */
export interface GoneAgent {
  agentId: string;
  bssids: string[];
  goneAtUnixMs: number;
  reason: string;
}

/** The agents that went away recently (bounded, expiring). */
export class GoneAgents {
  private readonly gone = new Map<string, GoneAgent>();

  /** The agent went at `nowUnixMs`. */
  add(a: GoneAgent, nowUnixMs: number): void {
    this.gone.delete(a.agentId);
    this.gone.set(a.agentId, { ...a, bssids: a.bssids.slice(0, 64) });
    while (this.gone.size > MAX_GONE_AGENTS) this.gone.delete(this.gone.keys().next().value!);
    this.expire(nowUnixMs);
  }

  /** The agent is back. */
  back(agentId: string): void {
    this.gone.delete(agentId);
  }

  /** The gone agents, the most recent first. */
  list(nowUnixMs: number): GoneAgent[] {
    this.expire(nowUnixMs);
    return [...this.gone.values()].reverse();
  }

  private expire(now: number): void {
    for (const [k, a] of this.gone) {
      if (now - a.goneAtUnixMs < GONE_TTL_MS) break;
      this.gone.delete(k);
    }
  }
}
