/**
 * The tests' development PKI (mTLS between agents and the authenticator is the default):
 * one root CA with an intermediate CA per certificate role, the authenticator's server
 * certificate, a fixed pool of agent certificates, operator certificates, and station
 * certificates named like an operator and like an agent (cert-roles.test.ts), made by the
 * product's own `writeDevPki`. RSA key generation is the slow part (about a
 * quarter of a second per certificate here), so the directory is kept between runs in
 * node_modules/.cache and written once per `npm test` by scripts/run-tests.mjs before any
 * test process starts (AIRLOCK_TEST_PKI names it); a test file run on its own fills it in.
 */
import { X509Certificate } from 'node:crypto';
import { existsSync, readFileSync, renameSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import * as grpc from '@grpc/grpc-js';
import { chainPem, issueCertificate, roleMark, writeDevPki, type DevPkiLayout, type PemPaths } from '@airlock/pki';

/** Agent identities with a certificate: sim agents ap-N, wired sw-N, hostile raw-N. */
export const TEST_PKI_AGENTS: readonly string[] = [
  ...Array.from({ length: 12 }, (_v, i) => `ap-${i + 1}`),
  'sw-1',
  'sw-2',
  ...Array.from({ length: 16 }, (_v, i) => `raw-${i + 1}`),
];

const REPO_ROOT = new URL('../../../', import.meta.url).pathname;

/** Where the test PKI lives. */
export function testPkiDir(): string {
  // v2: one intermediate CA per role and role marks (a cache of the older layout is left alone).
  return process.env.AIRLOCK_TEST_PKI ?? join(REPO_ROOT, 'node_modules', '.cache', 'airlock', 'test-pki-v2');
}

/** Writes (or keeps) the test PKI in `dir`. */
export function prepareTestPki(dir = testPkiDir()): DevPkiLayout {
  return writeDevPki(dir, { agents: [...TEST_PKI_AGENTS], operators: [TEST_OPERATOR, 'not-an-operator', OPERATOR_NAMED_LIKE_AN_AGENT], stations: [...TEST_PKI_STATIONS] });
}

/** The operator (Admin API) certificate of the tests: CN "operator", the default admin.operators. */
export const TEST_OPERATOR = 'operator';
/** An operator certificate whose CN is an agent id (it must not pass as that agent). */
export const OPERATOR_NAMED_LIKE_AN_AGENT = 'raw-15';
/** Station (EAP-TLS) certificates: one named like the operator, one like an agent. */
export const TEST_PKI_STATIONS: readonly string[] = [TEST_OPERATOR, 'raw-16'];

let cached: DevPkiLayout | undefined;

/** The test PKI (made on first use in this process when run-tests.mjs has not made it). */
export function testPki(): DevPkiLayout {
  cached ??= prepareTestPki();
  return cached;
}

/** The authenticator's grpc.tls settings (an AuthenticatorConfig's, camelCase). */
export function serverTls(): { cert: string; key: string; ca: string; agentCa: string } {
  const p = testPki();
  return { cert: p.authenticator.cert, key: p.authenticator.key, ca: p.ca.cert, agentCa: p.issuers.agent.cert };
}

/** The same for a configuration file (the YAML keys: agent_ca). */
export function serverTlsYaml(): { cert: string; key: string; ca: string; agent_ca: string } {
  const { agentCa, ...rest } = serverTls();
  return { ...rest, agent_ca: agentCa };
}

/** The authenticator's admin.tls settings (camelCase). */
export function adminTls(): { cert: string; key: string; ca: string; operatorCa: string } {
  const p = testPki();
  return { cert: p.authenticator.cert, key: p.authenticator.key, ca: p.ca.cert, operatorCa: p.issuers.operator.cert };
}

/** The same for a configuration file (operator_ca). */
export function adminTlsYaml(): { cert: string; key: string; ca: string; operator_ca: string } {
  const { operatorCa, ...rest } = adminTls();
  return { ...rest, operator_ca: operatorCa };
}

/** Channel credentials of agent `id` (one of TEST_PKI_AGENTS). */
export function agentCredentials(id: string): grpc.ChannelCredentials {
  const p = testPki();
  const a = p.agents[id];
  if (a === undefined) throw new Error(`no test certificate for agent ${JSON.stringify(id)}: use one of ${TEST_PKI_AGENTS.join(', ')}`);
  return grpc.credentials.createSsl(readFileSync(p.ca.cert), readFileSync(a.key), readFileSync(a.cert));
}

/** CN (and role mark ID) of the authenticator's RadSec client certificate. */
export const RADSEC_CLIENT_CN = 'authenticator';

/**
 * The authenticator's RadSec client certificate (RFC 6614 mutual TLS towards FreeRADIUS):
 * CN "authenticator", clientAuth (the PKI's own authenticator certificate is a server's),
 * marked urn:airlock:authenticator:authenticator and issued by the authenticator CA, so a
 * RadSec listener that accepts only that CA's clients accepts it and no station, agent or
 * operator. writeDevPki makes none, so it is issued here with the PKI's own issuer, once,
 * next to the test PKI (radsec-client.pem with its chain, radsec-client.key), and again
 * when the authenticator CA changed or it is about to expire.
 */
export function radsecClientCertificate(): PemPaths {
  const p = testPki();
  const paths = { cert: join(p.dir, 'radsec-client.pem'), key: join(p.dir, 'radsec-client.key') };
  const issuerPem = readFileSync(p.issuers.authenticator.cert, 'utf8');
  const issuer = new X509Certificate(issuerPem);
  if (existsSync(paths.cert) && existsSync(paths.key)) {
    const x = new X509Certificate(readFileSync(paths.cert));
    if (x.checkIssued(issuer) && x.verify(issuer.publicKey) && Date.parse(x.validTo) - Date.now() > 24 * 3600 * 1000) return paths;
  }
  const pem = issueCertificate({ cert: issuerPem, key: readFileSync(p.issuers.authenticator.key, 'utf8') }, { commonName: RADSEC_CLIENT_CN, usage: 'client', uris: [roleMark('authenticator', RADSEC_CLIENT_CN)] });
  // Written beside and renamed: a test process reading it meanwhile sees a whole file.
  const write = (path: string, data: string, mode: number): void => {
    const tmp = `${path}.tmp-${process.pid}`;
    writeFileSync(tmp, data, { mode });
    renameSync(tmp, path);
  };
  write(paths.key, pem.key, 0o600);
  write(paths.cert, chainPem(pem.cert, issuerPem), 0o644);
  return paths;
}
