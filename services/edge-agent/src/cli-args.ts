/**
 * The edge agent's command line, shared by its mains: parseArgs with its errors as one
 * line (never a stack trace), and the text of --help and --version.
 */
import { readFileSync } from 'node:fs';
import { parseArgs, type ParseArgsConfig } from 'node:util';
import { escapeControls } from '@airlock/log-limit';

/** The version of @airlock/edge-agent (its package.json, next to dist/). */
export const AGENT_VERSION: string = (JSON.parse(readFileSync(new URL('../package.json', import.meta.url), 'utf8')) as { version: string }).version;

/** `airlock-agent --help`. */
export const AGENT_USAGE = `usage: airlock-agent [--driver sim|wired|nl80211] --agent-id ID [options]

The edge agent: it streams what its radio (or wired port) sees to the authenticator over
AgentLink (gRPC, mTLS) and applies what the authenticator says.

every driver:
  --agent-id ID                 this agent's id (the CN of its certificate)
  --authenticator HOST:PORT     the authenticator's AgentLink address (default 127.0.0.1:50051)
  --pki-dir DIR                 the agent's certificate, key and CA from \`airlock pki init\`
  --tls-ca F --tls-cert F --tls-key F [--tls-server-name N]   the same, file by file
  --plaintext                   no TLS (a trusted network only; the authenticator must allow it)
  --log-level LEVEL             pino level (default info)
  --log-format json|pretty      JSON lines (default) or HH:MM:SS.mmm LEVEL message key=value
                                for a terminal (coloured on a TTY unless NO_COLOR is set)
--driver sim (default): a virtual radio with simulated stations
  --agent-number N --bsses N --stations N --ssid S --passphrase P [--churn]
  [--loss P --delay-ms A-B --duplicate P --reorder P --seed N] [--health-file PATH]
  [--eap ttls-pap --eap-user NAME --eap-password PW --eap-ca FILE [--eap-server-name N]]
--driver wired: IEEE 802.1X on wired ports (libpcap: Debian package libpcap-dev)
  --port IFACE:ssid=NAME[,...]  (repeatable)  [--static-rejoin-ms MS]
--driver nl80211: an access point on a Linux Wi-Fi radio (mac80211)
  --radio IFACE:ssid=NAME,akm=psk|8021x,channel=N[,...]  (repeatable)

  --help, -h                    this text        --version   the agent's version`;

/** Exits 0 after printing the help or the version when the command line asks for one. */
export function helpOrVersion(argv: readonly string[]): void {
  if (argv.includes('--help') || argv.includes('-h')) {
    process.stdout.write(`${AGENT_USAGE}\n`);
    process.exit(0);
  }
  if (argv.includes('--version')) {
    process.stdout.write(`airlock-agent ${AGENT_VERSION}\n`);
    process.exit(0);
  }
}

/** The default AgentLink port (the authenticator's grpc.listen default). */
export const AGENT_LINK_PORT = 50051;

/**
 * --authenticator HOST:PORT (an IPv6 address in brackets): the host and port, or a
 * one-line reason with the fix (exit 2 at the caller).
 */
export function authenticatorTarget(s: string): { host: string; port: number } | { problem: string } {
  const v6 = /^\[([0-9A-Fa-f:.]+)\](?::(\d*))?$/.exec(s);
  const plain = /^([^\s:[\]]+)(?::(\d*))?$/.exec(s);
  const m = v6 ?? plain;
  if (m === null) {
    if (/^[0-9A-Fa-f]*:[0-9A-Fa-f:.]*$/.test(s)) return { problem: `--authenticator ${JSON.stringify(s)}: put an IPv6 address in brackets, with the port after it: [${s}]:${AGENT_LINK_PORT}` };
    return { problem: `--authenticator ${JSON.stringify(s)}: expected HOST:PORT, e.g. controller.example:${AGENT_LINK_PORT}` };
  }
  const host = m[1];
  const shown = escapeControls(v6 !== null ? `[${host}]` : host);
  if (m[2] === undefined || m[2] === '') return { problem: `--authenticator ${shown} has no port: give HOST:PORT, e.g. ${shown}:${AGENT_LINK_PORT} (the authenticator's grpc.listen port)` };
  const port = Number(m[2]);
  if (!Number.isInteger(port) || port < 1 || port > 65535) return { problem: `--authenticator ${shown}:${m[2]}: the port must be 1..65535 (the authenticator's grpc.listen port, ${AGENT_LINK_PORT} by default)` };
  return { host, port };
}

/** parseArgs over process.argv; an unknown option or a missing value ends the process with one line (exit 2). */
export function parseAgentArgs<T extends ParseArgsConfig['options']>(options: T, fail: (text: string) => never): ReturnType<typeof parseArgs<{ options: T }>>['values'] {
  try {
    return parseArgs({ options }).values;
  } catch (err) {
    const e = err as { code?: string; message?: string };
    const unknown = /Unknown option '([^']+)'/.exec(e.message ?? '');
    if (e.code === 'ERR_PARSE_ARGS_UNKNOWN_OPTION' && unknown !== null) fail(`unknown option ${unknown[1]} (airlock-agent --help lists them)`);
    fail(`${(e.message ?? String(err)).split('. ')[0]} (airlock-agent --help lists the options)`);
  }
}
