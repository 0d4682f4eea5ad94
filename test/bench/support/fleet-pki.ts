/**
 * Certificates for a simulated fleet (the scale and mass-rejoin scenarios: 10,000 agents
 * over mTLS): agent-ap-1 .. agent-ap-N, issued by the test PKI's agent CA and marked
 * urn:airlock:agent:ap-N as every agent certificate must be (so the authenticator's test
 * certificate, root and agent CA serve as they are), each file the chain (certificate, then
 * the agent CA), all for one shared key pair — a key pair per agent would cost ~50 ms each
 * to make, a certificate for an existing key ~3 ms. Kept in node_modules/.cache/airlock/
 * fleet-pki between runs; missing ones are issued.
 */
import { copyFileSync, existsSync, mkdirSync, readFileSync, renameSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { certificateIssuer, chainPem, createCa, roleMark } from '@airlock/pki';
import { testPki } from '../../support/test-pki.js';

const REPO_ROOT = new URL('../../../../', import.meta.url).pathname;

/** A directory with ca.pem and agent-ap-<n>.pem/.key for n = 1..agents (LoadProcess pkiDir). */
export function fleetPki(agents: number, progress: (text: string) => void = () => undefined): string {
  const pki = testPki();
  const dir = join(REPO_ROOT, 'node_modules', '.cache', 'airlock', 'fleet-pki');
  mkdirSync(dir, { recursive: true, mode: 0o700 });
  // A fleet made under another agent CA (the test PKI was recreated, or is of an older
  // layout without role CAs) starts over.
  const agentCa = readFileSync(pki.issuers.agent.cert, 'utf8');
  const agentCaPath = join(dir, 'ca-agent.pem');
  const fresh = !existsSync(agentCaPath) || readFileSync(agentCaPath, 'utf8') !== agentCa;
  const keyPath = join(dir, 'shared-agent.key');
  if (fresh || !existsSync(keyPath)) writeFileSync(keyPath, createCa({ commonName: 'fleet key' }).key, { mode: 0o600 });
  const key = readFileSync(keyPath, 'utf8');
  const issue = certificateIssuer({ cert: agentCa, key: readFileSync(pki.issuers.agent.key, 'utf8') });
  let made = 0;
  for (let n = 1; n <= agents; n++) {
    const base = join(dir, `agent-ap-${n}`);
    if (!fresh && existsSync(`${base}.pem`) && existsSync(`${base}.key`)) continue;
    const pem = issue({ commonName: `ap-${n}`, usage: 'client', key, uris: [roleMark('agent', `ap-${n}`)] });
    writeFileSync(`${base}.key`, key, { mode: 0o600 });
    writeFileSync(`${base}.pem.tmp`, chainPem(pem.cert, agentCa));
    renameSync(`${base}.pem.tmp`, `${base}.pem`);
    if (++made % 1000 === 0) progress(`fleet PKI: ${made} certificates issued`);
  }
  if (fresh) {
    copyFileSync(pki.ca.cert, join(dir, 'ca.pem'));
    copyFileSync(pki.issuers.agent.cert, agentCaPath);
  }
  if (made > 0) progress(`fleet PKI: ${made} agent certificates issued in ${dir}`);
  return dir;
}
