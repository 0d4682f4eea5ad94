/**
 * Starts the authenticator: the AgentLink gRPC server (keepalive, message size, health
 * service), the HTTP endpoints (/metrics, /healthz, /readyz) and the glue. Stops in order:
 * health NOT_SERVING, drain, close streams, forced shutdown after a grace period.
 */
import * as grpc from '@grpc/grpc-js';
import { HealthImplementation } from 'grpc-health-check';
import { AgentLinkService, type AgentMessage, type ControllerMessage } from '@airlock/proto';
import type { Logger } from 'pino';
import type { AuthenticatorConfig } from './config.js';
import { startHttpEndpoints, type HttpEndpoints } from './http-endpoints.js';
import { createLogger } from './logging.js';
import { createMetrics, type AirlockMetrics } from './metrics.js';
import { AuthenticatorService } from './service.js';

/** Options of startAuthenticator. */
export interface StartOptions {
  config: AuthenticatorConfig;
  logger?: Logger;
  /** CSPRNG override (deterministic tests). */
  random?: (n: number) => Buffer;
}

/** A running authenticator. */
export interface RunningAuthenticator {
  grpcPort: number;
  httpPort: number;
  service: AuthenticatorService;
  metrics: AirlockMetrics;
  logger: Logger;
  /** Graceful stop; forced after graceMs. */
  stop(graceMs?: number): Promise<void>;
}

/** The fully-qualified AgentLink service name (health checks). */
export const AGENT_LINK_SERVICE = 'airlock.v1.AgentLink';

/** Starts everything; resolves when both ports listen. */
export async function startAuthenticator(opts: StartOptions): Promise<RunningAuthenticator> {
  const config = opts.config;
  const logger = opts.logger ?? createLogger({ level: config.log.level, name: 'authenticator' });
  const metrics = createMetrics({ processMetrics: true });
  const service = new AuthenticatorService({ config, logger, metrics, random: opts.random });
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
  });
  const health = new HealthImplementation({ '': 'NOT_SERVING', [AGENT_LINK_SERVICE]: 'NOT_SERVING' });
  health.addToServer(server);

  if (!config.grpc.plaintext) {
    throw new Error('grpc.plaintext: false asks for mTLS, which this build does not provide yet; set grpc.plaintext: true (loopback or a trusted network only)');
  }
  if (config.grpc.plaintext) logger.warn('AgentLink uses plaintext gRPC (grpc.plaintext: true): agents are not authenticated');
  const creds = grpc.ServerCredentials.createInsecure();
  const grpcPort = await new Promise<number>((resolve, reject) => {
    server.bindAsync(config.grpc.listen, creds, (err, port) => (err ? reject(err) : resolve(port)));
  });

  let ready = true;
  let http: HttpEndpoints;
  try {
    http = await startHttpEndpoints({ listen: config.http.listen, registry: metrics.registry, ready: () => ready, logger });
  } catch (e) {
    server.forceShutdown();
    throw e;
  }
  health.setStatus('', 'SERVING');
  health.setStatus(AGENT_LINK_SERVICE, 'SERVING');
  logger.info({ grpcPort, httpPort: http.port, networks: config.networks.map((n) => n.ssid) }, 'authenticator listening');

  let stopping: Promise<void> | undefined;
  const stop = (graceMs = 2000): Promise<void> => {
    stopping ??= (async () => {
      ready = false;
      health.setStatus('', 'NOT_SERVING');
      health.setStatus(AGENT_LINK_SERVICE, 'NOT_SERVING');
      server.drain(`${config.grpc.listen.replace(/:\d+$/, '')}:${grpcPort}`, graceMs);
      const serviceStopped = service.stop(graceMs);
      await new Promise<void>((resolve) => {
        const force = setTimeout(() => {
          server.forceShutdown();
          resolve();
        }, graceMs);
        server.tryShutdown(() => {
          clearTimeout(force);
          resolve();
        });
      });
      await serviceStopped;
      await http.close();
      logger.info('authenticator stopped');
    })();
    return stopping;
  };
  return { grpcPort, httpPort: http.port, service, metrics, logger, stop };
}
