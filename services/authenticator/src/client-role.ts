/**
 * Certificate roles at the authenticator's TLS servers (DESIGN.md "Security", "Roles"):
 * trusting the root CA is not enough. AgentLink accepts agent certificates only and the
 * Admin API operator certificates only: a client certificate must carry the role's mark
 * (`urn:airlock:<role>:<ID>`, ID = its CN) and be issued by the role's intermediate CA,
 * configured by path (grpc.tls.agent_ca, admin.tls.operator_ca). The TLS stack has already
 * verified the client's chain to the root (grpc.tls.ca / admin.tls.ca); this checks the
 * leaf against the configured intermediate itself (name, key identifier and signature), so
 * it does not depend on which intermediates the client chose to send.
 */
import { X509Certificate } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { performance } from 'node:perf_hooks';
import type { PeerCertificate } from 'node:tls';
import type { Logger } from 'pino';
import { readRoleMark, verifyRole, type CertificateRole, type RoleVerdict } from '@airlock/pki/roles';
import type { AuthenticatorConfig } from './config.js';
import { RateLimitedLog } from './logging.js';
import { OperatorError } from './operator-error.js';

/** The PEM certificates of a file (a bundle may hold several). */
export function pemCertificates(pem: string): X509Certificate[] {
  const blocks = pem.match(/-----BEGIN CERTIFICATE-----[\s\S]+?-----END CERTIFICATE-----/g) ?? [];
  return blocks.map((b) => new X509Certificate(b));
}

/** One client role a server accepts, and the intermediate CA that issues it. */
export class ClientRole {
  /** Refusal lines per reason and CN: a client retrying in a loop costs a few lines per 10 s. */
  private readonly refusals = new RateLimitedLog({ maxKeys: 1000 });

  private constructor(
    readonly role: CertificateRole,
    /** The role's intermediate CA. */
    readonly issuer: X509Certificate,
    /** Its PEM, added to the server's trusted CAs so a client that sends no chain still verifies. */
    readonly issuerPem: Buffer,
  ) {}

  /**
   * Loads the role's intermediate CA from `issuerPath` (configuration key `issuerKey`) and
   * checks it: a CA certificate, not a root, issued by a certificate of `caPath` (key
   * `caKey`), and not marked as another role's CA. Throws an Error naming the key.
   */
  static load(role: CertificateRole, issuerKey: string, issuerPath: string, caKey: string, caPath: string): ClientRole {
    const read = (key: string, path: string, what: string): Buffer => {
      try {
        return readFileSync(path);
      } catch (e) {
        const code = (e as NodeJS.ErrnoException).code ?? 'error';
        throw new OperatorError(`${key}: cannot read the ${what} ${path} (${code}); \`airlock pki init --dir DIR\` writes ca.pem (the root) and ca-${role}.pem (the ${role} CA)`);
      }
    };
    const issuerPem = read(issuerKey, issuerPath, `${role} CA certificate`);
    let issuer: X509Certificate;
    let roots: X509Certificate[];
    try {
      const first = pemCertificates(issuerPem.toString('utf8'))[0];
      if (first === undefined) throw new Error('no PEM certificate');
      issuer = first;
      roots = pemCertificates(read(caKey, caPath, 'CA certificate').toString('utf8'));
    } catch (e) {
      throw new OperatorError(`${issuerKey}: ${e instanceof Error ? e.message : String(e)} (${issuerPath}, ${caPath}: PEM expected)`);
    }
    if (!issuer.ca) throw new OperatorError(`${issuerKey}: ${issuerPath} is not a CA certificate: give the intermediate CA that issues ${role} certificates`);
    if (issuer.checkIssued(issuer)) throw new OperatorError(`${issuerKey}: ${issuerPath} is a root CA: give the intermediate CA that issues only ${role} certificates, under the root of ${caKey}`);
    const mark = readRoleMark(issuer);
    if (mark.ok && (mark.mark.kind !== 'issuer' || mark.mark.role !== role)) {
      throw new OperatorError(`${issuerKey}: ${issuerPath} is marked ${mark.mark.kind === 'issuer' ? `as the ${mark.mark.role} CA` : `as a ${mark.mark.role} certificate`}, not the ${role} CA`);
    }
    if (!roots.some((r) => issuer.checkIssued(r) && issuer.verify(r.publicKey))) {
      throw new OperatorError(`${issuerKey}: ${issuerPath} is not issued by a certificate of ${caKey} (${caPath}): clients of that CA could never be ${role}s`);
    }
    return new ClientRole(role, issuer, issuerPem);
  }

  /** Whether the TLS peer's certificate is one of this role (and then its identity). */
  check(peer: PeerCertificate | undefined): RoleVerdict {
    if (peer?.raw === undefined) return { ok: false, reason: 'unreadable', detail: 'no client certificate' };
    return verifyRole(peer.raw, this.role, this.issuer);
  }

  /** Writes the one warning line of a refusal (rate-limited); `fields` add context such as the peer address. */
  logRefusal(log: Logger, server: string, v: Extract<RoleVerdict, { ok: false }>, fields: Record<string, unknown> = {}): void {
    const key = `${v.reason}\n${v.cn ?? ''}`;
    if (!this.refusals.allow(key, performance.now())) return;
    const suppressed = this.refusals.takeSuppressed(key);
    log.warn({ ...fields, reason: v.reason, cn: v.cn, markedAs: v.markedAs, suppressed: suppressed || undefined }, refusalLine(server, v));
  }
}

/** The intermediate CA whose certificates AgentLink accepts (grpc.tls.agent_ca), or undefined in plaintext mode. */
export function agentRoleOf(config: AuthenticatorConfig): ClientRole | undefined {
  const t = config.grpc.tls;
  return config.grpc.plaintext ? undefined : ClientRole.load('agent', 'grpc.tls.agent_ca', t.agentCa, 'grpc.tls.ca', t.ca);
}

/** The intermediate CA whose certificates the Admin API accepts over TCP (admin.tls.operator_ca). */
export function operatorRoleOf(config: AuthenticatorConfig): ClientRole {
  const t = config.admin.tls;
  return ClientRole.load('operator', 'admin.tls.operator_ca', t.operatorCa, 'admin.tls.ca', t.ca);
}

/** The one log line of a refused certificate: "<server> refused a client certificate: <why> (CN x)". */
export function refusalLine(server: string, v: Extract<RoleVerdict, { ok: false }>): string {
  return `${server} refused a client certificate: ${v.detail} (CN ${v.cn === undefined ? 'none' : JSON.stringify(v.cn).slice(1, -1).slice(0, 64)})`;
}

/** The metric reason label of a refused certificate (airlock_agent_protocol_errors_total). */
export function refusalReason(v: Extract<RoleVerdict, { ok: false }>): string {
  if (v.reason === 'unreadable') return 'no_client_identity';
  return v.reason === 'wrong-role' ? 'wrong_certificate_role' : `certificate_${v.reason.replaceAll('-', '_')}`;
}
