/**
 * Certificates for the EAP tests, made with node-forge on the fly: a root CA with
 * intermediates (long chains, so TLS flights need many EAP fragments), a server and a
 * client certificate, and a second, unrelated CA with its own client certificate (the
 * "unknown client" and "wrong CA" cases). Keys are RSA (forge uses node's native key
 * generation when it can).
 */
import forge from 'node-forge';

/** A certificate with its key, PEM. */
export interface TestCredential {
  /** The leaf certificate alone. */
  cert: string;
  /** The leaf followed by its intermediates: what a TLS endpoint sends. */
  chain: string;
  /** PKCS#1 private key. */
  key: string;
}

/** Everything the EAP tests need. */
export interface TestPki {
  /** Root CA certificate that server and client chains lead to. */
  ca: string;
  /** Server certificate (CN and DNS SAN `serverName`) under `intermediates` intermediate CAs. */
  server: TestCredential;
  /** Client certificate (CN `clientName`) under one intermediate CA. */
  client: TestCredential;
  /** A self-signed CA that issued nothing the server knows. */
  otherCa: string;
  /** A client certificate from `otherCa`. */
  unknownClient: TestCredential;
  /** The DNS name in the server certificate. */
  serverName: string;
}

/** Options of createTestPki(). */
export interface TestPkiOptions {
  /** Intermediate CAs between the root and the server certificate (default 2). */
  intermediates?: number;
  /** RSA modulus length (default 2048). */
  bits?: number;
  /** DNS name of the server (default 'radius.airlock.test'). */
  serverName?: string;
  /** The current time: certificates are valid from an hour before it for 30 days (time is injected, CONVENTIONS 1). */
  now: Date;
}

interface Issued {
  cert: forge.pki.Certificate;
  key: forge.pki.rsa.PrivateKey;
}

let serial = 1;

function issue(
  subject: string,
  issuer: Issued | undefined,
  bits: number,
  now: number,
  kind: 'ca' | 'server' | 'client',
  dnsName?: string,
): Issued {
  const keys = forge.pki.rsa.generateKeyPair({ bits, e: 0x10001 });
  const cert = forge.pki.createCertificate();
  cert.publicKey = keys.publicKey;
  cert.serialNumber = (serial++).toString(16).padStart(4, '0');
  cert.validity.notBefore = new Date(now - 3_600_000);
  cert.validity.notAfter = new Date(now + 30 * 86_400_000);
  const attrs = [{ name: 'commonName', value: subject }, { name: 'organizationName', value: 'airlock tests' }];
  cert.setSubject(attrs);
  cert.setIssuer(issuer === undefined ? attrs : issuer.cert.subject.attributes);
  const extensions: object[] =
    kind === 'ca'
      ? [
          { name: 'basicConstraints', cA: true, critical: true },
          { name: 'keyUsage', keyCertSign: true, cRLSign: true, critical: true },
        ]
      : [
          { name: 'basicConstraints', cA: false },
          { name: 'keyUsage', digitalSignature: true, keyEncipherment: true, critical: true },
          { name: 'extKeyUsage', serverAuth: kind === 'server', clientAuth: kind === 'client' },
        ];
  if (dnsName !== undefined) extensions.push({ name: 'subjectAltName', altNames: [{ type: 2, value: dnsName }] });
  extensions.push({ name: 'subjectKeyIdentifier' });
  cert.setExtensions(extensions);
  cert.sign(issuer?.key ?? keys.privateKey, forge.md.sha256.create());
  return { cert, key: keys.privateKey };
}

function pem(c: Issued): string {
  return forge.pki.certificateToPem(c.cert);
}

function credential(leaf: Issued, intermediates: readonly Issued[]): TestCredential {
  const cert = pem(leaf);
  return {
    cert,
    chain: cert + [...intermediates].reverse().map(pem).join(''),
    key: forge.pki.privateKeyToPem(leaf.key),
  };
}

/** Creates a fresh PKI (about a second of RSA key generation at 2048 bits). */
export function createTestPki(opts: TestPkiOptions): TestPki {
  const bits = opts.bits ?? 2048;
  const now = opts.now.getTime();
  const serverName = opts.serverName ?? 'radius.airlock.test';
  const root = issue('airlock test root CA', undefined, bits, now, 'ca');
  const serverCas: Issued[] = [];
  let parent = root;
  for (let i = 0; i < (opts.intermediates ?? 2); i++) {
    parent = issue(`airlock test server CA ${i + 1}`, parent, bits, now, 'ca');
    serverCas.push(parent);
  }
  const server = issue(serverName, parent, bits, now, 'server', serverName);
  const clientCa = issue('airlock test client CA', root, bits, now, 'ca');
  const client = issue('station@airlock.test', clientCa, bits, now, 'client');
  const other = issue('some other CA', undefined, bits, now, 'ca');
  const unknownClient = issue('stranger@elsewhere.test', other, bits, now, 'client');
  return {
    ca: pem(root),
    server: credential(server, serverCas),
    client: credential(client, [clientCa]),
    otherCa: pem(other),
    unknownClient: credential(unknownClient, []),
    serverName,
  };
}
