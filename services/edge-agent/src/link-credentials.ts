/**
 * The agent's side of AgentLink security (DESIGN.md "Security"): mTLS by default, with the
 * root CA the authenticator's certificate chain leads to, and the agent's own certificate
 * and key: an agent certificate (issued by the agent CA, marked urn:airlock:agent:<CN>; the
 * authenticator refuses any other role), whose CN is the agent's identity. Its file holds
 * the chain, the certificate then the agent CA, as `airlock pki init` writes it, and that
 * chain is what the agent sends. The other way round, the server must be an authenticator:
 * besides its name, its certificate must carry the mark urn:airlock:authenticator:<CN> (a
 * RADIUS server's certificate of the same root, or any other role's, is refused).
 * Plaintext only when asked for explicitly.
 *
 * Command-line options shared by every driver's CLI, each with an environment variable
 * (for containers): --tls-ca / AIRLOCK_TLS_CA, --tls-cert / AIRLOCK_TLS_CERT, --tls-key /
 * AIRLOCK_TLS_KEY, --tls-server-name / AIRLOCK_TLS_SERVER_NAME (the name the
 * authenticator's certificate must carry, when it is not the host dialled), --pki-dir /
 * AIRLOCK_PKI_DIR (a directory written by `airlock pki init`: ca.pem, agent-<id>.pem,
 * agent-<id>.key), --plaintext / AIRLOCK_PLAINTEXT=1.
 */
import { X509Certificate } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { checkServerIdentity, type PeerCertificate } from 'node:tls';
import * as grpc from '@grpc/grpc-js';
import { serverRoleProblem } from '@airlock/pki/roles';

/** The parseArgs options of the link (merge them into a CLI's own). */
export const LINK_CLI_OPTIONS = {
  'tls-ca': { type: 'string' },
  'tls-cert': { type: 'string' },
  'tls-key': { type: 'string' },
  'tls-server-name': { type: 'string' },
  'pki-dir': { type: 'string' },
  plaintext: { type: 'boolean', default: false },
} as const;

/** Values of LINK_CLI_OPTIONS as parseArgs returns them. */
export interface LinkCliValues {
  'tls-ca'?: string;
  'tls-cert'?: string;
  'tls-key'?: string;
  'tls-server-name'?: string;
  'pki-dir'?: string;
  plaintext?: boolean;
}

/** The agent's TLS files, read (for the startup check of the authenticator: link-probe.ts). */
export interface AgentTlsFiles {
  ca: Buffer;
  cert: Buffer;
  key: Buffer;
  /** --tls-server-name: the name the authenticator's certificate carries, when not the host dialled. */
  serverName: string | undefined;
}

/** How the agent reaches the authenticator. */
export interface AgentLinkSecurity {
  credentials: grpc.ChannelCredentials;
  channelOptions: grpc.ChannelOptions;
  /** The CN of the agent's certificate (undefined in plaintext mode). */
  identity: string | undefined;
  plaintext: boolean;
  /** The files behind `credentials` (undefined in plaintext mode). */
  tls: AgentTlsFiles | undefined;
}

/** A file setting and where it came from (the flag, its environment variable, or --pki-dir). */
interface FileSetting {
  path: string;
  from: string;
}

/** A setting from the command line, else the environment. */
function pick(cli: string | undefined, env: string, flag: string): FileSetting | undefined {
  if (cli !== undefined && cli !== '') return { path: cli, from: flag };
  const v = process.env[env];
  return v === undefined || v === '' ? undefined : { path: v, from: env };
}

/**
 * The file of `setting`; an Error naming the file, the flag (or variable) that chose it, and
 * the command that makes one.
 */
function readPem(what: string, setting: FileSetting, agentId: string | undefined): Buffer {
  try {
    return readFileSync(setting.path);
  } catch (e) {
    const code = (e as NodeJS.ErrnoException).code ?? 'error';
    const dir = setting.from.startsWith('--pki-dir') ? setting.from.slice('--pki-dir '.length) : 'DIR';
    const make = `\`airlock pki init --dir ${dir} --agent ${agentId ?? 'ID'}\` writes ca.pem, agent-${agentId ?? 'ID'}.pem and agent-${agentId ?? 'ID'}.key`;
    throw new Error(`${setting.from}: cannot read the ${what} ${setting.path} (${code}); ${make}`);
  }
}

