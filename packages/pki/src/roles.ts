/**
 * Certificate roles (DESIGN.md "Security", "Roles"): trusting a CA is not enough. Every
 * certificate of an airlock PKI says what it is for in a subjectAltName URI (RFC 5280
 * §4.2.1.6), `urn:airlock:<role>:<ID>` on a leaf (ID = its CN) and `urn:airlock:ca:<role>`
 * on the intermediate CA that issues that role; and each role has its own intermediate
 * under one root. A server checks both: the mark, and that the certificate was issued by
 * the role's intermediate.
 *
 * No node-forge here: this module reads certificates with node:crypto only, so servers can
 * import it (`@airlock/pki/roles`) without loading the certificate builder.
 */
import { X509Certificate } from 'node:crypto';

/** What a certificate is for. */
export type CertificateRole = 'agent' | 'operator' | 'station' | 'authenticator' | 'radius';

/** Every role, in the order a PKI directory lists them. */
export const CERTIFICATE_ROLES: readonly CertificateRole[] = ['agent', 'operator', 'station', 'authenticator', 'radius'];

/** The URN namespace of role marks. */
const MARK_PREFIX = 'urn:airlock:';
/** The "role" of an intermediate CA's mark: `urn:airlock:ca:<role it issues>`. */
const CA_MARK = 'ca';
/** IDs in marks: the alphabet of agent ids and station names (dev-pki NAME), plus nothing that could split a SAN list. */
const MARK_ID = /^[A-Za-z0-9][A-Za-z0-9._-]{0,63}$/;

/** The subjectAltName URI marking a leaf certificate as `role` with identity `id`. */
export function roleMark(role: CertificateRole, id: string): string {
  if (!MARK_ID.test(id)) throw new RangeError(`role mark ID ${JSON.stringify(id)}: use 1-64 of A-Z a-z 0-9 . _ - (not starting with . _ -)`);
  return `${MARK_PREFIX}${role}:${id}`;
}

/** The subjectAltName URI marking an intermediate CA as the issuer of `role` certificates. */
export function issuerMark(role: CertificateRole): string {
  return `${MARK_PREFIX}${CA_MARK}:${role}`;
}

/** A role mark read from a certificate. */
export type RoleMark = { kind: 'leaf'; role: CertificateRole; id: string } | { kind: 'issuer'; role: CertificateRole };

/** What a certificate's marks say: one mark, none, or something that is not one clear mark. */
export type MarkReading = { ok: true; mark: RoleMark } | { ok: false; problem: 'none' | 'several' | 'malformed'; detail: string };

function isRole(s: string): s is CertificateRole {
  return (CERTIFICATE_ROLES as readonly string[]).includes(s);
}

/**
 * The role mark of a certificate. Anything naming the airlock URN namespace that is not
 * exactly one well-formed mark (two marks, an unknown role, a quoted or oddly cased URI) is
 * not a mark: the caller refuses the certificate rather than guess.
 */
export function readRoleMark(cert: X509Certificate): MarkReading {
  const san = cert.subjectAltName ?? '';
  // node:crypto lists SAN entries as "TYPE:value" joined by ", " and JSON-quotes a value that
  // holds a separator; the namespace is case-insensitive (RFC 8141), so look for it that way.
  const mentions = san.toLowerCase().split(MARK_PREFIX).length - 1;
  if (mentions === 0) return { ok: false, problem: 'none', detail: 'no urn:airlock: role mark in subjectAltName' };
  if (mentions > 1) return { ok: false, problem: 'several', detail: 'more than one urn:airlock: mark in subjectAltName' };
  const entry = san.split(', ').find((e) => e.toLowerCase().includes(MARK_PREFIX)) ?? '';
  const m = /^URI:urn:airlock:([a-z]+):(.+)$/.exec(entry);
  if (m === null) return { ok: false, problem: 'malformed', detail: `malformed role mark ${JSON.stringify(entry.slice(0, 100))}` };
  const [, first, rest] = m;
  if (first === CA_MARK) {
    if (isRole(rest)) return { ok: true, mark: { kind: 'issuer', role: rest } };
  } else if (isRole(first) && MARK_ID.test(rest)) {
    return { ok: true, mark: { kind: 'leaf', role: first, id: rest } };
  }
  return { ok: false, problem: 'malformed', detail: `malformed role mark ${JSON.stringify(entry.slice(0, 100))}` };
}

