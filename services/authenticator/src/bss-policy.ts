/**
 * Which agent may act for which BSS (DESIGN.md "Security"): BSSIDs assigned to an agent in
 * the configuration are its alone; with `bss_policy: first-claim` any other BSSID belongs
 * to the first agent that announces it (a second agent announcing it is refused, also
 * while the first is away, until the first's claims expire: claim-table.ts); with `configured` only the
 * assignments count. The agent's identity is its agent certificate (client-role.ts: the ID
 * of its urn:airlock:agent mark, equal to its CN), or, in plaintext mode, the agent_id it
 * claims.
 */
import { macKey, parseMac } from '@airlock/rsn';
import { ClaimTable, type ClaimLimits, type ClaimOutcome } from './claim-table.js';
import type { AgentsConfig } from './config.js';

/** The BSS ownership policy of one authenticator. */
export class BssPolicy {
  private readonly assigned = new Map<string, string>();

  /**
   * `claims`: the first-claim table, kept across reloads (withConfig). `claimsInStore`: the
   * claims are the shared store's (several instances, store-scripts.ts CLAIM), checked and
   * recorded at the takeover; this table is not used.
   */
  constructor(
    private readonly cfg: AgentsConfig,
    readonly claims: ClaimTable = new ClaimTable(claimLimits(cfg)),
    readonly claimsInStore = false,
  ) {
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
    const owner = this.claimsInStore ? undefined : this.claims.ownerOf(key);
    if (owner !== undefined && owner !== agent) return `BSS ${bssid} is owned by agent ${JSON.stringify(owner)}, which claimed it first (agents.bss_policy: first-claim)`;
    return undefined;
  }

  /** The same claims under a reloaded configuration (assignments, policy and claim limits from `cfg`). */
  withConfig(cfg: AgentsConfig): BssPolicy {
    this.claims.limits = claimLimits(cfg);
    return new BssPolicy(cfg, this.claims, this.claimsInStore);
  }

  /**
   * Whether the claims of a Hello of `agent` announcing `keys` (macKeys; assigned ones are
   * not claims) fit the table's bounds: a check only, `claim` records them.
   */
  checkClaims(agent: string, keys: readonly string[]): ClaimOutcome {
    if (this.claimsInStore) return { ok: true, fresh: [], dropped: [] };
    return this.claims.claim(agent, this.claimable(keys), displayKey, false);
  }

  /** Records that `agent` serves these BSSes (first-claim); its claims no longer expire while it is here. */
  claim(agent: string, keys: readonly string[]): ClaimOutcome {
    if (this.claimsInStore) return { ok: true, fresh: [], dropped: [] };
    const outcome = this.claims.claim(agent, this.claimable(keys), displayKey, true);
    this.claims.present(agent);
    return outcome;
  }

  /** Of `keys`, those that are claims: not assigned, and the policy is first-claim. */
  claimable(keys: readonly string[]): string[] {
    return this.cfg.bssPolicy === 'first-claim' ? keys.filter((k) => !this.assigned.has(k)) : [];
  }
}

/** The claim table's bounds from the agents configuration. */
export function claimLimits(cfg: AgentsConfig): ClaimLimits {
  return { maxPerAgent: cfg.maxBssesPerAgent, maxTotal: cfg.maxClaims, expiryMs: cfg.claimExpiryS * 1000 };
}

/** A macKey as a BSSID for messages. */
function displayKey(key: string): string {
  return key.replace(/(..)(?!$)/g, '$1:');
}