/**
 * The TLS client's check of the server (grpc-js checkServerIdentity): the usual host name
 * check, then the role: an authenticator's certificate (DESIGN.md "Security", "Roles").
 */
export function checkAuthenticatorIdentity(host: string, cert: PeerCertificate): Error | undefined {
  const err = checkServerIdentity(host, cert);
  if (err !== undefined) return err;
  const problem = serverRoleProblem(cert.raw, 'authenticator');
  return problem === undefined ? undefined : new Error(`the server at ${host} is not an authenticator: ${problem}`);
}

/** The CN of a PEM certificate. */
export function commonNameOf(certPem: Buffer): string | undefined {
  const x = new X509Certificate(certPem);
  for (const line of x.subject.split('\n')) if (line.startsWith('CN=')) return line.slice(3);
  return undefined;
}

/**
 * Credentials from the CLI values and the environment. `agentId` (when known) picks the
 * files in --pki-dir. Throws an Error whose message says what is missing.
 */
export function linkSecurity(v: LinkCliValues, agentId: string | undefined): AgentLinkSecurity {
  const plaintext = v.plaintext === true || process.env.AIRLOCK_PLAINTEXT === '1' || process.env.AIRLOCK_PLAINTEXT === 'true';
  if (plaintext) return { credentials: grpc.credentials.createInsecure(), channelOptions: {}, identity: undefined, plaintext, tls: undefined };
  const dir = pick(v['pki-dir'], 'AIRLOCK_PKI_DIR', '--pki-dir');
  let ca = pick(v['tls-ca'], 'AIRLOCK_TLS_CA', '--tls-ca');
  let cert = pick(v['tls-cert'], 'AIRLOCK_TLS_CERT', '--tls-cert');
  let key = pick(v['tls-key'], 'AIRLOCK_TLS_KEY', '--tls-key');
  if (dir !== undefined) {
    const inDir = (file: string): FileSetting => ({ path: join(dir.path, file), from: `${dir.from} ${dir.path}` });
    ca ??= inDir('ca.pem');
    if (agentId !== undefined) {
      cert ??= inDir(`agent-${agentId}.pem`);
      key ??= inDir(`agent-${agentId}.key`);
    }
  }
  const missing = [ca === undefined ? '--tls-ca' : '', cert === undefined ? '--tls-cert' : '', key === undefined ? '--tls-key' : ''].filter((x) => x !== '');
  if (ca === undefined || cert === undefined || key === undefined) {
    throw new Error(`AgentLink uses mTLS: ${missing.join(', ')} missing (or --pki-dir DIR with --agent-id, from \`airlock pki init\`); --plaintext connects without TLS, for a trusted network only`);
  }
  const caPem = readPem('CA certificate', ca, agentId);
  const certPem = readPem('agent certificate', cert, agentId);
  const keyPem = readPem('agent private key', key, agentId);
  let identity: string | undefined;
  try {
    identity = commonNameOf(certPem);
  } catch (e) {
    throw new Error(`${cert.from}: ${cert.path} is not a PEM certificate: ${e instanceof Error ? e.message : String(e)}`);
  }
  if (identity === undefined) throw new Error(`${cert.from}: ${cert.path} has no CN: the authenticator identifies agents by it`);
  const serverName = pick(v['tls-server-name'], 'AIRLOCK_TLS_SERVER_NAME', '--tls-server-name')?.path;
  return {
    credentials: grpc.credentials.createSsl(caPem, keyPem, certPem, { checkServerIdentity: checkAuthenticatorIdentity }),
    channelOptions: serverName === undefined ? {} : { 'grpc.ssl_target_name_override': serverName, 'grpc.default_authority': serverName },
    identity,
    plaintext,
    tls: { ca: caPem, cert: certPem, key: keyPem, serverName },
  };
}
