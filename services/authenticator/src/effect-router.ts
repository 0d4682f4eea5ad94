/**
 * Where each effect of the core goes (CONVENTIONS.md 2: one glue place; hostapd's
 * wpa_auth_callbacks, filled in by one glue file): agent commands to the stream of the agent
 * serving their BSS, Access-Requests and accounting to the RADIUS side, reports to metrics
 * and logs. The router decides no protocol behaviour; it only knows, per command, whether it
 * may be dropped under backpressure (a transmit: EAPOL retransmission recovers it) and that
 * a key nobody will send is wiped here.
 */
import type { LinkCommand } from '@airlock/link';
import type { AgentCommandEffect, Effect, Report } from '@airlock/rsn';

/** The Access-Request effect of the core's EAP relay. */
export type AccessRequestEffect = Extract<Effect, { type: 'radius-request' }>;
/** A PSK from RADIUS: the MAC-authentication lookup of a station's PSK. */
export type PskRequestEffect = Extract<Effect, { type: 'psk-request' }>;
/** An accounting Start, Interim-Update or Stop. */
export type AccountingEffect = Extract<Effect, { type: 'accounting' }>;

/** An agent's stream, as the router hands it commands (AgentSession). */
export interface CommandSink {
  /** Sends a command in order; with a `ref` the core hears its outcome; `droppable` may be refused under backpressure (counted). */
  command(c: LinkCommand, ref: number | undefined, droppable: boolean): void;
}

/** The routes of the effects, filled in by the service. */
export interface EffectRoutes {
  /** The stream of the agent serving `bssid` now; undefined while the agent is away (reconnect grace) or gone. */
  agentFor(bssid: Buffer): CommandSink | undefined;
  /** An Access-Request to relay to RADIUS. */
  accessRequest(e: AccessRequestEffect): void;
  /** A station's PSK to look up in RADIUS. */
  pskRequest(e: PskRequestEffect): void;
  /** An accounting request (a Stop goes out even when the agent is gone). */
  accounting(e: AccountingEffect): void;
  /** An observation for metrics, logs and events. */
  report(r: Report): void;
}

/** Sends the core's effects where they go, in order. */
export class EffectRouter {
  constructor(private readonly routes: EffectRoutes) {}

  /** Routes `effects` in the order the core emitted them. */
  route(effects: readonly Effect[]): void {
    for (const e of effects) {
      switch (e.type) {
        case 'report':
          this.routes.report(e.report);
          break;
        case 'accounting':
          this.routes.accounting(e);
          break;
        case 'radius-request':
          this.routes.accessRequest(e);
          break;
        case 'psk-request':
          this.routes.pskRequest(e);
          break;
        case 'transmit-eapol':
        case 'install-pairwise-key':
        case 'install-group-key':
        case 'remove-pairwise-key':
        case 'set-port':
        case 'disconnect':
        case 'transmit-authentication':
          this.command(e);
          break;
        default: {
          const never: never = e;
          throw new Error(`unknown effect ${JSON.stringify(never)}`);
        }
      }
    }
  }

  private command(e: AgentCommandEffect): void {
    const agent = this.routes.agentFor(e.bssid);
    if (agent === undefined) {
      // The agent is gone (its BSS removed, or in reconnect grace): nothing is sent, and the
      // key copy the core handed over is not kept (DESIGN.md "Secrets in memory").
      if (e.type === 'install-pairwise-key' || e.type === 'install-group-key') e.key.fill(0);
      return;
    }
    agent.command(e, 'ref' in e ? e.ref : undefined, e.type === 'transmit-eapol');
  }
}
