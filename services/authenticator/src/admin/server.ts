/**
 * The Admin API server (admin.proto): its own port and credentials. mTLS by default, and a
 * client certificate alone is not enough: its CN must be one of admin.operators (an agent's
 * certificate from the same CA is refused). Plaintext only on a loopback address, logged.
 */
import { readFileSync } from 'node:fs';
import * as grpc from '@grpc/grpc-js';
import { AdminService, type AdminServer } from '@airlock/proto';
import type { Logger } from 'pino';
import type { AuthenticatorConfig } from '../config.js';
import { certificateIdentity } from '../bss-policy.js';
import { macFromText, macText, type AdminBackend } from './backend.js';

/** A running Admin server. */
export interface RunningAdmin {
  port: number;
  stop(): Promise<void>;
}

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

/** Starts the Admin server on config.admin.listen over `backend`. */
export async function startAdminServer(config: AuthenticatorConfig, backend: AdminBackend, logger: Logger): Promise<RunningAdmin> {
  const a = config.admin;
  let creds: grpc.ServerCredentials;
  if (a.plaintext) {
    logger.warn({ listen: a.listen }, 'Admin API in plaintext (admin.plaintext: true): anyone who reaches this loopback port can use it');
    creds = grpc.ServerCredentials.createInsecure();
  } else {
    const read = (k: 'cert' | 'key' | 'ca'): Buffer => {
      try {
        return readFileSync(a.tls[k]);
      } catch (e) {
        throw new Error(`admin.tls.${k}: cannot read ${a.tls[k]} (${(e as NodeJS.ErrnoException).code ?? 'error'}); create a development PKI with \`airlock pki init --dir DIR --operator NAME\``);
      }
    };
    creds = grpc.ServerCredentials.createSsl(read('ca'), [{ cert_chain: read('cert'), private_key: read('key') }], true);
  }
  const operators = new Set(a.operators);

  /** Runs one call: the caller must be an operator; errors become gRPC statuses. */
  const unary = <Req, Res>(name: string, fn: (req: Req) => Promise<Res>): grpc.handleUnaryCall<Req, Res> => (call, callback) => {
    const who = a.plaintext ? 'plaintext' : certificateIdentity(call.getAuthContext().sslPeerCertificate);
    if (!a.plaintext && (who === undefined || !operators.has(who))) {
      logger.warn({ call: name, cert: who }, 'Admin API call refused: not an operator');
      callback({ code: grpc.status.PERMISSION_DENIED, details: `certificate CN ${JSON.stringify(who ?? '')} is not in admin.operators` });
      return;
    }
    fn(call.request).then(
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
    disconnectStation: unary('DisconnectStation', async (req) => {
      const sta = mac(req.sta, 'station');
      if (!(await backend.disconnect(sta, req.reason === 0 ? 1 : req.reason))) throw new AdminError(grpc.status.NOT_FOUND, `station ${req.sta} is not associated`);
      logger.info({ sta: req.sta, reason: req.reason || 1 }, 'station disconnected by an operator');
      return {};
    }),
    rekeyGroup: unary('RekeyGroup', async (req) => {
      const bssid = mac(req.bssid, 'BSS');
      if (!(await backend.rekey(bssid))) throw new AdminError(grpc.status.NOT_FOUND, `BSS ${req.bssid} is not served (or has no group key)`);
      logger.info({ bssid: req.bssid }, 'group key rekey started by an operator');
      return {};
    }),
  };
  const server = new grpc.Server();
  server.addService(AdminService, impl);
  const port = await new Promise<number>((resolve, reject) => {
    server.bindAsync(a.listen, creds, (err, p) => (err ? reject(new Error(`admin.listen ${a.listen}: ${err.message}`)) : resolve(p)));
  });
  logger.info({ listen: a.listen, port, operators: [...operators] }, 'Admin API listening');
  return {
    port,
    stop: () =>
      new Promise<void>((resolve) => {
        const t = setTimeout(() => {
          server.forceShutdown();
          resolve();
        }, 1000);
        server.tryShutdown(() => {
          clearTimeout(t);
          resolve();
        });
      }),
  };
}
