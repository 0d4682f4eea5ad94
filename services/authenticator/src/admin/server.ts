/**
 * The Admin API server (admin.proto), on two kinds of endpoint:
 * - the local UNIX socket admin.socket (default /run/airlock/admin.sock), without TLS:
 *   its file mode and group (admin.socket_mode, admin.socket_group) decide who may use it,
 *   as with hostapd's ctrl_interface and Docker's socket (socket-file.ts);
 * - TCP (admin.listen, off by default) with mTLS only, where a client certificate must be
 *   an operator's (DESIGN.md "Security", "Roles": issued by admin.tls.operator_ca, marked
 *   urn:airlock:operator:<CN>) and its CN one of admin.operators.
 * There is no plaintext TCP: any local user could reach a loopback port.
 */
import { readFileSync } from 'node:fs';
import * as grpc from '@grpc/grpc-js';
import { AdminService, type AdminServer, type TestRadiusRequest, type TestRadiusResponse } from '@airlock/proto';
import type { Logger } from 'pino';
import { DEFAULT_ADMIN_SOCKET, type AuthenticatorConfig } from '../config.js';
import { operatorRoleOf, type ClientRole } from '../client-role.js';
import { checkListenable, errnoOf, listenError, OperatorError } from '../operator-error.js';
import { macFromText, macText, type AdminBackend } from './backend.js';
import { streamEventsHandler, type CallerCheck } from './event-stream.js';
import { performance } from 'node:perf_hooks';
import type { ReloadReport } from '../config-reload.js';
import { truncateText } from '../logging.js';
import { checkRadiusTestInput, RadiusTestGate, RadiusTestRefused } from '../radius-test.js';
import { abandonPlan, finishSocket, modeText, planSocket, removeSocket, SocketFileError, type SocketPlan } from './socket-file.js';

/** A running Admin server. */
export interface RunningAdmin {
  /** The TCP port (mTLS); 0 when admin.listen is "". */
  port: number;
  /** The local socket's path; undefined when there is none. */
  socket: string | undefined;
  stop(): Promise<void>;
}

/** Who calls: a user of the local socket, or an operator certificate over TCP. */
type Caller = { via: 'socket' } | { via: 'tls'; role: ClientRole; operators: Set<string> };

const STATES = new Set(['associated', 'authenticating', 'authorized']);

class AdminError extends Error {
  constructor(
    readonly code: grpc.status,
    message: string,
  ) {
    super(message);
  }
}

function mac(text: string, what: string): Buffer {
  const m = macFromText(text);
  if (m === undefined) throw new AdminError(grpc.status.INVALID_ARGUMENT, `${what} ${JSON.stringify(text)} is not a MAC address (aa:bb:cc:dd:ee:ff)`);
  return m;
}

/** The mTLS credentials of admin.listen: the root and the operator CA trusted, a client certificate required. */
function tlsCredentials(config: AuthenticatorConfig, role: ClientRole): grpc.ServerCredentials {
  const a = config.admin;
  const read = (k: 'cert' | 'key' | 'ca'): Buffer => {
    try {
      return readFileSync(a.tls[k]);
    } catch (e) {
      throw new OperatorError(`admin.tls.${k}: cannot read ${a.tls[k]} (${(e as NodeJS.ErrnoException).code ?? 'error'}); create a development PKI with \`airlock pki init --dir DIR --operator NAME\`, or set admin.listen: "" (the local socket needs no certificate)`);
    }
  };
  return grpc.ServerCredentials.createSsl(Buffer.concat([read('ca'), Buffer.from('\n'), role.issuerPem]), [{ cert_chain: read('cert'), private_key: read('key') }], true);
}

/** Starts the Admin server on config.admin.socket and config.admin.listen over `backend`. */
export async function startAdminServer(config: AuthenticatorConfig, backend: AdminBackend, logger: Logger, actions: AdminActions = {}): Promise<RunningAdmin> {
  const a = config.admin;
  const ops: OperatorActions = { reload: actions.reload, radiusTestGate: new RadiusTestGate(performance.now()) };
  const servers: grpc.Server[] = [];
  let socketIno: number | undefined;
  let socketPath: string | undefined;
  let port = 0;
  try {
    if (a.socket !== '') {
      const ino = await bindSocket(config, backend, logger, servers, ops);
      if (ino !== undefined) {
        socketIno = ino;
        socketPath = a.socket;
      }
    }
    if (a.listen !== '') {
      const role = operatorRoleOf(config);
      const server = adminServer(backend, logger, { via: 'tls', role, operators: new Set(a.operators) }, ops);
      servers.push(server);
      // grpc-js would report a port in use as "No address added" and log lines of its own.
      await checkListenable('admin.listen', a.listen);
      port = await new Promise<number>((resolve, reject) => {
        server.bindAsync(a.listen, tlsCredentials(config, role), (err, p) => (err ? reject(listenError('admin.listen', a.listen, errnoOf(err), err.message)) : resolve(p)));
      });
      logger.info({ listen: a.listen, port, operators: a.operators }, 'Admin API listening over mTLS (operator certificates)');
    }
  } catch (e) {
    for (const s of servers) s.forceShutdown();
    if (socketPath !== undefined && socketIno !== undefined) removeSocket(socketPath, socketIno);
    throw e;
  }
  if (socketPath === undefined && port === 0) logger.warn('the Admin API is not served (no admin.socket, no admin.listen): the airlock CLI cannot reach this authenticator');
  return {
    port,
    socket: socketPath,
    stop: async () => {
      await Promise.all(servers.map((server) => new Promise<void>((resolve) => {
        const t = setTimeout(() => {
          server.forceShutdown();
          resolve();
        }, 1000);
        server.tryShutdown(() => {
          clearTimeout(t);
          resolve();
        });
      })));
      if (socketPath !== undefined && socketIno !== undefined) removeSocket(socketPath, socketIno);
    },
  };
}

