/**
 * Development X.509 certificates (RFC 5280) made with node-forge: a self-signed CA,
 * intermediate CAs under it (one per certificate role: roles.ts), and server / client
 * certificates they issue for TLS (RFC 8446), the agent link's mTLS and EAP-TLS / PEAP /
 * TTLS on FreeRADIUS (RFC 5216, RFC 9190).
 *
 * Key pairs and signatures come from node:crypto (native: ~50 ms for an RSA-2048 key pair,
 * well under a millisecond per signature; node-forge's pure-JS RSA takes seconds and tens of
 * milliseconds); node-forge builds every certificate (the ASN.1 of RFC 5280).
 */
import { createPrivateKey, createPublicKey, generateKeyPairSync, randomBytes, sign, type KeyObject } from 'node:crypto';
import { isIP } from 'node:net';
import forge from 'node-forge';

/** A certificate and its private key, both PEM (the key as unencrypted PKCS #8). */
export interface Pem {
  cert: string;
  key: string;
}

/** Options of {@link createCa}. */
export interface CaOptions {
  /** Subject CN; default "airlock development CA". */
  commonName?: string;
  /** Validity in days; default 3650. */
  days?: number;
  /** RSA modulus size; default 2048. */
  keyBits?: number;
}

/** Options of {@link issueIntermediateCa}. */
export interface IntermediateCaOptions extends CaOptions {
  commonName: string;
  /** subjectAltName URIs (a role mark: roles.ts issuerMark). */
  uris?: string[];
}

/** What a leaf certificate is for: TLS server (serverAuth) or TLS client (clientAuth). */
export type CertificateUsage = 'server' | 'client';

/** Options of {@link issueCertificate}. */
export interface IssueOptions {
  /** Subject CN: a host name, an agent id, a station identity. */
  commonName: string;
  usage: CertificateUsage;
  /** subjectAltName dNSName entries. */
  dnsNames?: string[];
  /** subjectAltName iPAddress entries (IPv4 or IPv6 text). */
  ipAddresses?: string[];
  /** subjectAltName uniformResourceIdentifier entries (a role mark: roles.ts roleMark). */
  uris?: string[];
  /** Validity in days; default 825. */
  days?: number;
  /** RSA modulus size; default 2048. */
  keyBits?: number;
  /**
   * Certify this existing private key (PEM) instead of making a new key pair: a renewal
   * with the same key, or many certificates for one key (a large simulated fleet).
   */
  key?: string;
}

/** Error codes of {@link PkiError}. */
export type PkiErrorCode = 'invalid-option' | 'invalid-ca' | 'invalid-name' | 'incomplete-ca' | 'io';

/** A PKI operation that cannot be done as asked (bad input or unusable files). */
export class PkiError extends Error {
  override readonly name = 'PkiError';
  constructor(readonly code: PkiErrorCode, message: string, options?: { cause?: unknown }) {
    super(message, options);
  }
}

/** Default RSA modulus size. Debian's OpenSSL (FreeRADIUS) refuses keys under 2048 bits at its default security level. */
export const DEFAULT_KEY_BITS = 2048;
/** Default CA validity in days. */
export const DEFAULT_CA_DAYS = 3650;
/** Default leaf validity in days. */
export const DEFAULT_LEAF_DAYS = 825;
/** The organisation every dev certificate names. */
const ORGANIZATION = 'airlock';
/** notBefore is set this far in the past, for peers whose clocks run slightly behind. */
const BACKDATE_MS = 5 * 60 * 1000;

const OID_SERVER_AUTH = '1.3.6.1.5.5.7.3.1';
const OID_CLIENT_AUTH = '1.3.6.1.5.5.7.3.2';

/** Creates a self-signed CA certificate (basicConstraints CA:true, keyCertSign + cRLSign). */
export function createCa(opts: CaOptions = {}): Pem {
  const commonName = opts.commonName ?? 'airlock development CA';
  checkCommonName(commonName);
  const keys = generateKeys(opts.keyBits ?? DEFAULT_KEY_BITS);
  const cert = forge.pki.createCertificate();
  cert.publicKey = keys.publicKey;
  cert.serialNumber = randomSerial();
  setValidity(cert, opts.days ?? DEFAULT_CA_DAYS);
  const subject = [{ shortName: 'O', value: ORGANIZATION }, { shortName: 'CN', value: commonName }];
  cert.setSubject(subject);
  cert.setIssuer(subject);
  cert.setExtensions([
    { name: 'basicConstraints', cA: true, critical: true },
    { name: 'keyUsage', keyCertSign: true, cRLSign: true, digitalSignature: true, critical: true },
    { name: 'subjectKeyIdentifier' },
  ]);
  const keyPem = privateKeyToPkcs8Pem(keys.privateKey);
  signNatively(cert, createPrivateKey(keyPem));
  return { cert: forge.pki.certificateToPem(cert), key: keyPem };
}

/**
 * Issues an intermediate CA signed by `parent` (basicConstraints CA:true with pathLen 0: it
 * issues leaf certificates only), e.g. the CA of one certificate role under the root.
 */
