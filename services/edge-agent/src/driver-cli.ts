/**
 * What the command lines of the hardware drivers (wired-main.ts, nl80211-main.ts) share:
 * the AgentLink credentials checked against --agent-id, and an agent started with its
 * driver and stopped cleanly on SIGINT or SIGTERM. Each failure ends the process through the
 * CLI's own `fail` (its name in the message, exit 2 for usage, 1 for a runtime failure).
 */
import type { Logger } from 'pino';
import { EdgeAgent } from './agent.js';
import type { Driver } from './driver.js';
import { LINK_CLI_OPTIONS, linkSecurity, type AgentLinkSecurity, type LinkCliValues } from './link-credentials.js';

/** Ends the process with a message and an exit code. */
export type CliFail = (text: string, code?: number) => never;

/** The parseArgs options every hardware driver's CLI has (merge its own into them). */
export const DRIVER_CLI_OPTIONS = {
  'agent-id': { type: 'string' },
  authenticator: { type: 'string', default: '127.0.0.1:50051' },
  'log-level': { type: 'string', default: 'info' },
  ...LINK_CLI_OPTIONS,
} as const;

/** A CliFail that prints "airlock-agent (DRIVER): TEXT" on stderr; exit 2 unless told otherwise. */
export function driverCliFail(driver: string): CliFail {
  return (text, code = 2) => {
    console.error(`airlock-agent (${driver}): ${text}`);
    process.exit(code);
  };
}

function message(err: unknown): string {
  return err instanceof Error ? err.message : String(err);
}

/** The link security of agent `agentId`; fails (exit 2) when it is incomplete or names another agent. */
export function agentLinkOrFail(v: LinkCliValues, agentId: string, fail: CliFail): AgentLinkSecurity {
  let link: AgentLinkSecurity;
  try {
    link = linkSecurity(v, agentId);
  } catch (err) {
    fail(message(err));
  }
  if (link.identity !== undefined && link.identity !== agentId) fail(`--agent-id ${agentId} differs from the certificate's CN ${link.identity}; the authenticator would refuse it`);
  return link;
}

/**
 * Starts an EdgeAgent with `driver` towards `target` (fails with exit 1 when the driver or
 * the agent cannot start) and stops it on SIGINT or SIGTERM; resolves once it is running.
 */
export async function runAgent(o: { agentId: string; target: string; driver: Driver; logger: Logger; link: AgentLinkSecurity; fail: CliFail }): Promise<EdgeAgent> {
  if (o.link.plaintext) o.logger.warn('AgentLink without TLS (--plaintext): the authenticator cannot verify this agent; use it on a trusted network only');
  const agent = new EdgeAgent({ agentId: o.agentId, target: o.target, driver: o.driver, logger: o.logger, credentials: o.link.credentials, channelOptions: o.link.channelOptions });
  try {
    await agent.start();
  } catch (err) {
    o.fail(message(err), 1);
  }
  let stopping = false;
  const stop = (): void => {
    if (stopping) return;
    stopping = true;
    void agent.stop().then(() => process.exit(0));
  };
  process.on('SIGINT', stop);
  process.on('SIGTERM', stop);
  return agent;
}