/** The CN of a certificate's subject, when it has exactly one. */
export function commonNameOf(x: X509Certificate): string | undefined {
  const cns = x.subject.split('\n').filter((l) => l.startsWith('CN='));
  return cns.length === 1 ? cns[0].slice(3) : undefined;
}

/** Why a client certificate is not one of `role`, or who it is. */
export type RoleVerdict =
  | { ok: true; id: string }
  | {
      ok: false;
      /** Short, for a metric label: wrong-role (another role's mark or issuer), no-mark, bad-mark, mark-cn-mismatch, wrong-issuer, unreadable. */
      reason: 'wrong-role' | 'no-mark' | 'bad-mark' | 'mark-cn-mismatch' | 'wrong-issuer' | 'unreadable';
      /** One sentence for a log line: what the certificate is, and why it is refused. */
      detail: string;
      /** The role its mark names, when it has one. */
      markedAs?: string;
      cn?: string;
    };

/**
 * Checks that a client certificate (DER, as the TLS stack verified it) is a `role`
 * certificate: its one mark is `urn:airlock:<role>:<ID>` with ID equal to its CN, and it
 * was issued (name, key identifier and signature) by `issuer`, the role's intermediate.
 */
export function verifyRole(der: Buffer | X509Certificate, role: CertificateRole, issuer: X509Certificate): RoleVerdict {
  let x: X509Certificate;
  try {
    x = der instanceof X509Certificate ? der : new X509Certificate(der);
  } catch {
    return { ok: false, reason: 'unreadable', detail: 'the certificate cannot be parsed' };
  }
  const cn = commonNameOf(x);
  const mark = readRoleMark(x);
  if (!mark.ok) {
    return mark.problem === 'none'
      ? { ok: false, reason: 'no-mark', detail: `no role mark, not ${role}`, cn }
      : { ok: false, reason: 'bad-mark', detail: `${mark.detail}, not ${role}`, cn };
  }
  if (mark.mark.kind === 'issuer') return { ok: false, reason: 'wrong-role', detail: `a CA certificate (issuer of ${mark.mark.role}), not ${role}`, markedAs: `ca:${mark.mark.role}`, cn };
  if (mark.mark.role !== role) return { ok: false, reason: 'wrong-role', detail: `role ${mark.mark.role}, not ${role}`, markedAs: mark.mark.role, cn };
  if (cn !== mark.mark.id) return { ok: false, reason: 'mark-cn-mismatch', detail: `its mark names ${JSON.stringify(mark.mark.id)} but its CN is ${JSON.stringify(cn ?? '')}`, markedAs: role, cn };
  if (!x.checkIssued(issuer) || !x.verify(issuer.publicKey)) {
    return { ok: false, reason: 'wrong-issuer', detail: `marked ${role} but issued by ${JSON.stringify(x.issuer.replaceAll('\n', ', '))}, not by the ${role} CA ${JSON.stringify(issuer.subject.replaceAll('\n', ', '))}`, markedAs: role, cn };
  }
  return { ok: true, id: mark.mark.id };
}

/**
 * Why a TLS server's certificate (DER) is not one of `role`, or undefined when it is: the
 * client's side of the roles (an agent or the CLI dialling the authenticator), which has the
 * root CA but not the server's intermediate, so it checks the mark: exactly one, naming
 * `role` and the certificate's own CN.
 */
export function serverRoleProblem(der: Buffer, role: CertificateRole): string | undefined {
  let x: X509Certificate;
  try {
    x = new X509Certificate(der);
  } catch {
    return 'the certificate cannot be parsed';
  }
  const m = readRoleMark(x);
  if (!m.ok) return m.problem === 'none' ? `no role mark, not ${role}` : `${m.detail}, not ${role}`;
  if (m.mark.kind === 'issuer') return `a CA certificate (issuer of ${m.mark.role}), not ${role}`;
  if (m.mark.role !== role) return `role ${m.mark.role}, not ${role}`;
  const cn = commonNameOf(x);
  if (cn !== m.mark.id) return `its mark names ${JSON.stringify(m.mark.id)} but its CN is ${JSON.stringify(cn ?? '')}`;
  return undefined;
}
