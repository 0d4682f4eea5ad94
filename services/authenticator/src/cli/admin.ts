/**
 * The operator commands over the Admin API (admin.proto): agents, stations, explain,
 * disconnect, rekey. A readable table by default, `--json` for scripts. Exit 0 done, 1 the
 * authenticator said no (unknown station or BSS, not an operator, unreachable), 2 usage.
 */
import { accessSync, constants, lstatSync, readFileSync } from 'node:fs';
import { join, resolve } from 'node:path';
import type { ParseArgsConfig } from 'node:util';
import { checkServerIdentity } from 'node:tls';
import * as grpc from '@grpc/grpc-js';
import { serverRoleProblem } from '@airlock/pki/roles';
import { AdminClient, type AgentInfo, type EapAuthInfo, type ExplainStationResponse, type HandshakeInfo, type ListAgentsResponse, type ListStationsResponse, type StationInfo } from '@airlock/proto';
import { macFromText, macText } from '../admin/backend.js';
import { DEFAULT_ADMIN_SOCKET } from '../config.js';
import { CommandFailure, parseFlags, UsageError, type CliIo, type Command } from './command.js';
import { escapeControls, escapeJsonControls, line } from './terminal-text.js';
import { eapExplainLine } from './explain-8021x.js';

/** The connection options' help, shared by every command over the Admin API. */
export const CONNECTION_HELP = `connection (or AIRLOCK_ADMIN_SOCKET, AIRLOCK_ADMIN_SERVER, AIRLOCK_PKI_DIR, AIRLOCK_OPERATOR):
  --socket PATH             the authenticator's local socket, admin.socket (default ${DEFAULT_ADMIN_SOCKET});
                            who may use it is its file mode and group (root, or admin.socket_group)
  --server HOST:PORT        its admin.listen instead: TCP with mTLS and an operator certificate
  --pki-dir DIR             ca.pem and operator-NAME.pem/.key as \`airlock pki init --operator NAME\` writes them
  --operator NAME           which operator certificate of --pki-dir (default operator)
  --tls-ca F --tls-cert F --tls-key F   the same, by file
  --tls-server-name NAME    the name in the authenticator's certificate, when not the host dialled
  --timeout-s N             give up after N seconds (default 5)
  --json                    print JSON instead of a table`;

const CONNECTION_OPTIONS = {
  socket: { type: 'string' },
  server: { type: 'string' },
  'pki-dir': { type: 'string' },
  operator: { type: 'string' },
  'tls-ca': { type: 'string' },
  'tls-cert': { type: 'string' },
  'tls-key': { type: 'string' },
  'tls-server-name': { type: 'string' },
  plaintext: { type: 'boolean', default: false },
  'timeout-s': { type: 'string' },
  json: { type: 'boolean', default: false },
  help: { type: 'boolean', short: 'h' },
} as const;

/** The parsed connection options. */
export type ConnectionValues = { [K in keyof typeof CONNECTION_OPTIONS]?: (typeof CONNECTION_OPTIONS)[K]['type'] extends 'boolean' ? boolean : string };

/** A connected Admin client and how long a call may take. */
export interface Admin {
  client: InstanceType<typeof AdminClient>;
  server: string;
  deadline(): Date;
}

function readFile(path: string, what: string): Buffer {
  try {
    return readFileSync(path);
  } catch (e) {
    // The file, and how to make one: the operator's files come from `airlock pki init`.
    throw new CommandFailure(`cannot read ${what} ${path} (${(e as NodeJS.ErrnoException).code ?? 'error'}); \`airlock pki init --dir DIR --operator NAME\` writes DIR/ca.pem, DIR/operator-NAME.pem and .key for --pki-dir DIR --operator NAME (or give them as --tls-ca, --tls-cert, --tls-key)`);
  }
}

/** The local socket: it must be there, and this user must be allowed to write it (connect(2) needs that). */
function checkSocket(path: string): void {
  try {
    if (!lstatSync(path).isSocket()) throw new CommandFailure(`${path} is not a socket: give the authenticator's admin.socket (--socket PATH)`);
    accessSync(path, constants.W_OK);
  } catch (e) {
    if (e instanceof CommandFailure) throw e;
    const code = (e as NodeJS.ErrnoException).code ?? 'error';
    if (code === 'ENOENT') throw new CommandFailure(`no Admin API socket at ${path}: is the authenticator running, with admin.socket ${path}? (--socket PATH for another one, --server HOST:PORT for TCP with mTLS)`);
    if (code === 'EACCES') throw new CommandFailure(`permission denied on ${path} (EACCES): administer as root or as a member of the socket's group (the authenticator's admin.socket_group)`);
    throw new CommandFailure(`cannot use ${path} (${code})`);
  }
}

