/**
 * Starts the authenticator: the AgentLink gRPC server (keepalive, message size, health
 * service), the HTTP endpoints (/metrics, /healthz, /readyz) and the glue. Stops in order:
 * health NOT_SERVING, drain, close streams, forced shutdown after a grace period.
 */
import { createPrivateKey, X509Certificate } from 'node:crypto';
import { readFileSync } from 'node:fs';
import type { AddressInfo, Socket } from 'node:net';
import * as grpc from '@grpc/grpc-js';
import { HealthImplementation } from 'grpc-health-check';
import { AgentLinkService, type AgentBatch, type AgentMessage, type ControllerBatch, type ControllerMessage } from '@airlock/proto';
import type { Logger } from 'pino';
import type { AuthenticatorConfig } from './config.js';
import { AgentLinkGate, agentLinkLimits, ConnectionReport, listenAgentLink, logAgentLinkLimits, openFileLimit } from './connection-gate.js';
import { splitListen, startHttpEndpoints, type HttpEndpoints } from './http-endpoints.js';
import { createLogger } from './logging.js';
import { connectionMetrics, createMetrics, type AirlockMetrics } from './metrics.js';
import { AuthenticatorService } from './service.js';
import type { EventItem } from './events/event-journal.js';
import { LocalAdmin } from './admin/backend.js';
import { startAdminServer, type RunningAdmin } from './admin/server.js';
import { agentRoleOf } from './client-role.js';
import { statusRoutes } from './status/page.js';
import { ConfigReloader } from './config-reload.js';
import { OperatorError } from './operator-error.js';

/** Options of startAuthenticator. */
export interface StartOptions {
  config: AuthenticatorConfig;
  logger?: Logger;
  /** CSPRNG override (deterministic tests). */
  random?: (n: number) => Buffer;
  /**
   * One worker of a cluster (cluster/worker.ts): it binds no port; the primary accepts the
   * connections, hands them over (injectConnection) and serves the HTTP endpoints.
   */
  cluster?: { stationEvent(item: EventItem, at: number): void };
  /** The configuration file it was started from: `airlock reload` (Admin API) and SIGHUP read it again. */
  configFile?: string;
}

/** A running authenticator. */
export interface RunningAuthenticator {
  grpcPort: number;
  httpPort: number;
  /** The Admin API's port (0 in a cluster worker: the primary serves it). */
  adminPort: number;
  service: AuthenticatorService;
  metrics: AirlockMetrics;
  logger: Logger;
  /** Graceful stop; forced after graceMs. */
  stop(graceMs?: number): Promise<void>;
  /**
   * A connection accepted elsewhere (the cluster primary), for the gRPC server to serve once
   * it passed the connection gate; `onEstablished` when its handshake is through.
   */
  injectConnection(connection: Socket, onEstablished?: () => void): void;
  /** Applies a new configuration's reloadable parts (AuthenticatorService.reload). */
  reload(config: AuthenticatorConfig): Promise<ReloadOutcome>;
  /** Reloads of the configuration file, one at a time (SIGHUP and the Admin API); absent without StartOptions.configFile. */
  reloader?: ConfigReloader;
}

/** What a configuration reload did, or why it was refused (the old configuration stays). */
export type ReloadOutcome = { ok: true; applied: string[]; restartNeeded: string[] } | { ok: false; errors: string[] };

/** The fully-qualified AgentLink service name (health checks). */
export const AGENT_LINK_SERVICE = 'airlock.v1.AgentLink';

/** What a TLS file is, for error messages. */
const TLS_FILES = { cert: 'certificate', key: 'private key', ca: 'root CA certificate' } as const;

/**
 * mTLS (the default): the authenticator's certificate and key, and the CA whose client
 * certificates identify agents; a client without one is refused in the TLS handshake.
 * The agent CA (grpc.tls.agent_ca) is checked here, so a wrong one stops the start, and
 * trusted with the root: an agent that sends its certificate without the chain still
 * verifies (the role itself is checked per stream: AuthenticatorService.accept).
 * Plaintext only when the configuration says so, with a warning.
 */
