/**
 * Station events in words (issue 14): what hostapd reports as AP-STA-CONNECTED,
 * CTRL-EVENT-EAP-SUCCESS / -FAILURE and AP-STA-DISCONNECTED, made from the core's reports
 * ('joined', 'eap', 'station-left') with agent, BSS, station, AKM, EAP identity and method,
 * and the IEEE 802.11 reason in words. Each event is one info line of the log and one item
 * for the Admin API's StreamEvents (event-journal.ts, reached through `sink`).
 *
 * Events are driven by remote input (stations, agents): they are rate-limited per BSS and
 * per agent, with a bound over all (DESIGN.md "Fairness"), and their strings truncated; an
 * identity's control characters are escaped in the log line. What the limit held back is
 * counted per BSS and becomes one EventsDropped item ("rate limit") and one warn line, at
 * the BSS's next event or when the window ends.
 */
import { eapMethodName, formatMac, macKey, reasonText, type AuthRecord, type Report } from '@airlock/rsn';
import type { StationEvent } from '@airlock/proto';
import type { Logger } from 'pino';
import { RateLimitedLog, truncateText } from '@airlock/log-limit';
import { akmLabel } from '../akm-names.js';
import { escapeControls } from '@airlock/log-limit';
import type { EventItem } from './event-journal.js';

/** Where an event goes once allowed: the journal, or the cluster primary; `at` is Unix ms (with a fraction). */
export type EventSink = (item: EventItem, at: number) => void;

/** Rates of station events (per 10 s window): per BSS, per agent, over all. */
export const STATION_EVENT_LIMITS = { intervalMs: 10_000, perBss: 30, perAgent: 100, total: 500, maxKeys: 10_000 } as const;

/** BSSes whose held-back events are counted apart; the rest are counted together. */
const MAX_GAP_KEYS = 4096;
/** Notices (and warn lines) per window at most; the other BSSes share one. */
const MAX_GAP_NOTICES = 20;

/** The message of each event's log line. */
const LOG_MESSAGES: Readonly<Record<string, string>> = {
  connected: 'station connected',
  'eap-success': 'station EAP success',
  'eap-failure': 'station EAP failure',
  disconnected: 'station disconnected',
};

/** Options of StationEvents. */
export interface StationEventsOptions {
  logger: Logger;
  sink: EventSink;
  /** Monotonic ms for the rate limit (default performance.now). */
  now?: () => number;
  /** Unix ms of an event (default performance.timeOrigin + performance.now()). */
  wallNow?: () => number;
  /** Called once per event held back (airlock_log_lines_suppressed_total{source="station-event"}). */
  onSuppressed?: () => void;
  limits?: Partial<Record<keyof typeof STATION_EVENT_LIMITS, number>>;
}

interface Gap {
  bssid: string;
  agentId: string;
  count: number;
}

/** The words of the 802.1X part of an event. */
function authFields(auth: Readonly<AuthRecord> | undefined): { identity: string; eapMethod: string; server: string } {
  if (auth === undefined) return { identity: '', eapMethod: '', server: '' };
  return { identity: auth.identity, eapMethod: eapMethodName(auth.method), server: auth.rounds.at(-1)?.server ?? '' };
}

/** The events of one core's reports, limited, logged and handed to a sink. */
export class StationEvents {
  private readonly log: Logger;
  private readonly sink: EventSink;
  private readonly now: () => number;
  private readonly wallNow: () => number;
  private readonly onSuppressed: (() => void) | undefined;
  private readonly perBss: RateLimitedLog;
  private readonly perAgent: RateLimitedLog;
  private readonly gaps = new Map<string, Gap>();
  private otherGaps = 0;
  private timer: NodeJS.Timeout | undefined;
  private closed = false;
  private readonly intervalMs: number;

  constructor(o: StationEventsOptions) {
    const l = { ...STATION_EVENT_LIMITS, ...o.limits };
    this.log = o.logger;
    this.sink = o.sink;
    this.now = o.now ?? (() => performance.now());
    this.wallNow = o.wallNow ?? (() => performance.timeOrigin + performance.now());
    this.onSuppressed = o.onSuppressed;
    this.intervalMs = l.intervalMs;
    this.perBss = new RateLimitedLog({ burst: l.perBss, intervalMs: l.intervalMs, maxKeys: l.maxKeys, totalBurst: l.total });
    this.perAgent = new RateLimitedLog({ burst: l.perAgent, intervalMs: l.intervalMs, maxKeys: l.maxKeys });
  }

