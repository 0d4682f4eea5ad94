/**
 * One worker of a clustered authenticator (cluster.workers > 1): a whole authenticator
 * service for the agents whose connections the primary hands it, sharing its state with the
 * other workers through the shared store (redis.url), as separate instances do; and the link
 * to the primary (protocol.ts) for connections, questions and station events.
 */
import cluster from 'node:cluster';
import type { Socket } from 'node:net';
import type { AuthenticatorConfig } from '../config.js';
import { createLogger } from '../logging.js';
import { startAuthenticator, type RunningAuthenticator } from '../server.js';
import type { AuthenticatorService } from '../service.js';
import { isClusterMessage, toBuffer, type PrimaryMessage, type RadiusTestAnswer, type WorkerMessage, type WorkerQuestion } from './protocol.js';
import { RadiusTestRefused } from '../radius-test.js';
import { LocalAdmin } from '../admin/backend.js';
import type { EventItem } from '../events/event-journal.js';

/** This worker's answer to a question of the primary. */
function answer(running: RunningAuthenticator, admin: LocalAdmin, q: WorkerQuestion): Promise<unknown> {
  const service = running.service;
  switch (q.op) {
    case 'metrics':
      return running.metrics.registry.getMetricsAsJSON();
    case 'reload-check':
      return Promise.resolve(service.reloadRefusals(q.config));
    case 'reload':
      return service.reload(q.config);
    case 'agents':
      return admin.agents();
    case 'status':
      return admin.status();
    case 'stations':
      return admin.stations(q.filter);
    case 'explain':
      return admin.explain(toBuffer(q.sta));
    case 'disconnect':
      return admin.disconnect(toBuffer(q.sta), q.reason);
    case 'rekey':
      return admin.rekey(toBuffer(q.bssid));
    case 'radius':
      return Promise.resolve(service.radiusHealth());
    case 'offers-8021x':
      return Promise.resolve(service.offers8021x());
    case 'radius-test':
      return radiusTestAnswer(service, q.user, toBuffer(q.password));
  }
}

/** Runs an operator's radtest here; the password (a copy from IPC) is wiped after. */
async function radiusTestAnswer(service: AuthenticatorService, user: string, password: Buffer): Promise<RadiusTestAnswer> {
  try {
    return { ok: true, outcome: await service.radiusTest(user, password) };
  } catch (e) {
    if (e instanceof RadiusTestRefused) return { ok: false, reason: e.reason, message: e.message };
    throw e;
  } finally {
    password.fill(0);
  }
}

/** The worker's side of the cluster: connections handed over by the primary, and station events for its journal. */
export class WorkerLink {
  constructor(
    readonly workerId: number,
    private readonly send: (m: WorkerMessage) => void,
  ) {}

  /** The connection `id` the primary accepted; served by `running` once through its connection gate. */
  takeConnection(socket: Socket, id: number, running: RunningAuthenticator): void {
    socket.once('close', () => this.send({ t: 'connection-closed', id }));
    running.injectConnection(socket, () => this.send({ t: 'connection-established', id }));
  }

  /** A station event of this worker, for the primary's journal (StreamEvents); `at`: Unix ms with a fraction. */
  stationEvent(item: EventItem, at: number): void {
    // In order on the IPC channel: a station's events stay in order (the primary sorts across workers).
    this.send({ t: 'station-event', item, at });
  }
}

/** Runs this process as a cluster worker until the primary says stop (or goes away). */
export async function runWorker(config: AuthenticatorConfig): Promise<void> {
  const id = cluster.worker?.id ?? 0;
  const logger = createLogger({ level: config.log.level, format: config.log.format, name: 'authenticator' }).child({ worker: id });
  const send = (m: WorkerMessage): void => {
    if (process.connected) process.send?.(m);
  };
  const link = new WorkerLink(id, send);
  // Set once the service is up; messages (the snapshot first) arrive before.
  const up: { running?: RunningAuthenticator; admin?: LocalAdmin } = {};
  let stopping = false;
  const stop = (graceMs: number): void => {
    if (stopping) return;
    stopping = true;
    void (up.running?.stop(graceMs) ?? Promise.resolve()).then(() => process.exit(0));
  };
  process.on('message', (m: unknown, handle: unknown) => {
    if (!isClusterMessage(m)) return;
    const msg = m as PrimaryMessage;
    if (msg.t === 'connection') {
      const socket = handle as Socket | undefined;
      if (socket === undefined) {
        send({ t: 'connection-closed', id: msg.id });
        return;
      }
      // Connections come only after 'ready' (the service is up by then).
      if (stopping || up.running === undefined) {
        socket.destroy();
        send({ t: 'connection-closed', id: msg.id });
      } else link.takeConnection(socket, msg.id, up.running);
    } else if (msg.t === 'question') {
      const { running, admin } = up;
      if (running === undefined || admin === undefined) return send({ t: 'answer', id: msg.id, answer: undefined });
      void answer(running, admin, msg.question).then(
        (a) => send({ t: 'answer', id: msg.id, answer: a }),
        () => send({ t: 'answer', id: msg.id, answer: undefined }),
      );
    } else if (msg.t === 'stop') {
      stop(msg.graceMs);
    }
  });
  // The primary decides when workers stop; a terminal's Ctrl-C reaches it too.
  process.on('SIGINT', () => undefined);
  process.on('SIGTERM', () => undefined);
  process.on('SIGHUP', () => undefined); // the primary reloads the configuration for all
  // The primary is gone (killed): stop serving, its port is closed anyway.
  process.on('disconnect', () => stop(1000));
  const running = await startAuthenticator({ config, logger, cluster: link });
  up.running = running;
  up.admin = new LocalAdmin(running.service, id);
  send({ t: 'ready' });
}
