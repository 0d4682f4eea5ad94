/**
 * The messages between the cluster primary and its workers (node:cluster IPC with the
 * 'advanced' serialization, so Buffers travel as bytes). The primary owns the TCP port
 * and hands each accepted connection to a worker; the workers own the agents, and share
 * what must be one for the whole authenticator (the PMKSA cache, BSS leases and claims,
 * the agents' state) through the shared store, as separate instances do. Over IPC: the
 * connections, the Admin API's and the metrics' questions, reloads, and station events for
 * the primary's journal.
 */
import type { StationFilter } from '../admin/backend.js';
import type { AuthenticatorConfig } from '../config.js';
import type { EventItem } from '../events/event-journal.js';
import type { RadiusTestOutcome, RadiusTestRefused } from '../radius-test.js';

/**
 * A question the primary puts to every worker at once ('question', answered by 'answer'
 * with the same id): its metrics for a scrape, the Admin API's questions (admin/backend.ts)
 * and the two steps of a configuration reload.
 */
export type WorkerQuestion =
  | { op: 'metrics' }
  | { op: 'agents' }
  | { op: 'status' }
  | { op: 'stations'; filter: StationFilter }
  | { op: 'explain'; sta: Uint8Array }
  | { op: 'disconnect'; sta: Uint8Array; reason: number }
  | { op: 'rekey'; bssid: Uint8Array }
  /** The worker's RADIUS servers' health (RadiusServerHealth[]), and whether it offers 802.1X. */
  | { op: 'radius' }
  | { op: 'offers-8021x' }
  /** An operator's radtest, put to one worker (answered with a RadiusTestAnswer). */
  | { op: 'radius-test'; user: string; password: Uint8Array }
  /** Configuration reload in two steps: every worker checks, then every worker applies. */
  | { op: 'reload-check'; config: AuthenticatorConfig }
  | { op: 'reload'; config: AuthenticatorConfig };

/** A worker's answer to 'radius-test': the outcome, or why it was not run (RadiusTestRefused). */
export type RadiusTestAnswer = { ok: true; outcome: RadiusTestOutcome } | { ok: false; reason: RadiusTestRefused['reason']; message: string };

/** Worker -> primary. */
export type WorkerMessage =
  | { t: 'ready' }
  /** The connection `id` the primary handed over is through its TLS handshake (the primary's per-source caps count it no more). */
  | { t: 'connection-established'; id: number }
  /** The connection `id` the primary handed over has closed (placement and the caps count them). */
  | { t: 'connection-closed'; id: number }
  /** A worker's answer to the question `id` (undefined when it could not answer). */
  | { t: 'answer'; id: number; answer: unknown }
  /** A station event (or a notice of events held back) for the primary's journal; `at`: Unix ms with a fraction. */
  | { t: 'station-event'; item: EventItem; at: number };

/** Primary -> worker (a connection travels as the handle of a 'connection' message). */
export type PrimaryMessage =
  | { t: 'connection'; id: number }
  | { t: 'question'; id: number; question: WorkerQuestion }
  | { t: 'stop'; graceMs: number };

/** Whether an IPC message is one of ours (node:cluster and prom-client send their own). */
export function isClusterMessage(m: unknown): m is { t: string } {
  return typeof m === 'object' && m !== null && typeof (m as { t?: unknown }).t === 'string';
}

/** Buffers arrive as Uint8Array after the advanced serialization. */
export function toBuffer(u: Uint8Array): Buffer {
  return Buffer.from(u.buffer, u.byteOffset, u.byteLength);
}