function serverCredentials(config: AuthenticatorConfig, logger: Logger): grpc.ServerCredentials {
  if (config.grpc.plaintext) {
    logger.warn('AgentLink uses plaintext gRPC (grpc.plaintext: true): agents are not authenticated and any client may claim any agent id; use it on a trusted network only');
    return grpc.ServerCredentials.createInsecure();
  }
  const { cert, key, ca } = readAgentLinkTls(config);
  const agentRole = agentRoleOf(config);
  logger.info({ cert: config.grpc.tls.cert, ca: config.grpc.tls.ca, agentCa: config.grpc.tls.agentCa }, 'AgentLink uses mTLS: agents are identified by their client certificate (issued by the agent CA)');
  return grpc.ServerCredentials.createSsl(agentRole === undefined ? ca : Buffer.concat([ca, Buffer.from('\n'), agentRole.issuerPem]), [{ cert_chain: cert, private_key: key }], true);
}

/**
 * The files of grpc.tls (certificate, key, root CA), read and parsed, so that a missing or
 * wrong one is named with its key and the fix (an OperatorError), not reported by the TLS
 * stack later. The cluster primary checks them before it forks a worker.
 */
export function readAgentLinkTls(config: AuthenticatorConfig): { cert: Buffer; key: Buffer; ca: Buffer } {
  const read = (k: keyof typeof TLS_FILES): Buffer => {
    const path = config.grpc.tls[k];
    try {
      return readFileSync(path);
    } catch (e) {
      const code = (e as NodeJS.ErrnoException).code ?? 'error';
      throw new OperatorError(`grpc.tls.${k}: cannot read the ${TLS_FILES[k]} ${path} (${code}); create a development PKI with \`airlock pki init --dir DIR\` (it writes authenticator.pem, authenticator.key and ca.pem), or set grpc.plaintext: true on a trusted network`);
    }
  };
  const files = { cert: read('cert'), key: read('key'), ca: read('ca') };
  try {
    new X509Certificate(files.cert);
    new X509Certificate(files.ca);
    createPrivateKey(files.key);
  } catch (e) {
    throw new OperatorError(`grpc.tls: ${e instanceof Error ? e.message : String(e)} (cert ${config.grpc.tls.cert}, key ${config.grpc.tls.key}, ca ${config.grpc.tls.ca}: PEM expected)`);
  }
  return files;
}