  /** A core report; the ones that are station events become one. */
  report(r: Report): void {
    switch (r.kind) {
      case 'joined': {
        const a = authFields(r.auth);
        this.record({ kind: 'connected', agentId: r.agentId, bssid: r.bssid, sta: r.sta, akm: akmLabel(r.akm), identity: a.identity, eapMethod: a.eapMethod, vlanId: r.vlanId, joinMs: Math.round(r.joinMs * 100) / 100, pmksaCached: r.auth?.pmksaCached === true, detail: '' });
        break;
      }
      case 'eap': {
        const a = authFields(r.auth);
        const from = a.server === '' ? '' : ` (RADIUS server ${a.server})`;
        const user = r.auth?.userName !== undefined && r.auth.userName !== r.auth.identity ? `, User-Name ${JSON.stringify(r.auth.userName)}` : '';
        const detail = r.result === 'accept' ? `Access-Accept${from}${user}` : r.result === 'reject' ? `Access-Reject${from}` : 'EAP timed out: the station or the RADIUS servers stopped answering';
        this.record({ kind: r.result === 'accept' ? 'eap-success' : 'eap-failure', agentId: r.agentId, bssid: r.bssid, sta: r.sta, akm: '', identity: a.identity, eapMethod: a.eapMethod, detail, vlanId: r.result === 'accept' ? (r.auth?.vlanId ?? 0) : 0 });
        break;
      }
      case 'station-left': {
        const hs = r.handshake;
        // A failed handshake's diagnosis belongs to the words of why the station went.
        const diagnosis = hs?.result === 'mic_failure' && hs.diagnosis !== undefined ? `: ${hs.diagnosis.text}` : '';
        const a = authFields(hs?.auth);
        this.record({ kind: 'disconnected', agentId: r.agentId, bssid: r.bssid, sta: r.sta, akm: akmLabel(r.akm), identity: a.identity, eapMethod: a.eapMethod, reason: r.reason, reasonText: reasonText(r.reason), initiator: r.initiator, detail: `${r.detail}${diagnosis}` });
        break;
      }
      default:
        break;
    }
  }

  /** Writes what the limit held back and stops the timer. */
  close(): void {
    this.closed = true;
    this.flushGaps();
  }

  private record(e: { kind: string; agentId: string; bssid: Buffer; sta: Buffer; akm: string; identity: string; eapMethod: string; detail: string; reason?: number; reasonText?: string; initiator?: string; vlanId?: number; joinMs?: number; pmksaCached?: boolean }): void {
    const bssKey = macKey(e.bssid);
    const now = this.now();
    const agentId = truncateText(e.agentId, 128);
    if (!this.perAgent.allow(agentId, now) || !this.perBss.allow(bssKey, now)) {
      this.holdBack(bssKey, e.bssid, agentId);
      return;
    }
    // The BSS's earlier events held back come first, as one notice.
    const gap = this.gaps.get(bssKey);
    if (gap !== undefined) {
      this.gaps.delete(bssKey);
      this.emitGap(gap);
    }
    const at = this.wallNow();
    const event: StationEvent = {
      seq: 0n,
      atUnixMs: BigInt(Math.floor(at)),
      kind: e.kind,
      agentId,
      bssid: formatMac(e.bssid),
      sta: formatMac(e.sta),
      akm: e.akm,
      identity: truncateText(e.identity, 253),
      eapMethod: e.eapMethod,
      reason: e.reason ?? 0,
      reasonText: e.reasonText ?? '',
      initiator: e.initiator ?? '',
      detail: truncateText(e.detail, 400),
      vlanId: e.vlanId ?? 0,
      joinMs: e.joinMs ?? 0,
      pmksaCached: e.pmksaCached ?? false,
    };
    const fields: Record<string, unknown> = { agent: event.agentId, bssid: event.bssid, sta: event.sta, event: event.kind };
    if (event.akm !== '') fields.akm = event.akm;
    if (event.identity !== '') fields.identity = escapeControls(truncateText(event.identity));
    if (event.eapMethod !== '') fields.method = event.eapMethod;
    if (e.kind === 'disconnected') Object.assign(fields, { reason: event.reason, reasonText: event.reasonText, initiator: event.initiator });
    if (event.vlanId > 0) fields.vlan = event.vlanId;
    if (e.kind === 'connected') fields.joinMs = event.joinMs;
    if (event.pmksaCached) fields.pmksaCached = true;
    if (event.detail !== '') fields.detail = escapeControls(event.detail);
    this.log.info(fields, LOG_MESSAGES[e.kind] ?? e.kind);
    this.sink({ $case: 'event', value: event }, at);
  }

  private holdBack(bssKey: string, bssid: Buffer, agentId: string): void {
    this.onSuppressed?.();
    const gap = this.gaps.get(bssKey);
    if (gap !== undefined) gap.count++;
    else if (this.gaps.size < MAX_GAP_KEYS) this.gaps.set(bssKey, { bssid: formatMac(bssid), agentId, count: 1 });
    else this.otherGaps++;
    if (this.timer === undefined && !this.closed) {
      this.timer = setTimeout(() => this.flushGaps(), this.intervalMs);
      this.timer.unref();
    }
  }

  /** The window ended: a notice for each BSS with events held back (the first ones apart, the rest together). */
  private flushGaps(): void {
    clearTimeout(this.timer);
    this.timer = undefined;
    const gaps = [...this.gaps.values()].sort((a, b) => b.count - a.count);
    this.gaps.clear();
    let rest = this.otherGaps;
    let restBsses = rest > 0 ? 1 : 0;
    this.otherGaps = 0;
    for (const [i, g] of gaps.entries()) {
      if (i < MAX_GAP_NOTICES) this.emitGap(g);
      else {
        rest += g.count;
        restBsses++;
      }
    }
    if (rest > 0) {
      this.log.warn({ suppressed: rest, bsses: restBsses }, `${rest} station events of ${restBsses} more BSS(es) held back by the rate limit`);
      this.sink({ $case: 'dropped', value: { count: BigInt(rest), reason: 'rate limit', bssid: '', agentId: '' } }, this.wallNow());
    }
  }

  private emitGap(g: Gap): void {
    this.log.warn({ agent: g.agentId, bssid: g.bssid, suppressed: g.count }, `${g.count} station event${g.count === 1 ? '' : 's'} of the BSS held back by the rate limit`);
    this.sink({ $case: 'dropped', value: { count: BigInt(g.count), reason: 'rate limit', bssid: g.bssid, agentId: g.agentId } }, this.wallNow());
  }
}
