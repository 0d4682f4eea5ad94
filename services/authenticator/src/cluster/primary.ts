/**
 * The primary of a clustered authenticator (cluster.workers > 1): it owns the AgentLink
 * TCP port and the HTTP endpoints, forks the workers and hands each accepted connection
 * to one of them (protocol.ts). What the workers share - the PMKSA cache, BSS leases and
 * claims, the agents' state - they share through the shared store (redis.url, required
 * with workers), as separate authenticators do (store/shared-state.ts): an agent that
 * reconnects to another worker is taken over there.
 *
 * Placement (connection-placement.ts): a new connection goes to the worker serving the
 * fewest connections. The primary does no TLS and no AgentLink work: after the hand-over,
 * bytes flow between the agent and the worker only.
 */
import cluster, { type Worker } from 'node:cluster';
import { createServer, type Server } from 'node:net';
import { performance } from 'node:perf_hooks';
import type { Logger } from 'pino';
import { AggregatorRegistry, collectDefaultMetrics, Gauge, Registry, type MetricObjectWithValues, type MetricValue } from 'prom-client';
import type { AuthenticatorConfig } from '../config.js';
import { readAgentLinkTls, type ReloadOutcome } from '../server.js';
import { agentLinkLimits, ConnectionReport, connectionSource, ConnectionTable, logAgentLinkLimits, openFileLimit } from '../connection-gate.js';
import { splitListen, startHttpEndpoints, type HttpEndpoints } from '../http-endpoints.js';
import { createLogger } from '../logging.js';
import { connectionMetrics, instanceMetrics, type InstanceMetrics } from '../metrics.js';
import { isClusterMessage, type PrimaryMessage, type WorkerMessage, type WorkerQuestion } from './protocol.js';
import { ClusterAdmin } from '../admin/cluster-backend.js';
import { EventJournal, TimeOrder } from '../events/event-journal.js';
import { startAdminServer, type RunningAdmin } from '../admin/server.js';
import { statusRoutes } from '../status/page.js';
import { ConfigReloader } from '../config-reload.js';
import { listenError } from '../operator-error.js';
import { ConnectionPlacement } from './connection-placement.js';

/** A worker that dies is replaced after this long (not in a tight loop). */
const RESPAWN_MS = 1000;
/** Workers asked a question (metrics, Admin API, reload) answer within this long, or are left out. */
const ANSWER_TIMEOUT_MS = 2000;

/** A running clustered authenticator, seen from the primary. */
export interface RunningPrimary {
  grpcPort: number;
  httpPort: number;
  adminPort: number;
  logger: Logger;
  /** The reload counter and build info: the primary's own, the only ones that move (workers do not handle SIGHUP). */
  metrics: InstanceMetrics;
  /** Workers serving now. */
  workers(): number;
  /** A configuration reload for every worker: all check it first; applied only if none refuses. */
  reload(config: AuthenticatorConfig): Promise<ReloadOutcome>;
  /** Reloads of the configuration file through `reload`, one at a time (SIGHUP and the Admin API); absent without opts.configFile. */
  reloader?: ConfigReloader;
  stop(graceMs?: number): Promise<void>;
}

interface WorkerState {
  worker: Worker;
  ready: boolean;
  connections: number;
}