/** Starts everything; resolves when both ports listen. */
export async function startAuthenticator(opts: StartOptions): Promise<RunningAuthenticator> {
  const config = opts.config;
  const logger = opts.logger ?? createLogger({ level: config.log.level, format: config.log.format, name: 'authenticator' });
  // First: a missing certificate stops the start before any socket opens.
  const creds = serverCredentials(config, logger);
  const limits = agentLinkLimits(config, openFileLimit());
  const metrics = createMetrics({ processMetrics: true });
  const connections = connectionMetrics(metrics.registry);
  const cluster = opts.cluster;
  const service = new AuthenticatorService({ config, logger, metrics, random: opts.random, eventSink: cluster === undefined ? undefined : (item, at) => cluster.stationEvent(item, at) });
  await service.start();

  const server = new grpc.Server({
    'grpc.keepalive_time_ms': config.grpc.keepaliveTimeMs,
    'grpc.keepalive_timeout_ms': config.grpc.keepaliveTimeoutMs,
    // Agents ping while idle; accept it rather than answering GOAWAY "too_many_pings".
    'grpc.keepalive_permit_without_calls': 1,
    'grpc.http2.min_ping_interval_without_data_ms': Math.min(5000, config.grpc.keepaliveTimeMs),
    'grpc.max_receive_message_length': config.grpc.maxMessageBytes,
    'grpc.max_send_message_length': config.grpc.maxMessageBytes,
    // No grpc.max_connection_age_ms: it would end the long-lived agent streams.
  });
  server.addService(AgentLinkService, {
    connect: (call: grpc.ServerDuplexStream<AgentMessage, ControllerMessage>) => service.accept(call),
    connectBatched: (call: grpc.ServerDuplexStream<AgentBatch, ControllerBatch>) => service.accept(call, true),
  });
  const health = new HealthImplementation({ '': 'NOT_SERVING', [AGENT_LINK_SERVICE]: 'NOT_SERVING' });
  health.addToServer(server);

  const worker = opts.cluster !== undefined;
  // grpc-js gets established connections only: the gate accepts them, applies the caps and
  // runs the TLS handshake (with `creds`) under its deadline (connection-gate.ts).
  const injector = server.createConnectionInjector(grpc.ServerCredentials.createInsecure());
  const gate = new AgentLinkGate({ limits, credentials: creds, deliver: (c) => injector.injectConnection(c), metrics: connections, logger });
  if (!worker) logAgentLinkLimits(limits, config, logger);
  let listener;
  try {
    listener = worker ? undefined : await listenAgentLink(splitListen(config.grpc.listen), gate, logger);
  } catch (e) {
    await service.stop(0);
    throw e;
  }
  const grpcPort = listener === undefined ? 0 : (listener.address() as AddressInfo).port;

  let ready = true;
  let http: HttpEndpoints | undefined;
  let admin: RunningAdmin | undefined;
  // Not in a worker: the primary reloads the configuration for all.
  const reloader = !worker && opts.configFile !== undefined ? new ConfigReloader({ logger, metrics, reload: (c) => service.reload(c) }, opts.configFile) : undefined;
  try {
    if (!worker) {
      const backend = new LocalAdmin(service);
      const httpReport = new ConnectionReport('http', connections, logger);
      const httpConnections = { max: config.http.maxConnections, perSource: Math.max(1, Math.floor(config.http.maxConnections / 4)), refused: httpReport.refused.bind(httpReport) };
      http = await startHttpEndpoints({ listen: config.http.listen, registry: metrics.registry, ready: () => ready, logger, routes: statusRoutes(backend), connections: httpConnections, degraded: () => backend.degraded() });
      admin = await startAdminServer(config, backend, logger, { reload: reloader === undefined ? undefined : (by) => reloader.reload(by) });
    }
  } catch (e) {
    listener?.close();
    gate.close();
    server.forceShutdown();
    await http?.close();
    await service.stop(0);
    throw e;
  }
  health.setStatus('', 'SERVING');
  health.setStatus(AGENT_LINK_SERVICE, 'SERVING');
  if (worker) logger.info({ networks: config.networks.map((n) => n.ssid) }, 'authenticator worker serving');
  else logger.info({ grpcPort, httpPort: http?.port, networks: config.networks.map((n) => n.ssid) }, 'authenticator listening');

  let stopping: Promise<void> | undefined;
  const stop = (graceMs = 2000): Promise<void> => {
    stopping ??= (async () => {
      ready = false;
      health.setStatus('', 'NOT_SERVING');
      health.setStatus(AGENT_LINK_SERVICE, 'NOT_SERVING');
      // The AgentLink listener closes once its last connection has ended (as grpc-js's own
      // listening server did when it bound the port).
      const listenerClosed = new Promise<void>((resolve) => (listener === undefined ? resolve() : listener.close(() => resolve())));
      gate.close();
      injector.drain(graceMs);
      const serviceStopped = service.stop(graceMs);
      await new Promise<void>((resolve) => {
        const force = setTimeout(() => {
          server.forceShutdown();
          resolve();
        }, graceMs);
        const drained = new Promise<void>((done) => server.tryShutdown(() => done()));
        void Promise.all([drained, listenerClosed]).then(() => {
          clearTimeout(force);
          resolve();
        });
      });
      await serviceStopped;
      await http?.close();
      await admin?.stop();
      logger.info('authenticator stopped');
    })();
    return stopping;
  };
  return { grpcPort, httpPort: http?.port ?? 0, adminPort: admin?.port ?? 0, service, metrics, logger, stop, reload: (c) => service.reload(c), reloader, injectConnection: (c, onEstablished) => {
      if (!worker) throw new Error('injectConnection: this authenticator listens itself (not a cluster worker)');
      gate.accept(c, onEstablished);
    },
  };
}