function connect(v: ConnectionValues, defaultTimeoutS = 5): Admin {
  const timeoutS = v['timeout-s'] === undefined ? defaultTimeoutS : Number(v['timeout-s']);
  if (!Number.isFinite(timeoutS) || timeoutS <= 0 || timeoutS > 3600) throw new UsageError(`--timeout-s must be a number of seconds in (0, 3600]`);
  if (v.plaintext === true) throw new UsageError(`--plaintext is gone: without TLS, use the authenticator's local socket (--socket PATH, its admin.socket; default ${DEFAULT_ADMIN_SOCKET})`);
  if (v.server !== undefined && v.socket !== undefined) throw new UsageError('--server (TCP with mTLS) and --socket (the local socket): give one');
  const server = v.server ?? (v.socket === undefined ? process.env.AIRLOCK_ADMIN_SERVER : undefined);
  if (server === undefined || server === '') {
    const tlsFlag = (['pki-dir', 'operator', 'tls-ca', 'tls-cert', 'tls-key', 'tls-server-name'] as const).find((k) => v[k] !== undefined);
    if (tlsFlag !== undefined) throw new UsageError(`--${tlsFlag} is for TCP with mTLS: give --server HOST:PORT too (the local socket needs no certificate)`);
    const given = v.socket ?? process.env.AIRLOCK_ADMIN_SOCKET ?? DEFAULT_ADMIN_SOCKET;
    if (given === '') throw new UsageError('--socket: expected a path');
    const path = resolve(given);
    checkSocket(path);
    const client = new AdminClient(`unix:${path}`, grpc.credentials.createInsecure());
    return { client, server: path, deadline: () => new Date(Date.now() + timeoutS * 1000) };
  }
  if (!/^(\[[0-9A-Fa-f:.]+\]|[^\s:[\]]+):\d{1,5}$/.test(server)) throw new UsageError(`--server ${JSON.stringify(server)}: expected HOST:PORT`);
  const options: grpc.ChannelOptions = {};
  let ca: string | undefined = v['tls-ca'];
  let cert: string | undefined = v['tls-cert'];
  let key: string | undefined = v['tls-key'];
  const dir = v['pki-dir'] ?? process.env.AIRLOCK_PKI_DIR;
  if (dir !== undefined && (ca === undefined || cert === undefined || key === undefined)) {
    const name = v.operator ?? process.env.AIRLOCK_OPERATOR ?? 'operator';
    ca ??= join(dir, 'ca.pem');
    cert ??= join(dir, `operator-${name}.pem`);
    key ??= join(dir, `operator-${name}.key`);
  }
  if (ca === undefined || cert === undefined || key === undefined) {
    throw new UsageError('the Admin API over TCP needs an operator certificate: --pki-dir DIR [--operator NAME], or --tls-ca, --tls-cert and --tls-key (or use the local socket: --socket PATH)');
  }
  // The server must be the authenticator: its name, and its role mark (a RADIUS server's certificate of the same root is not).
  const creds = grpc.credentials.createSsl(readFile(ca, 'the CA certificate'), readFile(key, 'the operator key'), readFile(cert, 'the operator certificate'), {
    checkServerIdentity: (host, peer) => {
      const err = checkServerIdentity(host, peer);
      if (err !== undefined) return err;
      const problem = serverRoleProblem(peer.raw, 'authenticator');
      return problem === undefined ? undefined : new Error(`the server at ${host} is not an authenticator: ${problem}`);
    },
  });
  if (v['tls-server-name'] !== undefined) options['grpc.ssl_target_name_override'] = v['tls-server-name'];
  const client = new AdminClient(server, creds, options);
  return { client, server, deadline: () => new Date(Date.now() + timeoutS * 1000) };
}