/**
 * Serves the local socket; its inode, or undefined when the default path cannot be made
 * (an unprivileged user: logged, and the authenticator goes on without it).
 */
async function bindSocket(config: AuthenticatorConfig, backend: AdminBackend, logger: Logger, servers: grpc.Server[], ops: OperatorActions): Promise<number | undefined> {
  const a = config.admin;
  const mode = parseInt(a.socketMode, 8);
  let plan: SocketPlan;
  try {
    plan = await planSocket(a.socket, mode, a.socketGroup);
  } catch (e) {
    if (e instanceof SocketFileError && a.socket === DEFAULT_ADMIN_SOCKET && (e.code === 'EACCES' || e.code === 'EPERM' || e.code === 'EROFS')) {
      logger.warn({ socket: a.socket, err: e.message }, 'Admin API socket not served: set admin.socket to a path this user may create');
      return undefined;
    }
    throw e;
  }
  const server = adminServer(backend, logger, { via: 'socket' }, ops);
  servers.push(server);
  try {
    await new Promise<number>((resolve, reject) => {
      server.bindAsync(`unix:${plan.bindPath}`, grpc.ServerCredentials.createInsecure(), (err, p) => (err ? reject(new OperatorError(`admin.socket ${a.socket}: cannot listen (${errnoOf(err) ?? err.message}); set another path in admin.socket (or AIRLOCK__ADMIN__SOCKET)`)) : resolve(p)));
    });
  } catch (e) {
    abandonPlan(plan);
    throw e;
  }
  const ino = finishSocket(plan);
  logger.info({ socket: a.socket, mode: modeText(mode), group: a.socketGroup === '' ? undefined : a.socketGroup }, 'Admin API on the local socket (its file mode and group decide who may use it)');
  return ino;
}

/** What the Admin API may do to the process beyond its backend's questions. */
export interface AdminActions {
  /** Reload the configuration file (config-reload.ts ConfigReloader); absent without one. */
  reload?: (by: string) => Promise<ReloadReport>;
}

/** The actions, with the radtest gate both endpoints share. */
interface OperatorActions extends AdminActions {
  radiusTestGate: RadiusTestGate;
}

/**
 * One radtest (radius-test.ts): input checked, then the gate (one at a time, a few per
 * minute), then the backend. The password is copied into a buffer wiped when the test ends,
 * and never logged; the user name is logged (truncated) with the result.
 */
async function radiusTest(backend: AdminBackend, logger: Logger, gate: RadiusTestGate, req: TestRadiusRequest, by: string): Promise<TestRadiusResponse> {
  let turn: { done(): void };
  try {
    checkRadiusTestInput(req.userName, req.password);
    turn = gate.enter(performance.now());
  } catch (e) {
    if (e instanceof RadiusTestRefused) throw new AdminError(e.reason === 'invalid' ? grpc.status.INVALID_ARGUMENT : grpc.status.RESOURCE_EXHAUSTED, e.message);
    throw e;
  }
  const password = Buffer.from(req.password, 'utf8');
  try {
    const o = await backend.radiusTest(req.userName, password);
    logger.info({ by, user: truncateText(req.userName), result: o.result, server: o.result === 'timeout' ? undefined : o.server, tried: o.result === 'timeout' ? o.tried : undefined }, 'RADIUS test by an operator');
    return o.result === 'timeout'
      ? { result: 'timeout', server: '', rttMs: 0, tried: o.tried, replyMessage: '', sessionTimeoutS: 0, vlan: '', classes: 0 }
      : { result: o.result, server: o.server, rttMs: o.rttMs, tried: [], replyMessage: o.replyMessage, sessionTimeoutS: o.sessionTimeoutS, vlan: o.vlan, classes: o.classes };
  } catch (e) {
    if (e instanceof RadiusTestRefused) throw new AdminError(grpc.status.FAILED_PRECONDITION, e.message);
    throw e;
  } finally {
    password.fill(0);
    turn.done();
  }
}

