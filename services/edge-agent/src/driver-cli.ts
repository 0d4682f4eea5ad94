/**
 * What the command lines of the agent's drivers share (wired-main.ts, nl80211-main.ts, and
 * sim-main.ts for the checks): --authenticator and the log options checked, the AgentLink
 * credentials checked against --agent-id, the authenticator awaited at startup, and an agent
 * started with its driver and stopped cleanly on SIGINT or SIGTERM. Each failure ends the
 * process through the CLI's own `fail` (its name in the message, exit 2 for usage, 1 for a
 * runtime failure), one line, no stack trace.
 */
import { isIP } from 'node:net';
import { setTimeout as sleep } from 'node:timers/promises';
import type { LogFormat } from '@airlock/log-limit';
import * as grpc from '@grpc/grpc-js';
import { levels, type Logger } from 'pino';
import { EdgeAgent } from './agent.js';
import { agentLogger, logFormatOf } from './agent-logger.js';
import { authenticatorTarget } from './cli-args.js';
import type { Driver } from './driver.js';
import { LINK_CLI_OPTIONS, linkSecurity, type AgentLinkSecurity, type LinkCliValues } from './link-credentials.js';
import { probeAuthenticator, type ProbeTarget } from './link-probe.js';

/** Ends the process with a message and an exit code. */
export type CliFail = (text: string, code?: number) => never;

/** The parseArgs options every hardware driver's CLI has (merge its own into them). */
export const DRIVER_CLI_OPTIONS = {
  'agent-id': { type: 'string' },
  authenticator: { type: 'string', default: '127.0.0.1:50051' },
  'log-level': { type: 'string', default: 'info' },
  'log-format': { type: 'string', default: 'json' },
  ...LINK_CLI_OPTIONS,
} as const;

/**
 * --authenticator parsed: one host:port, or several separated by commas (instances of one
 * authenticator on a shared store: the agent fails over between them); or `fail` (exit 2)
 * with the fix (e.g. the missing port).
 */
export function targetOrFail(value: string | undefined, fail: CliFail): ProbeTarget[] {
  const out: ProbeTarget[] = [];
  for (const part of (value ?? '').split(',')) {
    const t = authenticatorTarget(part.trim());
    if ('problem' in t) fail(t.problem);
    out.push(t);
  }
  return out;
}

/** The target as grpc-js dials it. */
export function targetText(t: ProbeTarget): string {
  return `${isIP(t.host) === 6 ? `[${t.host}]` : t.host}:${t.port}`;
}

/** The logger of --log-level and --log-format, or `fail` (exit 2) naming the bad value. */
export function loggerOrFail(v: { 'log-level'?: string; 'log-format'?: string }, fail: CliFail): Logger {
  const level = v['log-level'] ?? 'info';
  if (level !== 'silent' && !Object.hasOwn(levels.values, level)) fail(`--log-level: expected one of ${[...Object.keys(levels.values), 'silent'].join(', ')}, got ${JSON.stringify(level)}`);
  const format: LogFormat | undefined = logFormatOf(v['log-format']);
  if (format === undefined) fail(`--log-format: expected json or pretty, got ${JSON.stringify(v['log-format'])}`);
  return agentLogger(level, format);
}

/** First and longest wait between startup checks of the authenticator (ms); each gets +-25% jitter. */
const STARTUP_RETRY_MS = { first: 1000, max: 30_000 } as const;

/**
 * Waits until the authenticator answers at `target` (link-probe.ts), before the driver
 * starts: a radio does not advertise BSSes that nothing can authenticate yet.
 *
 * The startup policy, as for a fleet of hundreds of APs: what can fix itself is waited for
 * (nothing listening yet, no answer, no route, DNS not answering, a connection closed by
 * the authenticator's caps) — an AP that boots before its controller keeps trying, with one
 * warn line per attempt and a backoff from 1 s to 30 s. What cannot fix itself ends the
 * process with one line, exit 1: a name the DNS says does not exist, or something that is
 * not the AgentLink at that port (an HTTP server, a TLS server without the authenticator's
 * certificate or refusing this agent's, plaintext against TLS either way). A supervisor
 * restarting the agent then shows that line again at each restart. Once started, the agent
 * reconnects forever (agent.ts): a lost controller is transient by nature.
 */
export async function awaitAuthenticator(targets: ProbeTarget[], link: AgentLinkSecurity, logger: Logger, fail: CliFail): Promise<void> {
  for (let attempt = 0; ; attempt++) {
    // Several instances: one that answers is enough; only when every one is something else is it fatal.
    let wrong: string | undefined;
    const waiting: { target: ProbeTarget; text: string }[] = [];
    for (const target of targets) {
      const verdict = await probeAuthenticator(target, link.tls);
      if (verdict.kind === 'ok') return;
      if (verdict.kind === 'wrong') wrong ??= verdict.text;
      else waiting.push({ target, text: verdict.text });
    }
    if (waiting.length === 0 && wrong !== undefined) fail(wrong, 1);
    const delay = Math.min(STARTUP_RETRY_MS.max, STARTUP_RETRY_MS.first * 2 ** attempt) * (0.75 + Math.random() * 0.5);
    for (const w of waiting) logger.warn({ authenticator: targetText(w.target), retryInS: Math.round(delay / 100) / 10 }, `authenticator not reachable yet: ${w.text}`);
    await sleep(delay);
  }
}

/** The EdgeAgent options that say where it connects: the first target, then the others in turn. */
export function agentTargets(targets: ProbeTarget[]): { target: string; alternates: string[] } {
  const [first, ...rest] = targets.map(targetText);
  return { target: first, alternates: rest };
}

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
 * Until the first Welcome, a gRPC server without the AgentLink service (UNIMPLEMENTED: the
 * Admin API's port, which has the authenticator's certificate too, or another gRPC server)
 * ends the process with one line, exit 1: no wait fixes a wrong port. Call before start().
 */
export function exitUnlessAgentLink(agent: EdgeAgent, fail: CliFail): void {
  const onLost = (_reason: string, code?: grpc.status): void => {
    if (code === grpc.status.UNIMPLEMENTED) fail(`the gRPC server at ${agent.dialled ?? '?'} does not serve the AgentLink (UNIMPLEMENTED): is it the authenticator's Admin API port (admin.listen)? Give its grpc.listen port`, 1);
  };
  agent.on('disconnected', onLost);
  agent.once('welcome', () => agent.off('disconnected', onLost));
}

/**
 * Starts an EdgeAgent with `driver` towards `target` once the authenticator answers there
 * (awaitAuthenticator; fails with exit 1 when something else answers, or when the driver or
 * the agent cannot start) and stops it on SIGINT or SIGTERM; resolves once it is running.
 */
export async function runAgent(o: { agentId: string; target: ProbeTarget[]; driver: Driver; logger: Logger; link: AgentLinkSecurity; fail: CliFail }): Promise<EdgeAgent> {
  if (o.link.plaintext) o.logger.warn('AgentLink without TLS (--plaintext): the authenticator cannot verify this agent; use it on a trusted network only');
  await awaitAuthenticator(o.target, o.link, o.logger, o.fail);
  const agent = new EdgeAgent({ agentId: o.agentId, ...agentTargets(o.target), driver: o.driver, logger: o.logger, credentials: o.link.credentials, channelOptions: o.link.channelOptions });
  exitUnlessAgentLink(agent, o.fail);
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