/** Calls one unary method; a gRPC error becomes a one-line CommandFailure. */
export function call<Res>(admin: Admin, invoke: (options: Partial<grpc.CallOptions>, done: (err: grpc.ServiceError | null, res: Res) => void) => unknown): Promise<Res> {
  return new Promise<Res>((resolve, reject) => {
    invoke({ deadline: admin.deadline() }, (err, res) => {
      if (err === null) resolve(res);
      else if (err.code === grpc.status.UNAVAILABLE || err.code === grpc.status.DEADLINE_EXCEEDED) reject(new CommandFailure(`cannot reach the authenticator's Admin API at ${admin.server}: ${err.details || grpc.status[err.code]}`));
      else if (err.code === grpc.status.INVALID_ARGUMENT) reject(new UsageError(err.details));
      else reject(new CommandFailure(err.details || grpc.status[err.code]));
    });
  });
}

/** Aligned columns, a header line first; every cell with its control characters escaped (one line each). */
export function table(header: string[], rows: string[][]): string {
  const cells = [header, ...rows].map((r) => r.map(escapeControls));
  const widths = header.map((_h, i) => Math.max(...cells.map((r) => (r[i] ?? '').length)));
  const row = (r: string[]): string => r.map((c, i) => (i === r.length - 1 ? c : c.padEnd(widths[i]))).join('  ').trimEnd();
  return cells.map(row).join('\n');
}

/** "3m12s ago"-style age of a Unix ms time. */
export function age(unixMs: number, now = Date.now()): string {
  if (unixMs <= 0) return '-';
  let s = Math.max(0, Math.round((now - unixMs) / 1000));
  const d = Math.floor(s / 86400);
  s -= d * 86400;
  const h = Math.floor(s / 3600);
  s -= h * 3600;
  const m = Math.floor(s / 60);
  s -= m * 60;
  return d > 0 ? `${d}d${h}h ago` : h > 0 ? `${h}h${m}m ago` : m > 0 ? `${m}m${s}s ago` : `${s}s ago`;
}

/** BigInt-safe JSON (times are int64), with no raw C1 or bidi control in the text. */
export function json(x: unknown): string {
  return escapeJsonControls(JSON.stringify(x, (_k, v: unknown) => (typeof v === 'bigint' ? Number(v) : v), 2));
}

/** Runs `body` with the parsed flags and a connected client, closing it after. */
export async function withAdmin<T extends NonNullable<ParseArgsConfig['options']>>(help: string, args: string[], extra: T, io: CliIo, body: (admin: Admin, values: ConnectionValues & Record<string, unknown>, positionals: string[]) => Promise<void>, defaultTimeoutS?: number): Promise<void> {
  const parsed = parseFlags(args, { ...CONNECTION_OPTIONS, ...extra });
  const values = parsed.values as ConnectionValues & Record<string, unknown>;
  const positionals = parsed.positionals;
  if (values.help === true) {
    io.out(help);
    return;
  }
  const admin = connect(values, defaultTimeoutS);
  try {
    await body(admin, values, positionals);
  } finally {
    admin.client.close();
  }
}

function oneMac(positionals: string[], what: string, usage: string): string {
  if (positionals.length !== 1) throw new UsageError(`expected one ${what} (usage: ${usage})`);
  const m = macFromText(positionals[0]);
  if (m === undefined) throw new UsageError(`${JSON.stringify(positionals[0])} is not a MAC address (aa:bb:cc:dd:ee:ff)`);
  return macText(m);
}

// ---- commands ---------------------------------------------------------------------------

const AGENTS_USAGE = 'airlock agents [connection options] [--json]';

export const agentsCommand: Command = {
  name: 'agents',
  summary: 'the edge agents: connected or in reconnect grace, their BSSes and stations',
  help: `usage: ${AGENTS_USAGE}\n\n${CONNECTION_HELP}`,
  run: (args, io) =>
    withAdmin(agentsCommand.help, args, {}, io, async (admin, v, positionals) => {
      if (positionals.length > 0) throw new UsageError(`unexpected argument '${positionals[0]}' (usage: ${AGENTS_USAGE})`);
      const { agents } = await call<ListAgentsResponse>(admin, (o, done) => admin.client.listAgents({}, new grpc.Metadata(), o, done));
      if (v.json === true) return io.out(json(agents));
      const rows = agents.map((a: AgentInfo) => [a.agentId, a.state, String(a.stations), a.bssids.join(','), a.peer || '-', a.state === 'connected' ? age(Number(a.connectedSinceUnixMs)) : '-', a.worker > 0 ? String(a.worker) : '-']);
      io.out(table(['AGENT', 'STATE', 'STATIONS', 'BSSIDS', 'PEER', 'CONNECTED', 'WORKER'], rows));
    }),
};

