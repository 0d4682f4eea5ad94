/**
 * Dynamic Authorization across authenticators on one shared store (DasPeers): the instance
 * a Disconnect- or CoA-Request reached asks the others over the store's events channel,
 * in two steps, so that an action runs only where exactly one session matches:
 *   Q {id, match}            every other instance: how many sessions of mine match?
 *   R {id, to, count}        the ones that have any answer (within QUERY_MS);
 *   X {id, to, job}          none: 503; more than one session in all: 508; else the
 *                            holder runs the job,
 *   Y {id, to, outcome}      and answers (within RUN_MS, else 506).
 * Requests in flight are bounded (MAX_PENDING: more wait for nothing and get 506); what
 * arrives is JSON from the deployment's own Redis, still parsed defensively.
 */
import { randomBytes } from 'node:crypto';
import { ErrorCause } from '@airlock/radius';
import type { DasJob, DasMatch, DasOutcome, DasPeers } from '../dynamic-authorization.js';

/** How long the instances get to say they hold a session. */
export const QUERY_MS = 250;
/** How long the holder gets to run the job. */
export const RUN_MS = 1000;
/** Requests asked of the others at once, at most. */
const MAX_PENDING = 64;

/** The messaging of the shared store (SharedState.onPeerMessage / sendPeerMessage). */
export interface PeerChannel {
  onPeerMessage(type: string, handler: (from: string, payload: Buffer) => void): void;
  sendPeerMessage(type: string, payload: Buffer): boolean;
  readonly instance: string;
}

/** What the others ask of this instance. */
export interface DasLocal {
  /** Sessions here that the match names. */
  count(match: DasMatch): number;
  run(job: DasJob): DasOutcome;
}

interface Pending {
  counts: { instance: string; count: number }[];
  outcome: ((o: DasOutcome) => void) | undefined;
}

function parse(payload: Buffer): Record<string, unknown> | undefined {
  try {
    const v: unknown = JSON.parse(payload.toString('utf8'));
    return v !== null && typeof v === 'object' && !Array.isArray(v) ? (v as Record<string, unknown>) : undefined;
  } catch {
    return undefined;
  }
}

function isOutcome(v: unknown): v is DasOutcome {
  if (v === null || typeof v !== 'object') return false;
  const o = v as Record<string, unknown>;
  return o['found'] === 0 || o['ack'] === true || (o['ack'] === false && typeof o['errorCause'] === 'number');
}

export class DasPeerLink implements DasPeers {
  private readonly pending = new Map<string, Pending>();

  constructor(
    private readonly channel: PeerChannel,
    private readonly local: DasLocal,
  ) {
    channel.onPeerMessage('Q', (from, p) => this.onQuery(from, p));
    channel.onPeerMessage('R', (from, p) => this.onCount(from, p));
    channel.onPeerMessage('X', (from, p) => this.onRun(from, p));
    channel.onPeerMessage('Y', (_from, p) => this.onOutcome(p));
  }

  async run(job: DasJob): Promise<DasOutcome> {
    if (this.pending.size >= MAX_PENDING) return { ack: false, errorCause: ErrorCause.ResourcesUnavailable };
    const id = randomBytes(8).toString('hex');
    const p: Pending = { counts: [], outcome: undefined };
    this.pending.set(id, p);
    try {
      if (!this.send('Q', { id, match: job.match })) return { found: 0 };
      await new Promise((r) => setTimeout(r, QUERY_MS));
      const total = p.counts.reduce((n, c) => n + c.count, 0);
      if (total === 0) return { found: 0 };
      if (total > 1) return { ack: false, errorCause: ErrorCause.MultipleSessionSelectionUnsupported };
      const holder = p.counts.find((c) => c.count === 1)!.instance;
      return await new Promise<DasOutcome>((resolve) => {
        const timer = setTimeout(() => resolve({ ack: false, errorCause: ErrorCause.ResourcesUnavailable }), RUN_MS);
        p.outcome = (o) => {
          clearTimeout(timer);
          resolve(o);
        };
        if (!this.send('X', { id, to: holder, job })) {
          clearTimeout(timer);
          resolve({ ack: false, errorCause: ErrorCause.ResourcesUnavailable });
        }
      });
    } finally {
      this.pending.delete(id);
    }
  }

  private send(type: string, body: object): boolean {
    return this.channel.sendPeerMessage(type, Buffer.from(JSON.stringify(body), 'utf8'));
  }

  private onQuery(from: string, payload: Buffer): void {
    const m = parse(payload);
    const match = m?.['match'];
    if (typeof m?.['id'] !== 'string' || match === null || typeof match !== 'object') return;
    const count = this.local.count(match);
    if (count > 0) this.send('R', { id: m['id'], to: from, count });
  }

  private onCount(from: string, payload: Buffer): void {
    const m = parse(payload);
    if (m === undefined || m['to'] !== this.channel.instance || typeof m['id'] !== 'string' || typeof m['count'] !== 'number') return;
    const p = this.pending.get(m['id']);
    // The answers of one query, from different instances (a few: bounded by the instances there are).
    if (p !== undefined && p.outcome === undefined && p.counts.length < 64) p.counts.push({ instance: from, count: m['count'] });
  }

  private onRun(from: string, payload: Buffer): void {
    const m = parse(payload);
    const job = m?.['job'];
    if (m === undefined || m['to'] !== this.channel.instance || typeof m['id'] !== 'string' || job === null || typeof job !== 'object') return;
    let outcome: DasOutcome;
    try {
      outcome = this.local.run(job as DasJob);
    } catch {
      outcome = { ack: false, errorCause: ErrorCause.ResourcesUnavailable };
    }
    this.send('Y', { id: m['id'], to: from, outcome });
  }

  private onOutcome(payload: Buffer): void {
    const m = parse(payload);
    if (m === undefined || m['to'] !== this.channel.instance || typeof m['id'] !== 'string' || !isOutcome(m['outcome'])) return;
    this.pending.get(m['id'])?.outcome?.(m['outcome']);
  }
}
