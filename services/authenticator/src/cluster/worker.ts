/**
 * One worker of a clustered authenticator (cluster.workers > 1): a whole authenticator
 * service for the agents whose connections the primary hands it, plus the link that keeps
 * what is shared in step with the other workers (protocol.ts).
 */
import cluster from 'node:cluster';
import type { Socket } from 'node:net';
import type { Logger } from 'pino';
import type { AuthenticatorConfig } from '../config.js';
import { createLogger } from '../logging.js';
import type { AgentSession } from '../agent-session.js';
import { startAuthenticator, type RunningAuthenticator } from '../server.js';
import type { AuthenticatorService } from '../service.js';
import type { AgentPlacement, Placement } from '../placement.js';
import { isClusterMessage, pmksaFromMessage, toBuffer, type PrimaryMessage, type RadiusTestAnswer, type WorkerMessage, type WorkerQuestion } from './protocol.js';
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

/** How long a redirected connection stays open so the agent reads its status. */
const REDIRECT_CLOSE_MS = 100;

/** The worker's side of the cluster: the service's Placement, over IPC to the primary. */
export class WorkerLink implements Placement {
  readonly keepsClaimClock = false;
  private readonly homes = new Map<string, number>();
  /** Connections handed over by the primary, by "address:port" (AgentSession peer). */
  private readonly sockets = new Map<string, Socket>();
  /** What arrived before the service existed (the snapshot comes first). */
  private readonly early: PrimaryMessage[] = [];
  private service: AuthenticatorService | undefined;
  private readonly associated: Buffer[] = [];
  private associatedAt = 0;

  constructor(
    readonly workerId: number,
    private readonly log: Logger,
    private readonly send: (m: WorkerMessage) => void,
  ) {}

  /** The service is up: what arrived early is applied now. */
  attach(service: AuthenticatorService): void {
    this.service = service;
    for (const m of this.early.splice(0)) this.apply(service, m);
  }

  /** The connection `id` the primary accepted; served by `running` once through its connection gate. */
  takeConnection(socket: Socket, id: number, running: RunningAuthenticator): void {
    const key = `${socket.remoteAddress}:${socket.remotePort}`;
    this.sockets.set(key, socket);
    socket.once('close', () => {
      if (this.sockets.get(key) === socket) this.sockets.delete(key);
      this.send({ t: 'connection-closed', id });
    });
    running.injectConnection(socket, () => this.send({ t: 'connection-established', id }));
  }

  /** A message of the primary (connections, metrics and stop are runWorker's). */
  onMessage(m: PrimaryMessage): void {
    if (m.t === 'home') {
      if (m.worker === undefined) this.homes.delete(m.agent);
      else this.homes.set(m.agent, m.worker);
      return;
    }
    // Where agents live is needed from the first Hello on; the rest once the service exists.
    if (m.t === 'snapshot') for (const [agent, worker] of m.homes) this.homes.set(agent, worker);
    if (this.service === undefined) this.early.push(m);
    else this.apply(this.service, m);
  }

  private apply(service: AuthenticatorService, m: PrimaryMessage): void {
    switch (m.t) {
      case 'snapshot':
        for (const e of m.pmksa) service.importPmksa(pmksaFromMessage(e));
        for (const [bss, agent] of m.claims) service.claimed(agent, [bss]);
        break;
      case 'pmksa-cached':
        service.importPmksa(pmksaFromMessage(m.entry));
        break;
      case 'pmksa-forgotten':
        service.forgetPmksa(toBuffer(m.sta), toBuffer(m.ssid));
        break;
      case 'unclaimed':
        service.unclaimed(m.bsses);
        break;
      case 'claims':
        service.claimed(m.agent, m.bsses);
        break;
      case 'stations-associated': {
        const stas: Buffer[] = [];
        for (let i = 0; i + 6 <= m.stas.length; i += 6) stas.push(toBuffer(m.stas.subarray(i, i + 6)));
        service.stationsMovedAway(stas, m.at);
        break;
      }
      case 'evict':
        this.log.info({ agent: m.agent, reason: m.reason }, 'agent evicted by the cluster');
        service.evict(m.agent, m.reason);
        break;
      default:
        break;
    }
  }

  // ---- Placement -----------------------------------------------------------------------

  placeAgent(agent: string, session: AgentSession): AgentPlacement {
    const w = this.homes.get(agent);
    if (w === undefined || w === this.workerId) return { here: true };
    this.redirect(session, agent, w);
    return { here: false, where: `worker ${w}` };
  }

  agentUp(agent: string, bssKeys: string[]): void {
    this.homes.set(agent, this.workerId);
    this.send({ t: 'agent-up', agent, bsses: bssKeys });
  }

  agentReleased(agent: string): void {
    if (this.homes.get(agent) === this.workerId) this.homes.delete(agent);
    this.send({ t: 'agent-released', agent });
  }

  /** The agent connected here while worker `to` holds its state: steer its next connection there. */
  private redirect(session: AgentSession, agent: string, to: number): void {
    const peer = session.peer;
    const cut = peer.lastIndexOf(':');
    const address = cut > 0 ? peer.slice(0, cut) : peer;
    this.send({ t: 'redirect', agent, address, to });
    // The agent retries on the same HTTP/2 connection: close it, so it connects anew and
    // the primary steers that connection to the worker holding its stations.
    const socket = this.sockets.get(peer);
    if (socket !== undefined) setTimeout(() => socket.destroy(), REDIRECT_CLOSE_MS).unref();
  }

  stationAssociated(sta: Buffer): void {
    // One message per event-loop turn, whatever the number of associations in it.
    if (this.associated.length === 0) {
      this.associatedAt = performance.timeOrigin + performance.now();
      setImmediate(() => {
        const stas = Buffer.concat(this.associated.splice(0));
        this.send({ t: 'stations-associated', stas, at: this.associatedAt });
      });
    }
    this.associated.push(Buffer.from(sta));
  }

  stationEvent(item: EventItem, at: number): void {
    // In order on the IPC channel: a station's events stay in order (the primary sorts across workers).
    this.send({ t: 'station-event', item, at });
  }

  cached(entry: Parameters<Placement['cached']>[0]): void {
    this.send({ t: 'pmksa-cached', entry });
  }

  forgotten(sta: Buffer, ssid: Buffer): void {
    this.send({ t: 'pmksa-forgotten', sta, ssid });
  }
}

/** Runs this process as a cluster worker until the primary says stop (or goes away). */
export async function runWorker(config: AuthenticatorConfig): Promise<void> {
  const id = cluster.worker?.id ?? 0;
  const logger = createLogger({ level: config.log.level, format: config.log.format, name: 'authenticator' }).child({ worker: id });
  const send = (m: WorkerMessage): void => {
    if (process.connected) process.send?.(m);
  };
  const link = new WorkerLink(id, logger, send);
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
    } else {
      link.onMessage(msg);
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
  link.attach(running.service);
  send({ t: 'ready' });
}