const STATIONS_USAGE = 'airlock stations [--bssid BSSID] [--state associated|authenticating|authorized] [connection options] [--json]';

export const stationsCommand: Command = {
  name: 'stations',
  summary: 'the stations: state, BSS, AKM, VLAN, since when, last handshake',
  help: `usage: ${STATIONS_USAGE}\n\n${CONNECTION_HELP}`,
  run: (args, io) =>
    withAdmin(stationsCommand.help, args, { bssid: { type: 'string' }, state: { type: 'string' } } as const, io, async (admin, v, positionals) => {
      if (positionals.length > 0) throw new UsageError(`unexpected argument '${positionals[0]}' (usage: ${STATIONS_USAGE})`);
      const bssid = typeof v.bssid === 'string' ? v.bssid : '';
      if (bssid !== '' && macFromText(bssid) === undefined) throw new UsageError(`--bssid ${JSON.stringify(bssid)} is not a MAC address`);
      const state = typeof v.state === 'string' ? v.state : '';
      if (state !== '' && !['associated', 'authenticating', 'authorized'].includes(state)) throw new UsageError(`--state: one of associated, authenticating, authorized`);
      const { stations } = await call<ListStationsResponse>(admin, (o, done) => admin.client.listStations({ bssid, state }, new grpc.Metadata(), o, done));
      if (v.json === true) return io.out(json(stations));
      const rows = stations.map((s: StationInfo) => [s.sta, s.state, s.bssid, s.agentId, s.akm, s.vlanId > 0 ? String(s.vlanId) : '-', age(Number(s.sinceUnixMs)), s.lastHandshakeResult || (s.state === 'authorized' ? '-' : 'running')]);
      io.out(table(['STATION', 'STATE', 'BSSID', 'AGENT', 'AKM', 'VLAN', 'SINCE', 'LAST HANDSHAKE'], rows));
    }),
};

const EXPLAIN_USAGE = 'airlock explain STATION [connection options] [--json]';