export function issueIntermediateCa(parent: Pem, opts: IntermediateCaOptions): Pem {
  checkCommonName(opts.commonName);
  const { caCert, caKey } = loadCa(parent);
  const keys = generateKeys(opts.keyBits ?? DEFAULT_KEY_BITS);
  const cert = forge.pki.createCertificate();
  cert.publicKey = keys.publicKey;
  cert.serialNumber = randomSerial();
  setValidity(cert, opts.days ?? DEFAULT_CA_DAYS);
  cert.setSubject([{ shortName: 'O', value: ORGANIZATION }, { shortName: 'CN', value: opts.commonName }]);
  cert.setIssuer(caCert.subject.attributes);
  const extensions: object[] = [
    { name: 'basicConstraints', cA: true, pathLenConstraint: 0, critical: true },
    { name: 'keyUsage', keyCertSign: true, cRLSign: true, digitalSignature: true, critical: true },
    { name: 'subjectKeyIdentifier' },
    authorityKeyIdentifier(caCert),
  ];
  const altNames = uriAltNames(opts.uris ?? []);
  if (altNames.length > 0) extensions.push({ name: 'subjectAltName', altNames });
  cert.setExtensions(extensions);
  signNatively(cert, caKey);
  return { cert: forge.pki.certificateToPem(cert), key: privateKeyToPkcs8Pem(keys.privateKey) };
}

/** The authorityKeyIdentifier extension naming `caCert`'s key. */
function authorityKeyIdentifier(caCert: forge.pki.Certificate): object {
  const caSki = caCert.getExtension('subjectKeyIdentifier') as { subjectKeyIdentifier?: string } | null;
  return {
    name: 'authorityKeyIdentifier',
    // forge's `keyIdentifier: true` would take the subject's key: pass the CA's SKI.
    keyIdentifier: caSki?.subjectKeyIdentifier !== undefined
      ? forge.util.hexToBytes(caSki.subjectKeyIdentifier)
      : caCert.generateSubjectKeyIdentifier().getBytes(),
  };
}

/** subjectAltName uniformResourceIdentifier entries (RFC 5280 §4.2.1.6: an absolute URI). */
function uriAltNames(uris: string[]): { type: number; value: string }[] {
  return uris.map((uri) => {
    if (!/^[a-z][a-z0-9+.-]*:[\x21-\x7e]+$/i.test(uri) || uri.includes(',')) throw new PkiError('invalid-option', `not a URI: ${JSON.stringify(uri)}`);
    return { type: 6, value: uri };
  });
}

/** Issues a TLS server or client certificate signed by `ca`, with a random 126-bit serial. */
export function issueCertificate(ca: Pem, opts: IssueOptions): Pem {
  return certificateIssuer(ca)(opts);
}

/**
 * An issuer for many certificates of one CA: the CA is parsed and checked once (for a
 * fleet of agents, that is most of the time issueCertificate spends per certificate).
 */
export function certificateIssuer(ca: Pem): (opts: IssueOptions) => Pem {
  const { caCert, caKey } = loadCa(ca);
  return (opts) => issueWith(caCert, caKey, opts);
}

function issueWith(caCert: forge.pki.Certificate, caKey: KeyObject, opts: IssueOptions): Pem {
  checkCommonName(opts.commonName);
  const altNames: { type: number; value?: string; ip?: string }[] = [];
  for (const dns of opts.dnsNames ?? []) {
    if (!/^[A-Za-z0-9*]([A-Za-z0-9.-]*[A-Za-z0-9])?$/.test(dns)) throw new PkiError('invalid-option', `not a DNS name: ${JSON.stringify(dns)}`);
    altNames.push({ type: 2, value: dns });
  }
  for (const ip of opts.ipAddresses ?? []) {
    if (isIP(ip) === 0) throw new PkiError('invalid-option', `not an IP address: ${JSON.stringify(ip)}`);
    altNames.push({ type: 7, ip });
  }
  altNames.push(...uriAltNames(opts.uris ?? []));
  const generated = opts.key === undefined ? generateKeys(opts.keyBits ?? DEFAULT_KEY_BITS) : undefined;
  const keys = generated ?? existingKeys(opts.key!);
  const cert = forge.pki.createCertificate();
  cert.publicKey = keys.publicKey;
  cert.serialNumber = randomSerial();
  setValidity(cert, opts.days ?? DEFAULT_LEAF_DAYS);
  cert.setSubject([{ shortName: 'O', value: ORGANIZATION }, { shortName: 'CN', value: opts.commonName }]);
  cert.setIssuer(caCert.subject.attributes);
  const extensions: object[] = [
    { name: 'basicConstraints', cA: false, critical: true },
    // keyEncipherment: TLS 1.2 RSA key transport, still offered by some EAP peers.
    { name: 'keyUsage', digitalSignature: true, keyEncipherment: true, critical: true },
    opts.usage === 'server' ? { name: 'extKeyUsage', serverAuth: true } : { name: 'extKeyUsage', clientAuth: true },
    { name: 'subjectKeyIdentifier' },
    authorityKeyIdentifier(caCert),
  ];
  if (altNames.length > 0) extensions.push({ name: 'subjectAltName', altNames });
  cert.setExtensions(extensions);
  signNatively(cert, caKey);
  return { cert: forge.pki.certificateToPem(cert), key: generated !== undefined ? privateKeyToPkcs8Pem(generated.privateKey) : opts.key! };
}

