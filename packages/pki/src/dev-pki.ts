/**
 * The development PKI directory: one root CA, one intermediate CA per certificate role
 * under it (DESIGN.md "Security", "Roles": agent, operator, station, authenticator,
 * radius; each marked `urn:airlock:ca:<role>`), and the certificates a local airlock
 * deployment needs (FreeRADIUS server, authenticator gRPC server, agents, EAP-TLS stations,
 * operators), each issued by its role's intermediate and marked `urn:airlock:<role>:<CN>`.
 * A leaf's .pem file holds the chain a TLS peer sends: the certificate, then its
 * intermediate; ca.pem is the root alone (the trust anchor).
 * Idempotent: an existing root is reused, and so is every intermediate and certificate in
 * the directory that still fits (issued by its CA, same name, usage, SANs and role mark,
 * key matches, not about to expire); anything else is (re)issued — so a directory of an
 * older layout (leaves issued by the root, no marks) is brought up to this one.
 */
import { X509Certificate } from 'node:crypto';
import { chmodSync, existsSync, mkdirSync, readFileSync, renameSync, statSync, unlinkSync, writeFileSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { createCa, extendedKeyUsageOid, issueCertificate, issueIntermediateCa, keyMatchesCertificate, PkiError, type CertificateUsage, type Pem } from './certificates.js';
import { CERTIFICATE_ROLES, issuerMark, roleMark, type CertificateRole } from './roles.js';

/** Paths of a certificate and its key. */
export interface PemPaths {
  cert: string;
  key: string;
}

/** What happened to one file in {@link writeDevPki}. */
export interface PkiFileResult {
  path: string;
  action: 'created' | 'reissued' | 'kept';
}

/** The files of a development PKI directory (absolute paths). */
export interface DevPkiLayout {
  dir: string;
  /** The root CA (ca.pem is the trust anchor every party is given). */
  ca: PemPaths;
  /** The intermediate CA of each role (ca-ROLE.pem, .key). */
  issuers: Record<CertificateRole, PemPaths>;
  /** FreeRADIUS's EAP server certificate (CN radius-server). */
  radiusServer: PemPaths;
  /** The authenticator's gRPC server certificate (SAN localhost, 127.0.0.1). */
  authenticator: PemPaths;
  /** The authenticator's client certificate towards RadSec servers (RFC 6614: mutual TLS), issued by the authenticator CA. */
  radsecClient: PemPaths;
  /** Agent client certificates by agent id (CN = id); the .pem holds the certificate and the agent CA. */
  agents: Record<string, PemPaths>;
  /** Station (EAP-TLS) client certificates by name (CN = name). */
  stations: Record<string, PemPaths>;
  /** Operator (Admin API) client certificates by name (CN = name). */
  operators: Record<string, PemPaths>;
  /** Every file this call looked at, in order, and what it did with it. */
  files: PkiFileResult[];
}

/** Options of {@link writeDevPki}. */
export interface DevPkiOptions {
  stations?: string[];
  agents?: string[];
  /** More DNS names of the authenticator's certificate (besides localhost): the host agents dial. */
  serverNames?: string[];
  /** Operator client certificates (CN = name) for the Admin API: operator-NAME.pem/.key. */
  operators?: string[];
  /** RSA modulus size of keys created by this call; default 2048. */
  keyBits?: number;
  /** Mode of the directory when this call creates it; default 0o700. An existing directory keeps its mode. */
  dirMode?: number;
  /** Mode of private key files; default 0o600. */
  keyMode?: number;
  /** Mode of certificate files; default 0o644. */
  certMode?: number;
}

/** Agent ids and station names become file names and CNs: keep them to a safe alphabet. */
const NAME = /^[A-Za-z0-9][A-Za-z0-9._-]{0,63}$/;
/** A certificate expiring sooner than this is reissued. */
const RENEW_BEFORE_MS = 24 * 3600 * 1000;

/** True when `name` can be an agent id or station name in a dev PKI. */
export function isValidPkiName(name: string): boolean {
  return NAME.test(name);
}

/** Writes (or completes) a development PKI in `dir`; see the module comment. */
export function writeDevPki(dir: string, opts: DevPkiOptions = {}): DevPkiLayout {
  const root = resolve(dir);
  const agents = unique(opts.agents ?? []);
  const stations = unique(opts.stations ?? []);
  const operators = unique(opts.operators ?? []);
  for (const n of [...agents, ...stations, ...operators]) {
    if (!isValidPkiName(n)) throw new PkiError('invalid-name', `invalid agent/station name ${JSON.stringify(n)}: use 1-64 of A-Z a-z 0-9 . _ - (not starting with . _ -)`);
  }
  const modes = { key: opts.keyMode ?? 0o600, cert: opts.certMode ?? 0o644 };
  const files: PkiFileResult[] = [];
  io(`cannot create ${root}`, () => {
    if (!existsSync(root)) mkdirSync(root, { recursive: true, mode: opts.dirMode ?? 0o700 });
    else if (!statSync(root).isDirectory()) throw new PkiError('io', `${root} exists and is not a directory`);
  });

  const ca: PemPaths = { cert: join(root, 'ca.pem'), key: join(root, 'ca.key') };
  const caPem = loadOrCreateCa(ca, opts.keyBits, modes, files);
  const caX509 = new X509Certificate(caPem.cert);

  const issuers = {} as Record<CertificateRole, PemPaths>;
  const issuerPems = {} as Record<CertificateRole, Pem>;
  for (const role of CERTIFICATE_ROLES) {
    issuers[role] = { cert: join(root, `ca-${role}.pem`), key: join(root, `ca-${role}.key`) };
    issuerPems[role] = ensureIntermediate(issuers[role], role, caPem, caX509, opts.keyBits, modes, files);
  }

  const leaf = (base: string, role: CertificateRole, spec: Omit<LeafSpec, 'uris'>): PemPaths => {
    const paths = { cert: join(root, `${base}.pem`), key: join(root, `${base}.key`) };
    ensureLeaf(paths, { ...spec, uris: [roleMark(role, spec.commonName)] }, issuerPems[role], opts.keyBits, modes, files);
    return paths;
  };
  const radiusServer = leaf('radius-server', 'radius', { commonName: 'radius-server', usage: 'server', dnsNames: ['radius-server', 'localhost'], ipAddresses: [] });
  const authenticator = leaf('authenticator', 'authenticator', { commonName: 'authenticator', usage: 'server', dnsNames: unique(['localhost', ...(opts.serverNames ?? [])]), ipAddresses: ['127.0.0.1'] });
  const client = { usage: 'client', dnsNames: [], ipAddresses: [] } as const;
  const radsecClient = leaf('authenticator-radsec', 'authenticator', { ...client, commonName: 'authenticator' });
  const agentPaths: Record<string, PemPaths> = {};
  for (const id of agents) agentPaths[id] = leaf(`agent-${id}`, 'agent', { ...client, commonName: id });
  const stationPaths: Record<string, PemPaths> = {};
  for (const name of stations) stationPaths[name] = leaf(`station-${name}`, 'station', { ...client, commonName: name });
  const operatorPaths: Record<string, PemPaths> = {};
  for (const name of operators) operatorPaths[name] = leaf(`operator-${name}`, 'operator', { ...client, commonName: name });
  return { dir: root, ca, issuers, radiusServer, authenticator, radsecClient, agents: agentPaths, stations: stationPaths, operators: operatorPaths, files };
}

interface LeafSpec {
  commonName: string;
  usage: CertificateUsage;
  dnsNames: readonly string[];
  ipAddresses: readonly string[];
  /** The role mark. */
  uris: string[];
}

/** The CN of the intermediate CA of `role` in a development PKI. */
export function devIssuerName(role: CertificateRole): string {
  return `airlock development ${role} CA`;
}

interface Modes {
  key: number;
  cert: number;
}

function loadOrCreateCa(paths: PemPaths, keyBits: number | undefined, modes: Modes, files: PkiFileResult[]): Pem {
  const haveCert = existsSync(paths.cert);
  const haveKey = existsSync(paths.key);
  if (haveCert !== haveKey) {
    throw new PkiError('incomplete-ca', `${haveCert ? paths.cert : paths.key} exists without ${haveCert ? paths.key : paths.cert}: restore it or remove both to create a new CA`);
  }
  if (haveCert) {
    const pem = { cert: read(paths.cert), key: read(paths.key) };
    let x: X509Certificate;
    try {
      x = new X509Certificate(pem.cert);
    } catch (err) {
      throw new PkiError('invalid-ca', `${paths.cert} is not a PEM certificate`, { cause: err });
    }
    if (!x.ca) throw new PkiError('invalid-ca', `${paths.cert} is not a CA certificate`);
    if (!keyMatchesCertificate(pem.cert, pem.key)) throw new PkiError('invalid-ca', `${paths.key} is not the key of ${paths.cert}`);
    if (Date.parse(x.validTo) < Date.now()) throw new PkiError('invalid-ca', `${paths.cert} expired on ${x.validTo}: remove the directory's ca.pem and ca.key to start a new CA`);
    io(`cannot chmod ${paths.key}`, () => chmodSync(paths.key, modes.key));
    files.push({ path: paths.cert, action: 'kept' }, { path: paths.key, action: 'kept' });
    return pem;
  }
  const pem = createCa(keyBits === undefined ? {} : { keyBits });
  writeAtomic(paths.key, pem.key, modes.key);
  writeAtomic(paths.cert, pem.cert, modes.cert);
  files.push({ path: paths.cert, action: 'created' }, { path: paths.key, action: 'created' });
  return pem;
}

/** The role's intermediate CA: kept when it still fits, else (re)issued by the root. */
function ensureIntermediate(paths: PemPaths, role: CertificateRole, root: Pem, rootX509: X509Certificate, keyBits: number | undefined, modes: Modes, files: PkiFileResult[]): Pem {
  const existed = existsSync(paths.cert) || existsSync(paths.key);
  if (existsSync(paths.cert) && existsSync(paths.key)) {
    const pem = { cert: read(paths.cert), key: read(paths.key) };
    if (intermediateFits(pem, role, rootX509)) {
      io(`cannot chmod ${paths.key}`, () => chmodSync(paths.key, modes.key));
      files.push({ path: paths.cert, action: 'kept' }, { path: paths.key, action: 'kept' });
      return pem;
    }
  }
  const pem = issueIntermediateCa(root, { commonName: devIssuerName(role), uris: [issuerMark(role)], ...(keyBits === undefined ? {} : { keyBits }) });
  writeAtomic(paths.key, pem.key, modes.key);
  writeAtomic(paths.cert, pem.cert, modes.cert);
  const action = existed ? 'reissued' : 'created';
  files.push({ path: paths.cert, action }, { path: paths.key, action });
  return pem;
}

function intermediateFits(pem: Pem, role: CertificateRole, rootX509: X509Certificate): boolean {
  let x: X509Certificate;
  try {
    x = new X509Certificate(pem.cert);
  } catch {
    return false;
  }
  if (!x.ca || !x.checkIssued(rootX509) || !x.verify(rootX509.publicKey)) return false;
  if (Date.parse(x.validTo) - Date.now() < RENEW_BEFORE_MS) return false;
  if (subjectCommonName(x) !== devIssuerName(role) || x.subjectAltName !== `URI:${issuerMark(role)}`) return false;
  return keyMatchesCertificate(pem.cert, pem.key);
}

function ensureLeaf(paths: PemPaths, spec: LeafSpec, issuer: Pem, keyBits: number | undefined, modes: Modes, files: PkiFileResult[]): void {
  const existed = existsSync(paths.cert) || existsSync(paths.key);
  if (existsSync(paths.cert) && existsSync(paths.key) && leafFits(read(paths.cert), read(paths.key), spec, issuer.cert)) {
    io(`cannot chmod ${paths.key}`, () => chmodSync(paths.key, modes.key));
    files.push({ path: paths.cert, action: 'kept' }, { path: paths.key, action: 'kept' });
    return;
  }
  const pem = issueCertificate(issuer, { ...spec, dnsNames: [...spec.dnsNames], ipAddresses: [...spec.ipAddresses], ...(keyBits === undefined ? {} : { keyBits }) });
  writeAtomic(paths.key, pem.key, modes.key);
  writeAtomic(paths.cert, chainPem(pem.cert, issuer.cert), modes.cert);
  const action = existed ? 'reissued' : 'created';
  files.push({ path: paths.cert, action }, { path: paths.key, action });
}

/** A certificate followed by its issuer: what a TLS peer sends (RFC 8446 §4.4.2). */
export function chainPem(certPem: string, issuerPem: string): string {
  return `${certPem.trimEnd()}\n${issuerPem.trimEnd()}\n`;
}

/**
 * True when an existing certificate file can stay: it is the chain of a certificate issued
 * by this issuer with the same name, usage, SANs (role mark included) and key, not about to
 * expire, followed by this issuer's certificate.
 */
function leafFits(certPem: string, keyPem: string, spec: LeafSpec, issuerPem: string): boolean {
  let x: X509Certificate;
  let issuer: X509Certificate;
  try {
    x = new X509Certificate(certPem);
    issuer = new X509Certificate(issuerPem);
  } catch {
    return false;
  }
  if (!x.checkIssued(issuer) || !x.verify(issuer.publicKey)) return false;
  if (Date.parse(x.validTo) - Date.now() < RENEW_BEFORE_MS) return false;
  if (subjectCommonName(x) !== spec.commonName) return false;
  if (!(x.keyUsage ?? []).includes(extendedKeyUsageOid(spec.usage))) return false;
  const wantSans = [...spec.dnsNames.map((d) => `DNS:${d}`), ...spec.ipAddresses.map((i) => `IP Address:${i}`), ...spec.uris.map((u) => `URI:${u}`)].sort();
  const haveSans = (x.subjectAltName ?? '').split(', ').filter((s) => s !== '').sort();
  if (wantSans.join('\n') !== haveSans.join('\n')) return false;
  // The file must be the chain: this certificate, then the issuer (an older layout had the leaf alone).
  const blocks = certPem.match(/-----BEGIN CERTIFICATE-----[^-]+-----END CERTIFICATE-----/g) ?? [];
  if (blocks.length !== 2 || !new X509Certificate(blocks[1]).raw.equals(issuer.raw)) return false;
  return keyMatchesCertificate(certPem, keyPem);
}

/** The CN of a certificate's subject, or undefined. */
export function subjectCommonName(x: X509Certificate): string | undefined {
  for (const line of x.subject.split('\n')) if (line.startsWith('CN=')) return line.slice(3);
  return undefined;
}

function writeAtomic(path: string, data: string, mode: number): void {
  const tmp = `${path}.tmp-${process.pid}`;
  io(`cannot write ${path}`, () => {
    try {
      writeFileSync(tmp, data, { mode, flag: 'wx' });
      chmodSync(tmp, mode); // the umask may have narrowed `mode`
      renameSync(tmp, path);
    } catch (err) {
      try {
        unlinkSync(tmp);
      } catch {
        // nothing to remove
      }
      throw err;
    }
  });
}

function read(path: string): string {
  return io(`cannot read ${path}`, () => readFileSync(path, 'utf8'));
}

function io<T>(what: string, f: () => T): T {
  try {
    return f();
  } catch (err) {
    if (err instanceof PkiError) throw err;
    throw new PkiError('io', `${what}: ${(err as Error).message}`, { cause: err });
  }
}

function unique(xs: string[]): string[] {
  return [...new Set(xs)];
}