/** The explain output for a person. */
export function explainText(sta: string, r: ExplainStationResponse): string {
  const lines: string[] = [];
  const s = r.station;
  // Every value from the authenticator goes in through the `line` tag (escaped), so none can
  // break the line or move the cursor.
  lines.push(s === undefined ? line`station ${sta}: not associated now` : line`station ${s.sta}: ${s.state} on ${s.bssid} (agent ${s.agentId}), ${s.akm}${s.vlanId > 0 ? `, VLAN ${s.vlanId}` : ''}, associated ${age(Number(s.sinceUnixMs))}, PTK state ${s.ptkState}`);
  if (r.handshakes.length === 0) lines.push('no handshake recorded');
  r.handshakes.forEach((h: HandshakeInfo, i) => {
    const when = new Date(Number(h.startedUnixMs)).toISOString();
    const outcome = h.result === '' ? 'running' : h.result;
    if (h.stage === 'sae' || h.stage === 'psk-lookup') {
      // A WPA3 station that failed SAE, or a station RADIUS gave no PSK, never got to a
      // handshake: the words say why.
      lines.push(line`${i === 0 ? 'latest' : `#${i + 1}`.padEnd(6)} ${when}  ${h.bssid}  ${h.akm}  ${h.detail}`);
      return;
    }
    const timing = h.joinMs > 0 ? `joined in ${h.joinMs} ms` : h.durationMs > 0 ? `took ${h.durationMs} ms` : '';
    lines.push(line`${i === 0 ? 'latest' : `#${i + 1}`.padEnd(6)} ${when}  ${h.bssid}  ${h.akm}  ${outcome}${timing === '' ? '' : `, ${timing}`}  (msg 1/4 sent ${h.msg1Sent}x, msg 3/4 sent ${h.msg3Sent}x, MIC failures ${h.micFailures})`);
    if (h.detail !== '' && h.result !== 'success') lines.push(line`       ${h.detail}`);
    if (h.diagnosis !== '') lines.push(line`       diagnosis (${h.diagnosisCause}): ${h.diagnosis}`);
    if (h.eap !== undefined) lines.push(h.akm === 'sae' ? saeExplainLine(h.eap) : h.akm === 'psk' || h.akm === 'psk-sha256' ? pskExplainLine(h.eap) : eapExplainLine(h.eap));
  });
  return lines.join('\n');
}

/** The line under an SAE station's handshake: where its PMK came from (the record shares the 802.1X shape). */
function saeExplainLine(a: EapAuthInfo): string {
  const how = a.pmksaCached ? 'PMKSA cache hit (no SAE exchange)' : 'SAE exchange accepted';
  const id = a.identity === '' ? '' : `, password identifier ${JSON.stringify(a.identity)}`;
  return line`       SAE: ${how}${id}; ${a.vlanId > 0 ? `VLAN ${a.vlanId}` : 'no VLAN'}`;
}

/** The line under a handshake with a PSK from RADIUS (psk_source: radius): who gave it, and what came with it. */
function pskExplainLine(a: EapAuthInfo): string {
  const server = a.rounds[0];
  const via = server === undefined ? 'kept from an earlier Access-Accept' : `RADIUS server ${server.server}, RTT ${server.rttMs} ms`;
  const grants = [a.vlanId > 0 ? `VLAN ${a.vlanId}` : 'no VLAN', a.sessionTimeoutS > 0 ? `session timeout ${a.sessionTimeoutS} s` : 'no session timeout'].join(', ');
  return line`       PSK from RADIUS: User-Name ${JSON.stringify(a.identity)}, ${via}; ${grants}`;
}

export const explainCommand: Command = {
  name: 'explain',
  summary: 'one station: its state and recent handshakes with timings, and why one failed',
  help: `usage: ${EXPLAIN_USAGE}\n\n${CONNECTION_HELP}`,
  run: (args, io) =>
    withAdmin(explainCommand.help, args, {}, io, async (admin, v, positionals) => {
      const sta = oneMac(positionals, 'station', EXPLAIN_USAGE);
      const r = await call<ExplainStationResponse>(admin, (o, done) => admin.client.explainStation({ sta }, new grpc.Metadata(), o, done));
      io.out(v.json === true ? json(r) : explainText(sta, r));
    }),
};

const DISCONNECT_USAGE = 'airlock disconnect STATION [--reason N] [connection options]';

export const disconnectCommand: Command = {
  name: 'disconnect',
  summary: 'disconnect a station now (deauthentication, IEEE 802.11 reason code)',
  help: `usage: ${DISCONNECT_USAGE}\n\n--reason N   IEEE 802.11 reason code (default 1, unspecified)\n${CONNECTION_HELP}`,
  run: (args, io) =>
    withAdmin(disconnectCommand.help, args, { reason: { type: 'string' } } as const, io, async (admin, v, positionals) => {
      const sta = oneMac(positionals, 'station', DISCONNECT_USAGE);
      const reason = typeof v.reason === 'string' ? Number(v.reason) : 1;
      if (!Number.isInteger(reason) || reason < 1 || reason > 65535) throw new UsageError('--reason: an IEEE 802.11 reason code, 1..65535');
      await call(admin, (o, done) => admin.client.disconnectStation({ sta, reason }, new grpc.Metadata(), o, done));
      io.out(v.json === true ? json({ sta, disconnected: true, reason }) : line`disconnected ${sta} (reason ${reason})`);
    }),
};

const REKEY_USAGE = 'airlock rekey BSSID [connection options]';

export const rekeyCommand: Command = {
  name: 'rekey',
  summary: 'start a group-key (GTK) rekey of one BSS now',
  help: `usage: ${REKEY_USAGE}\n\n${CONNECTION_HELP}`,
  run: (args, io) =>
    withAdmin(rekeyCommand.help, args, {}, io, async (admin, v, positionals) => {
      const bssid = oneMac(positionals, 'BSSID', REKEY_USAGE);
      await call(admin, (o, done) => admin.client.rekeyGroup({ bssid }, new grpc.Metadata(), o, done));
      io.out(v.json === true ? json({ bssid, rekeyStarted: true }) : line`group key rekey started on ${bssid}`);
    }),
};
