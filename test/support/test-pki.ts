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
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import * as grpc from '@grpc/grpc-js';
import { writeDevPki, type DevPkiLayout } from '@airlock/pki';

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