/** A gRPC server with the Admin service for callers of one kind. */
function adminServer(backend: AdminBackend, logger: Logger, caller: Caller, ops: OperatorActions): grpc.Server {
  /** Who calls (over TLS it must be an operator), or the status that refuses the call. */
  const who: CallerCheck = (call, name) => {
    if (caller.via !== 'tls') return { by: 'local socket' };
    const v = caller.role.check(call.getAuthContext().sslPeerCertificate);
    if (!v.ok) {
      caller.role.logRefusal(logger, 'Admin API', v, { call: name, peer: call.getPeer() });
      return { refused: { code: grpc.status.PERMISSION_DENIED, details: `not an operator certificate: ${v.detail}` } };
    }
    if (!caller.operators.has(v.id)) {
      logger.warn({ call: name, cert: v.id }, 'Admin API call refused: not in admin.operators');
      return { refused: { code: grpc.status.PERMISSION_DENIED, details: `certificate CN ${JSON.stringify(v.id)} is not in admin.operators` } };
    }
    return { by: `operator ${v.id}` };
  };
  /** Runs one call: over TLS the caller must be an operator; errors become gRPC statuses. */
  const unary = <Req, Res>(name: string, fn: (req: Req, by: string) => Promise<Res>): grpc.handleUnaryCall<Req, Res> => (call, callback) => {
    const w = who(call, name);
    if ('refused' in w) {
      callback(w.refused);
      return;
    }
    const by = w.by;
    fn(call.request, by).then(
      (res) => callback(null, res),
      (err: unknown) => {
        if (err instanceof AdminError) callback({ code: err.code, details: err.message });
        else {
          logger.error({ call: name, err: err instanceof Error ? err.message : String(err) }, 'Admin API call failed');
          callback({ code: grpc.status.INTERNAL, details: 'internal error' });
        }
      },
    );
  };

  const impl: AdminServer = {
    listAgents: unary('ListAgents', async () => ({ agents: await backend.agents() })),
    listStations: unary('ListStations', async (req) => {
      const state = req.state === '' ? undefined : req.state;
      if (state !== undefined && !STATES.has(state)) throw new AdminError(grpc.status.INVALID_ARGUMENT, `state ${JSON.stringify(state)}: one of ${[...STATES].join(', ')}`);
      const bssid = req.bssid === '' ? undefined : macFromText(req.bssid);
      if (req.bssid !== '' && bssid === undefined) throw new AdminError(grpc.status.INVALID_ARGUMENT, `bssid ${JSON.stringify(req.bssid)} is not a MAC address (aa:bb:cc:dd:ee:ff)`);
      const stations = await backend.stations({ bssid: bssid === undefined ? undefined : macText(bssid), state });
      return { stations: stations.sort((x, y) => x.sta.localeCompare(y.sta)) };
    }),
    explainStation: unary('ExplainStation', async (req) => {
      const r = await backend.explain(mac(req.sta, 'station'));
      if (r === undefined) throw new AdminError(grpc.status.NOT_FOUND, `station ${req.sta} is not associated and has no recorded handshake`);
      return r;
    }),
    disconnectStation: unary('DisconnectStation', async (req, by) => {
      const sta = mac(req.sta, 'station');
      if (!(await backend.disconnect(sta, req.reason === 0 ? 1 : req.reason))) throw new AdminError(grpc.status.NOT_FOUND, `station ${req.sta} is not associated`);
      logger.info({ sta: req.sta, reason: req.reason || 1, by }, 'station disconnected by an operator');
      return {};
    }),
    rekeyGroup: unary('RekeyGroup', async (req, by) => {
      const bssid = mac(req.bssid, 'BSS');
      if (!(await backend.rekey(bssid))) throw new AdminError(grpc.status.NOT_FOUND, `BSS ${req.bssid} is not served (or has no group key)`);
      logger.info({ bssid: req.bssid, by }, 'group key rekey started by an operator');
      return {};
    }),
    // ---- RADIUS and configuration (issue 14) ----
    listRadiusServers: unary('ListRadiusServers', async () => ({ servers: await backend.radiusServers() })),
    testRadius: unary('TestRadius', (req, by) => radiusTest(backend, logger, ops.radiusTestGate, req, by)),
    reloadConfig: unary('ReloadConfig', async (_req, by) => {
      if (ops.reload === undefined) throw new AdminError(grpc.status.FAILED_PRECONDITION, 'this authenticator was not started with a configuration file (--config): there is nothing to reload');
      const r = await ops.reload(`Admin API (${by})`);
      return { applied: r.result === 'applied', file: r.file, changed: r.changed, restartNeeded: r.restartNeeded, errors: r.errors };
    }),
    // ---- station events (issue 14) ----
    streamEvents: streamEventsHandler(backend.events, logger, who),
  };
  const server = new grpc.Server();
  server.addService(AdminService, impl);
  return server;
}