/** Forks `count` workers and serves as their primary. */
export async function startPrimary(config: AuthenticatorConfig, count: number, opts: { logger?: Logger; configFile?: string } = {}): Promise<RunningPrimary> {
  const logger = opts.logger ?? createLogger({ level: config.log.level, format: config.log.format, name: 'authenticator' }).child({ worker: 'primary' });
  // A missing certificate is the operator's one line here, not each worker's exit.
  if (!config.grpc.plaintext) readAgentLinkTls(config);
  const workers = new Map<number, WorkerState>();
  const placement = new ConnectionPlacement();
  /** Questions put to every worker, waiting for their answers. */
  const waits = new Map<number, { pending: Set<number>; got: unknown[]; done: () => void }>();
  let questionSeq = 0;
  let stopping = false;
  // The primary's own metrics: its process, and how the agents are spread.
  const own = new Registry();
  collectDefaultMetrics({ register: own });
  // The reload counter that moves: main.ts counts SIGHUP reloads here, the workers never do.
  const instance = instanceMetrics(own);
  new Gauge({
    name: 'airlock_cluster_workers', help: 'Worker processes serving agents', registers: [own],
    collect() {
      this.set(readyWorkers().length);
    },
  });
  new Gauge({
    name: 'airlock_cluster_worker_connections', help: 'AgentLink connections handed to each worker and still open', labelNames: ['worker'], registers: [own],
    collect() {
      this.reset();
      for (const [id, w] of workers) this.set({ worker: String(id) }, w.connections);
    },
  });
  // Admission of AgentLink connections: refusals are counted here; the workers run the
  // handshakes and their deadlines and report each connection's progress by its id.
  const limits = agentLinkLimits(config, openFileLimit());
  logAgentLinkLimits(limits, config, logger);
  const admission = new ConnectionTable<number>({ ...limits, maxConnections: Infinity, handshakeTimeoutMs: Infinity });
  /** Connection id -> the worker it was handed to. */
  const owners = new Map<number, number>();
  let connectionSeq = 0;
  const connections = connectionMetrics(own);
  const report = new ConnectionReport('agentlink', connections, logger);
  // The workers' station events, in the order they happened, for StreamEvents.
  const journal = new EventJournal();
  const eventOrder = new TimeOrder((item) => journal.append(item));
  let started = false;
  let startDone: (e?: Error) => void = () => undefined;
  const readyWorkers = (): WorkerState[] => [...workers.values()].filter((w) => w.ready);

  const send = (w: WorkerState, m: PrimaryMessage): void => {
    if (w.worker.isConnected()) w.worker.send(m);
  };
  const broadcast = (m: PrimaryMessage): void => {
    for (const w of workers.values()) send(w, m);
  };

  const onWorkerMessage = (w: WorkerState, m: WorkerMessage): void => {
    const id = w.worker.id;
    switch (m.t) {
      case 'ready':
        w.ready = true;
        logger.info({ workerId: id, pid: w.worker.process.pid }, 'worker ready');
        if (!started && readyWorkers().length >= count) startDone();
        break;
      case 'connection-established':
        admission.established(m.id);
        break;
      case 'connection-closed':
        if (owners.get(m.id) !== id) break;
        owners.delete(m.id);
        admission.closed(m.id);
        w.connections = Math.max(0, w.connections - 1);
        break;
      case 'station-event':
        eventOrder.push(m.item, m.at);
        break;
      case 'answer': {
        const wait = waits.get(m.id);
        if (wait === undefined || !wait.pending.delete(id)) break;
        wait.got.push(m.answer);
        if (wait.pending.size === 0) wait.done();
        break;
      }
      default:
        break;
    }
  };

  cluster.setupPrimary({ serialization: 'advanced' });
  const fork = (): WorkerState => {
    const worker = cluster.fork();
    const w: WorkerState = { worker, ready: false, connections: 0 };
    workers.set(worker.id, w);
    worker.on('message', (m: unknown) => {
      if (isClusterMessage(m)) onWorkerMessage(w, m as WorkerMessage);
    });
    worker.on('exit', (code, signal) => {
      workers.delete(worker.id);
      // Its connections died with it.
      for (const [cid, wid] of owners) {
        if (wid !== worker.id) continue;
        owners.delete(cid);
        admission.closed(cid);
      }
      for (const wait of waits.values()) if (wait.pending.delete(worker.id) && wait.pending.size === 0) wait.done();
      // Its agents lost their streams: they reconnect, and the workers that take them get
      // their state from the shared store.
      if (stopping) return;
      if (!started) {
        startDone(new Error(`worker ${worker.id} exited (code ${code ?? signal}) while starting; see its log`));
        return;
      }
      logger.error({ workerId: worker.id, code, signal }, 'worker exited; starting another');
      setTimeout(() => {
        if (!stopping) fork();
      }, RESPAWN_MS).unref();
    });
    return w;
  };
  for (let i = 0; i < count; i++) fork();

  const place = (): WorkerState | undefined => placement.choose([...workers].filter(([, w]) => w.ready).map(([id, w]) => ({ id, connections: w.connections, w })))?.w;
  const front: Server = createServer({ pauseOnConnect: true, noDelay: true }, (socket) => {
    const w = stopping ? undefined : place();
    if (w === undefined) {
      socket.destroy();
      return;
    }
    // The caps at accept (connection-gate.ts), before any hand-over: a worker holds the
    // sockets it serves, so the connection cap is each worker's (the least loaded is full
    // only when all are); the handshake caps count over the whole cluster.
    const id = ++connectionSeq;
    const source = connectionSource(socket.remoteAddress);
    const refusal = w.connections >= limits.maxConnections ? 'connections' : admission.admit(id, source, performance.now());
    if (refusal !== undefined) {
      socket.destroy();
      report.refused(refusal, source, { workerConnections: w.connections, pending: admission.pending, pendingFromSource: admission.pendingFrom(source) });
      return;
    }
    w.connections++;
    owners.set(id, w.worker.id);
    w.worker.send({ t: 'connection', id } satisfies PrimaryMessage, socket, (err) => {
      if (err !== null && owners.delete(id)) {
        admission.closed(id);
        w.connections = Math.max(0, w.connections - 1);
        socket.destroy();
      }
    });
  });
  front.on('error', (err) => logger.error({ err }, 'AgentLink listener error'));

  /** Puts a question to every ready worker (`one`: the first only); the answers that came within `timeoutMs` (ANSWER_TIMEOUT_MS). */
  const ask = async (question: WorkerQuestion, opts: { one?: boolean; timeoutMs?: number } = {}): Promise<unknown[]> => {
    const id = ++questionSeq;
    const got: unknown[] = [];
    const ready = readyWorkers();
    const pending = new Set((opts.one === true ? ready.slice(0, 1) : ready).map((w) => w.worker.id));
    if (pending.size === 0) return got;
    await new Promise<void>((resolve) => {
      const timer = setTimeout(resolve, opts.timeoutMs ?? ANSWER_TIMEOUT_MS);
      waits.set(id, { pending, got, done: () => (clearTimeout(timer), resolve()) });
      for (const wid of pending) send(workers.get(wid)!, { t: 'question', id, question });
    });
    waits.delete(id);
    return got;
  };

  // Metrics: the workers' registries and the primary's, summed (each metric's own
  // aggregator: airlock_radius_server_up takes the lowest, airlock_build_info the highest).
  const aggregated = {
    contentType: own.contentType,
    metrics: async (): Promise<string> => {
      const answers = (await ask({ op: 'metrics' })) as (MetricObjectWithValues<MetricValue<string>>[] | undefined)[];
      return AggregatorRegistry.aggregate([await own.getMetricsAsJSON(), ...answers.filter((a) => a !== undefined)]).metrics();
    },
  };

  // Workers first: the port opens once every worker is ready.
  try {
    await new Promise<void>((resolve, reject) => {
      startDone = (e) => (e === undefined ? resolve() : reject(e));
    });
  } catch (e) {
    stopping = true;
    for (const w of workers.values()) w.worker.process.kill('SIGKILL');
    throw e;
  }
  started = true;
  const { host, port } = splitListen(config.grpc.listen);
  await new Promise<void>((resolve, reject) => {
    const onError = (err: NodeJS.ErrnoException): void => reject(listenError('grpc.listen', config.grpc.listen, err.code, err.message));
    front.once('error', onError);
    front.listen(port, host, () => {
      front.off('error', onError);
      resolve();
    });
  });
  const grpcPort = (front.address() as { port: number }).port;
  const backend = new ClusterAdmin(ask, journal);
  // The Admin API's reloads go the way SIGHUP's do: every worker checks, then every worker applies (reload below).
  const reloader = opts.configFile === undefined ? undefined : new ConfigReloader({ logger, metrics: instance, reload: (c) => reload(c) }, opts.configFile);
  let http: HttpEndpoints;
  try {
    const httpReport = new ConnectionReport('http', connections, logger);
    const httpConnections = { max: config.http.maxConnections, perSource: Math.max(1, Math.floor(config.http.maxConnections / 4)), refused: httpReport.refused.bind(httpReport) };
    http = await startHttpEndpoints({ listen: config.http.listen, registry: aggregated, ready: () => !stopping && readyWorkers().length > 0, logger, routes: statusRoutes(backend), connections: httpConnections, degraded: () => backend.degraded() });
  } catch (e) {
    front.close();
    throw e;
  }
  let admin: RunningAdmin;
  try {
    admin = await startAdminServer(config, backend, logger, { reload: reloader === undefined ? undefined : (by) => reloader.reload(by) });
  } catch (e) {
    front.close();
    await http.close();
    throw e;
  }
  logger.info({ grpcPort, httpPort: http.port, workers: count, networks: config.networks.map((n) => n.ssid) }, 'authenticator listening (cluster primary)');

  let stopped: Promise<void> | undefined;
  const stop = (graceMs = 2000): Promise<void> => {
    stopped ??= (async () => {
      stopping = true;
      front.close();
      const exits = [...workers.values()].map((w) => new Promise<void>((resolve) => (w.worker.isDead() ? resolve() : w.worker.once('exit', () => resolve()))));
      broadcast({ t: 'stop', graceMs });
      const force = setTimeout(() => {
        for (const w of workers.values()) w.worker.process.kill('SIGKILL');
      }, graceMs + 3000);
      await Promise.all(exits);
      clearTimeout(force);
      await http.close();
      eventOrder.flush();
      journal.close();
      await admin.stop();
      logger.info('authenticator stopped');
    })();
    return stopped;
  };
  async function reload(next: AuthenticatorConfig): Promise<ReloadOutcome> {
    const refusals = ((await ask({ op: 'reload-check', config: next })) as (string[] | undefined)[]).flatMap((e) => e ?? []);
    if (refusals.length > 0) return { ok: false, errors: [...new Set(refusals)] };
    const outcomes = (await ask({ op: 'reload', config: next })) as (ReloadOutcome | undefined)[];
    const failed = outcomes.filter((o) => o !== undefined && !o.ok).flatMap((o) => (o !== undefined && !o.ok ? o.errors : []));
    if (failed.length > 0) return { ok: false, errors: [...new Set(failed)] };
    const done = outcomes.find((o): o is Extract<ReloadOutcome, { ok: true }> => o?.ok === true);
    return done ?? { ok: true, applied: [], restartNeeded: [] };
  }
  return { grpcPort, httpPort: http.port, adminPort: admin.port, logger, metrics: instance, reload, reloader, workers: () => readyWorkers().length, stop };
}
