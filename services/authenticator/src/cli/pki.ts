/**
 * `airlock pki`: the development PKI (DESIGN.md "Security", "Roles"): a root CA, one
 * intermediate CA per certificate role, the RADIUS server and authenticator certificates,
 * and agent, station and operator client certificates, via @airlock/pki.
 */
import { isValidPkiName, PkiError, writeDevPki, type DevPkiLayout } from '@airlock/pki';
import { CommandFailure, parseFlags, UsageError, type CliIo, type Command } from './command.js';

const INIT_USAGE = 'airlock pki init --dir DIR [--agent ID ...] [--station NAME ...] [--operator NAME ...] [--server-name NAME ...] [--key-bits N]';

const HELP = `usage: ${INIT_USAGE}

Creates, or completes, a development PKI in DIR (created 0700 if missing):
  ca.pem, ca.key                    the root CA, the trust anchor (reused when DIR has one)
  ca-ROLE.pem, .key                 the intermediate CA of each role (agent, operator, station,
                                    authenticator, radius), marked urn:airlock:ca:ROLE; a
                                    certificate of one role is never accepted as another
  radius-server.pem, .key           FreeRADIUS EAP server (CN radius-server)
  authenticator.pem, .key           authenticator gRPC server (SAN localhost, 127.0.0.1 and
                                    each --server-name: the name agents dial, e.g. in compose)
  authenticator-radsec.pem, .key    the authenticator's client certificate towards RadSec
                                    servers (radius.servers[].tls.cert / key); a RadSec
                                    server trusts ca-authenticator.pem for its clients
  agent-ID.pem, .key                agent client certificate (CN ID), one per --agent
  station-NAME.pem, .key            EAP-TLS station certificate (CN NAME), one per --station
  operator-NAME.pem, .key           Admin API client certificate (CN NAME), one per --operator
                                    (the name goes into the authenticator's admin.operators)
Each certificate is issued by its role's CA and marked with a subjectAltName URI
urn:airlock:ROLE:CN; its .pem holds the certificate followed by that CA (the chain a TLS
peer sends). The authenticator takes ca.pem as grpc.tls.ca, ca-agent.pem as
grpc.tls.agent_ca and ca-operator.pem as admin.tls.operator_ca; FreeRADIUS accepts EAP-TLS
from the station CA only (check_cert_issuer).
Keys are 0600. Certificates that still fit are kept; missing or stale ones (also those of
an older layout without role CAs) are (re)issued.
Prints one line per file: created, reissued or kept, and its path.
--key-bits N   RSA size of new keys (default 2048; FreeRADIUS needs at least 2048)`;

/** The `pki` subcommand. */
export const pkiCommand: Command = {
  name: 'pki',
  summary: 'create a development CA and the certificates of a deployment',
  help: HELP,
  run(args: string[], io: CliIo): void {
    const [sub, ...rest] = args;
    switch (sub) {
      case 'init':
        return pkiInit(rest, io);
      case undefined:
        throw new UsageError(`missing subcommand (usage: ${INIT_USAGE})`);
      case '--help':
      case '-h':
      case 'help':
        io.out(HELP);
        return;
      default:
        throw new UsageError(`unknown subcommand '${sub}' (usage: ${INIT_USAGE})`);
    }
  },
};

function pkiInit(args: string[], io: CliIo): void {
  const { values, positionals } = parseFlags(args, {
    dir: { type: 'string' },
    agent: { type: 'string', multiple: true },
    station: { type: 'string', multiple: true },
    operator: { type: 'string', multiple: true },
    'server-name': { type: 'string', multiple: true },
    'key-bits': { type: 'string' },
    help: { type: 'boolean', short: 'h' },
  });
  if (values.help === true) {
    io.out(HELP);
    return;
  }
  if (positionals.length > 0) throw new UsageError(`unexpected argument '${positionals[0]}' (usage: ${INIT_USAGE})`);
  if (values.dir === undefined || values.dir === '') throw new UsageError(`--dir is required (usage: ${INIT_USAGE})`);
  const agents = values.agent ?? [];
  const stations = values.station ?? [];
  const operators = values.operator ?? [];
  for (const [flag, name] of [...agents.map((a) => ['--agent', a] as const), ...stations.map((s) => ['--station', s] as const), ...operators.map((o) => ['--operator', o] as const)]) {
    if (!isValidPkiName(name)) throw new UsageError(`${flag} ${JSON.stringify(name)}: use 1-64 of A-Z a-z 0-9 . _ - (not starting with . _ -)`);
  }
  const serverNames = values['server-name'] ?? [];
  for (const n of serverNames) {
    if (!/^[A-Za-z0-9]([A-Za-z0-9.-]{0,251}[A-Za-z0-9])?$/.test(n)) throw new UsageError(`--server-name ${JSON.stringify(n)}: a DNS name (letters, digits, '.', '-')`);
  }
  let keyBits: number | undefined;
  if (values['key-bits'] !== undefined) {
    keyBits = Number(values['key-bits']);
    if (!/^\d+$/.test(values['key-bits']) || keyBits < 2048 || keyBits > 8192) throw new UsageError(`--key-bits must be an integer in 2048..8192, not '${values['key-bits']}'`);
  }
  let layout: DevPkiLayout;
  try {
    layout = writeDevPki(values.dir, { agents, stations, operators, serverNames, ...(keyBits === undefined ? {} : { keyBits }) });
  } catch (err) {
    if (err instanceof PkiError) throw new CommandFailure(err.message, { cause: err });
    throw err;
  }
  for (const f of layout.files) io.out(`${f.action.padEnd(8)} ${f.path}`);
}
