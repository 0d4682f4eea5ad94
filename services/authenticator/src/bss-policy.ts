/**
 * Which agent may act for which BSS (DESIGN.md "Security"): BSSIDs assigned to an agent in
 * the configuration are its alone; with `bss_policy: first-claim` any other BSSID belongs
 * to the first agent that announces it, for the life of this process (a second agent
 * announcing it is refused, also while the first is away); with `configured` only the
 * assignments count. The agent's identity is its certificate's CN (or, in plaintext mode,
 * the agent_id it claims).
 */
import type { PeerCertificate } from 'node:tls';
import { macKey, parseMac } from '@airlock/rsn';
import type { AgentsConfig } from './config.js';

/** The CN of a client certificate, when it has a usable one. */
export function certificateIdentity(cert: PeerCertificate | undefined): string | undefined {
  const cn: unknown = cert?.subject?.CN;
  // A certificate may carry several CNs (an array): that identity is ambiguous.
  if (typeof cn !== 'string' || cn.length === 0 || cn.length > 128) return undefined;
  return cn;
}

/** The BSS ownership policy of one authenticator. */
export class BssPolicy {
  private readonly assigned = new Map<string, string>();
  private readonly claims = new Map<string, string>();

  constructor(private readonly cfg: AgentsConfig) {
    for (const a of cfg.bssAssignments) {
      for (const b of a.bssids) {
        const mac = parseMac(b);
        if (mac !== undefined) this.assigned.set(macKey(mac), a.agent); // validated by the config parser
      }
    }
  }

  /** Why `agent` may not act for the BSS (`key` = macKey, `bssid` for the message), or undefined. */
  refuses(agent: string, key: string, bssid: string): string | undefined {
    const assignee = this.assigned.get(key);
    if (assignee !== undefined) return assignee === agent ? undefined : `BSS ${bssid} is assigned to agent ${JSON.stringify(assignee)} (agents.bss_assignments)`;
    if (this.cfg.bssPolicy === 'configured') return `BSS ${bssid} is not assigned to agent ${JSON.stringify(agent)} (agents.bss_policy: configured)`;
    const owner = this.claims.get(key);
    if (owner !== undefined && owner !== agent) return `BSS ${bssid} is owned by agent ${JSON.stringify(owner)}, which claimed it first (agents.bss_policy: first-claim)`;
    return undefined;
  }

  /** The same claims under a reloaded configuration (assignments and policy from `cfg`). */
  withConfig(cfg: AgentsConfig): BssPolicy {
    const next = new BssPolicy(cfg);
    for (const [k, agent] of this.claims) next.claims.set(k, agent);
    return next;
  }

  /** Records that `agent` serves the BSS (first-claim). */
  claim(agent: string, key: string): void {
    if (!this.assigned.has(key) && !this.claims.has(key)) this.claims.set(key, agent);
  }
}
