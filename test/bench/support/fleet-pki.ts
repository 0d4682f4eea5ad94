/**
 * Certificates for a simulated fleet (the scale and mass-rejoin scenarios: 10,000 agents
 * over mTLS): agent-ap-1 .. agent-ap-N, issued by the test PKI's CA (so the authenticator's
 * test certificate and CA serve as they are), all for one shared key pair — a key pair per
 * agent would cost ~50 ms each to make, a certificate for an existing key ~3 ms. Kept in
 * node_modules/.cache/airlock/fleet-pki between runs; missing ones are issued.
 */
import { copyFileSync, existsSync, mkdirSync, readFileSync, renameSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { certificateIssuer, createCa } from '@airlock/pki';
import { testPki } from '../../support/test-pki.js';

const REPO_ROOT = new URL('../../../../', import.meta.url).pathname;

/** A directory with ca.pem and agent-ap-<n>.pem/.key for n = 1..agents (LoadProcess pkiDir). */
export function fleetPki(agents: number, progress: (text: string) => void = () => undefined): string {
  const pki = testPki();
  const dir = join(REPO_ROOT, 'node_modules', '.cache', 'airlock', 'fleet-pki');
  mkdirSync(dir, { recursive: true, mode: 0o700 });
  // A fleet made under another CA (the test PKI was recreated) starts over.
  const ca = readFileSync(pki.ca.cert, 'utf8');
  const caPath = join(dir, 'ca.pem');
  const fresh = !existsSync(caPath) || readFileSync(caPath, 'utf8') !== ca;
  const keyPath = join(dir, 'shared-agent.key');
  if (fresh || !existsSync(keyPath)) writeFileSync(keyPath, createCa({ commonName: 'fleet key' }).key, { mode: 0o600 });
  const key = readFileSync(keyPath, 'utf8');
  const issue = certificateIssuer({ cert: ca, key: readFileSync(pki.ca.key, 'utf8') });
  let made = 0;
  for (let n = 1; n <= agents; n++) {
    const base = join(dir, `agent-ap-${n}`);
    if (!fresh && existsSync(`${base}.pem`) && existsSync(`${base}.key`)) continue;
    const pem = issue({ commonName: `ap-${n}`, usage: 'client', key });
    writeFileSync(`${base}.key`, key, { mode: 0o600 });
    writeFileSync(`${base}.pem.tmp`, pem.cert);
    renameSync(`${base}.pem.tmp`, `${base}.pem`);
    if (++made % 1000 === 0) progress(`fleet PKI: ${made} certificates issued`);
  }
  if (fresh) copyFileSync(pki.ca.cert, caPath);
  if (made > 0) progress(`fleet PKI: ${made} agent certificates issued in ${dir}`);
  return dir;
}