/** sha256WithRSAEncryption over the TBSCertificate (RFC 5280 §4.1.1.3), signed by node:crypto. */
function signNatively(cert: forge.pki.Certificate, key: KeyObject): void {
  const oid = forge.pki.oids['sha256WithRSAEncryption'];
  cert.siginfo.algorithmOid = oid;
  cert.signatureOid = oid;
  // getTBSCertificate is in node-forge but not in its type definitions.
  const pki = forge.pki as unknown as { getTBSCertificate(this: void, c: forge.pki.Certificate): forge.asn1.Asn1 };
  const tbs = Buffer.from(forge.asn1.toDer(pki.getTBSCertificate(cert)).getBytes(), 'binary');
  cert.signature = sign('sha256', tbs, key).toString('binary');
}

/** The EKU OID a usage requires. */
export function extendedKeyUsageOid(usage: CertificateUsage): string {
  return usage === 'server' ? OID_SERVER_AUTH : OID_CLIENT_AUTH;
}

/** Parses and checks a CA: a CA certificate whose public key matches the given key. */
function loadCa(ca: Pem): { caCert: forge.pki.Certificate; caKey: KeyObject } {
  let caCert: forge.pki.Certificate;
  let caKey: KeyObject;
  try {
    caCert = forge.pki.certificateFromPem(ca.cert);
    caKey = createPrivateKey(ca.key);
  } catch (err) {
    throw new PkiError('invalid-ca', `CA certificate or key unreadable: ${(err as Error).message}`, { cause: err });
  }
  const bc = caCert.getExtension('basicConstraints') as { cA?: boolean } | null;
  if (bc?.cA !== true) throw new PkiError('invalid-ca', 'CA certificate lacks basicConstraints CA:true');
  if (!keyMatchesCertificate(ca.cert, ca.key)) throw new PkiError('invalid-ca', 'CA key does not match the CA certificate');
  return { caCert, caKey };
}

/** The public half of an existing private key, as forge wants it. */
function existingKeys(keyPem: string): { publicKey: forge.pki.PublicKey } {
  try {
    const spki = createPublicKey(createPrivateKey(keyPem)).export({ type: 'spki', format: 'pem' }).toString();
    return { publicKey: forge.pki.publicKeyFromPem(spki) };
  } catch (err) {
    throw new PkiError('invalid-option', `key: not a usable RSA private key (${(err as Error).message})`, { cause: err });
  }
}

function generateKeys(bits: number): forge.pki.rsa.KeyPair {
  if (!Number.isInteger(bits) || bits < 1024 || bits > 8192) throw new PkiError('invalid-option', `RSA key size must be an integer in 1024..8192, not ${bits}`);
  const pair = generateKeyPairSync('rsa', { modulusLength: bits, publicExponent: 0x10001 });
  const privateKey = forge.pki.privateKeyFromPem(pair.privateKey.export({ type: 'pkcs1', format: 'pem' }).toString());
  const publicKey = forge.pki.setRsaPublicKey(privateKey.n, privateKey.e);
  return { privateKey, publicKey };
}

function privateKeyToPkcs8Pem(key: forge.pki.rsa.PrivateKey): string {
  return forge.pki.privateKeyInfoToPem(forge.pki.wrapRsaPrivateKey(forge.pki.privateKeyToAsn1(key)));
}

/** A positive serial with a non-zero top byte, so its DER INTEGER is minimal (RFC 5280 §4.1.2.2). */
function randomSerial(): string {
  const b = randomBytes(16);
  b[0] = (b[0] & 0x3f) | 0x40;
  return b.toString('hex');
}

function setValidity(cert: forge.pki.Certificate, days: number): void {
  if (!Number.isInteger(days) || days < 1 || days > 36500) throw new PkiError('invalid-option', `validity must be an integer number of days in 1..36500, not ${days}`);
  const notBefore = new Date(Date.now() - BACKDATE_MS);
  cert.validity.notBefore = notBefore;
  cert.validity.notAfter = new Date(notBefore.getTime() + days * 86_400_000);
}

function checkCommonName(cn: string): void {
  // RFC 5280 ub-common-name is 64; control characters would garble subject lines in logs.
  if (cn.length === 0 || cn.length > 64 || /[\p{Cc}]/u.test(cn)) throw new PkiError('invalid-option', `unusable common name: ${JSON.stringify(cn)}`);
}

/** True when `keyPem` is the private key of `certPem`. */
export function keyMatchesCertificate(certPem: string, keyPem: string): boolean {
  try {
    const fromKey = createPublicKey(createPrivateKey(keyPem)).export({ type: 'spki', format: 'der' });
    const fromCert = createPublicKey(certPem).export({ type: 'spki', format: 'der' });
    return fromKey.equals(fromCert);
  } catch {
    return false;
  }
}
