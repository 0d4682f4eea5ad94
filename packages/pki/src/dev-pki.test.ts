import assert from 'node:assert/strict';
import { X509Certificate } from 'node:crypto';
import { mkdtempSync, readFileSync, rmSync, statSync, unlinkSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, describe, it } from 'node:test';
import { CERTIFICATE_ROLES, createCa, issueCertificate, PkiError, subjectCommonName, verifyRole, writeDevPki, type DevPkiLayout } from './index.js';

const SERVER_AUTH = '1.3.6.1.5.5.7.3.1';
const CLIENT_AUTH = '1.3.6.1.5.5.7.3.2';
const FAST = { keyBits: 1024 };

const roots: string[] = [];
function freshDir(): string {
  const d = mkdtempSync(join(tmpdir(), 'airlock-pki-test-'));
  roots.push(d);
  return join(d, 'pki');
}
after(() => {
  for (const d of roots) rmSync(d, { recursive: true, force: true });
});

function mode(path: string): number {
  return statSync(path).mode & 0o777;
}

function actions(l: DevPkiLayout): Record<string, string> {
  return Object.fromEntries(l.files.map((f) => [f.path.slice(l.dir.length + 1), f.action]));
}

describe('writeDevPki', () => {
  it('writes the root, a CA per role, and server, agent and station certificates with safe modes', () => {
    const dir = freshDir();
    const l = writeDevPki(dir, { ...FAST, agents: ['ap-1', 'ap-2'], stations: ['alice'] });
    assert.equal(l.dir, dir);
    assert.equal(mode(dir), 0o700);
    assert.deepEqual(Object.keys(l.agents), ['ap-1', 'ap-2']);
    assert.deepEqual(l.agents['ap-1'], { cert: join(dir, 'agent-ap-1.pem'), key: join(dir, 'agent-ap-1.key') });
    assert.deepEqual(l.stations.alice, { cert: join(dir, 'station-alice.pem'), key: join(dir, 'station-alice.key') });
    assert.deepEqual(l.ca, { cert: join(dir, 'ca.pem'), key: join(dir, 'ca.key') });
    assert.ok(l.files.every((f) => f.action === 'created'));
    // The root, a CA per role, and six leaves: RADIUS server, authenticator (server and RadSec client), two agents, a station.
    assert.equal(l.files.length, 2 * (1 + 5 + 6));

    const ca = new X509Certificate(readFileSync(l.ca.cert));
    assert.equal(ca.ca, true);
    assert.equal(readFileSync(l.ca.cert, 'utf8').match(/BEGIN CERTIFICATE/g)?.length, 1, 'ca.pem is the root alone');
    for (const role of CERTIFICATE_ROLES) {
      assert.deepEqual(l.issuers[role], { cert: join(dir, `ca-${role}.pem`), key: join(dir, `ca-${role}.key`) });
      const x = new X509Certificate(readFileSync(l.issuers[role].cert));
      assert.equal(x.ca, true, role);
      assert.equal(x.checkIssued(ca) && x.verify(ca.publicKey), true, `${role} CA issued by the root`);
      assert.equal(subjectCommonName(x), `airlock development ${role} CA`);
      assert.equal(x.subjectAltName, `URI:urn:airlock:ca:${role}`);
      assert.equal(mode(l.issuers[role].key), 0o600);
    }
    const expect: { paths: { cert: string; key: string }; role: (typeof CERTIFICATE_ROLES)[number]; cn: string; eku: string; san: string }[] = [
      { paths: l.radiusServer, role: 'radius', cn: 'radius-server', eku: SERVER_AUTH, san: 'DNS:radius-server, DNS:localhost, URI:urn:airlock:radius:radius-server' },
      { paths: l.authenticator, role: 'authenticator', cn: 'authenticator', eku: SERVER_AUTH, san: 'DNS:localhost, IP Address:127.0.0.1, URI:urn:airlock:authenticator:authenticator' },
      { paths: l.radsecClient, role: 'authenticator', cn: 'authenticator', eku: CLIENT_AUTH, san: 'URI:urn:airlock:authenticator:authenticator' },
      { paths: l.agents['ap-1'], role: 'agent', cn: 'ap-1', eku: CLIENT_AUTH, san: 'URI:urn:airlock:agent:ap-1' },
      { paths: l.agents['ap-2'], role: 'agent', cn: 'ap-2', eku: CLIENT_AUTH, san: 'URI:urn:airlock:agent:ap-2' },
      { paths: l.stations.alice, role: 'station', cn: 'alice', eku: CLIENT_AUTH, san: 'URI:urn:airlock:station:alice' },
    ];
    for (const e of expect) {
      const pem = readFileSync(e.paths.cert, 'utf8');
      const x = new X509Certificate(pem);
      const issuer = new X509Certificate(readFileSync(l.issuers[e.role].cert));
      assert.equal(x.checkIssued(issuer) && x.verify(issuer.publicKey), true, `${e.cn} issued by the ${e.role} CA`);
      assert.equal(x.verify(ca.publicKey), false, `${e.cn} not issued by the root itself`);
      assert.equal(subjectCommonName(x), e.cn);
      assert.deepEqual(x.keyUsage, [e.eku]);
      assert.equal(x.subjectAltName, e.san);
      assert.deepEqual(verifyRole(x, e.role, issuer), { ok: true, id: e.cn });
      // The file is the chain a TLS peer sends: the certificate, then its CA.
      const blocks = pem.match(/-----BEGIN CERTIFICATE-----[^-]+-----END CERTIFICATE-----/g) ?? [];
      assert.equal(blocks.length, 2, e.cn);
      assert.ok(new X509Certificate(blocks[1]).raw.equals(issuer.raw), `${e.cn}: chain ends with its CA`);
      assert.equal(mode(e.paths.key), 0o600);
      assert.equal(mode(e.paths.cert), 0o644);
    }
    assert.equal(mode(l.ca.key), 0o600);
  });

  it('brings a directory of the older layout (leaves issued by the root, no marks) up to roles, keeping the root', () => {
    const dir = freshDir();
    const first = writeDevPki(dir, { ...FAST, agents: ['ap-1'], operators: ['operator'] });
    const root = { cert: readFileSync(first.ca.cert, 'utf8'), key: readFileSync(first.ca.key, 'utf8') };
    // What `airlock pki init` wrote before roles: the root issued every leaf, unmarked, alone in its file.
    for (const [p, cn, usage] of [[first.agents['ap-1'], 'ap-1', 'client'], [first.operators.operator, 'operator', 'client'], [first.authenticator, 'authenticator', 'server']] as const) {
      const old = issueCertificate(root, { ...FAST, commonName: cn, usage, ...(usage === 'server' ? { dnsNames: ['localhost'], ipAddresses: ['127.0.0.1'] } : {}) });
      writeFileSync(p.cert, old.cert);
      writeFileSync(p.key, old.key);
    }
    unlinkSync(first.issuers.operator.cert);
    const again = writeDevPki(dir, { ...FAST, agents: ['ap-1'], operators: ['operator'] });
    const a = actions(again);
    assert.equal(a['ca.pem'], 'kept');
    assert.equal(a['ca-agent.pem'], 'kept');
    assert.equal(a['ca-operator.pem'], 'reissued');
    assert.equal(a['agent-ap-1.pem'], 'reissued');
    assert.equal(a['operator-operator.pem'], 'reissued');
    assert.equal(a['authenticator.pem'], 'reissued');
    const agentCa = new X509Certificate(readFileSync(again.issuers.agent.cert));
    assert.equal(verifyRole(new X509Certificate(readFileSync(again.agents['ap-1'].cert)), 'agent', agentCa).ok, true);
    // A leaf alone in its file (a chain that lost its CA) is rewritten too.
    const leafOnly = readFileSync(again.agents['ap-1'].cert, 'utf8').split('-----END CERTIFICATE-----')[0] + '-----END CERTIFICATE-----\n';
    writeFileSync(again.agents['ap-1'].cert, leafOnly);
    assert.equal(actions(writeDevPki(dir, { ...FAST, agents: ['ap-1'], operators: ['operator'] }))['agent-ap-1.pem'], 'reissued');
  });

  it('is idempotent: a second run keeps every file byte for byte', () => {
    const dir = freshDir();
    const first = writeDevPki(dir, { ...FAST, agents: ['ap-1'] });
    const before = first.files.map((f) => readFileSync(f.path, 'utf8'));
    const second = writeDevPki(dir, { ...FAST, agents: ['ap-1'] });
    assert.ok(second.files.every((f) => f.action === 'kept'));
    assert.deepEqual(second.files.map((f) => readFileSync(f.path, 'utf8')), before);
  });

  it('reuses the CA and adds only what is new', () => {
    const dir = freshDir();
    writeDevPki(dir, FAST);
    const caBefore = readFileSync(join(dir, 'ca.pem'), 'utf8');
    const l = writeDevPki(dir, { ...FAST, agents: ['ap-9'], stations: ['bob'] });
    assert.equal(readFileSync(l.ca.cert, 'utf8'), caBefore);
    const a = actions(l);
    assert.equal(a['ca.pem'], 'kept');
    assert.equal(a['authenticator.pem'], 'kept');
    assert.equal(a['agent-ap-9.pem'], 'created');
    assert.equal(a['station-bob.key'], 'created');
  });

  it('reissues a certificate whose key is gone, or that another CA issued, and fixes key modes', () => {
    const dir = freshDir();
    const l = writeDevPki(dir, { ...FAST, agents: ['ap-1'] });
    unlinkSync(l.agents['ap-1'].key);
    const foreign = issueCertificate(createCa(FAST), { ...FAST, commonName: 'authenticator', usage: 'server', dnsNames: ['localhost'], ipAddresses: ['127.0.0.1'] });
    writeFileSync(l.authenticator.cert, foreign.cert);
    writeFileSync(l.authenticator.key, foreign.key);
    writeFileSync(l.radiusServer.key, readFileSync(l.radiusServer.key), { mode: 0o644 });
    const again = writeDevPki(dir, { ...FAST, agents: ['ap-1'] });
    const a = actions(again);
    assert.equal(a['agent-ap-1.pem'], 'reissued');
    assert.equal(a['authenticator.pem'], 'reissued');
    assert.equal(a['radius-server.pem'], 'kept');
    assert.equal(mode(l.radiusServer.key), 0o600);
    const ca = new X509Certificate(readFileSync(l.issuers.authenticator.cert));
    assert.equal(new X509Certificate(readFileSync(l.authenticator.cert)).verify(ca.publicKey), true);
  });

  it('names the authenticator by each serverName too, and reissues it when the names change', () => {
    const dir = freshDir();
    const named = writeDevPki(dir, { ...FAST, serverNames: ['authenticator'] });
    const x = new X509Certificate(readFileSync(named.authenticator.cert));
    assert.equal(x.subjectAltName, 'DNS:localhost, DNS:authenticator, IP Address:127.0.0.1, URI:urn:airlock:authenticator:authenticator');
    assert.equal(x.checkHost('authenticator'), 'authenticator');
    const again = writeDevPki(dir, { ...FAST, serverNames: ['authenticator'] });
    assert.equal(again.files.find((f) => f.path === named.authenticator.cert)?.action, 'kept');
    const plain = writeDevPki(dir, FAST);
    assert.equal(plain.files.find((f) => f.path === named.authenticator.cert)?.action, 'reissued');
    assert.equal(new X509Certificate(readFileSync(plain.authenticator.cert)).checkHost('authenticator'), undefined);
  });

  it('certifies an existing key (issueCertificate key option)', () => {
    const ca = createCa(FAST);
    const key = createCa(FAST).key;
    const a = issueCertificate(ca, { commonName: 'ap-1', usage: 'client', key });
    const b = issueCertificate(ca, { commonName: 'ap-2', usage: 'client', key });
    assert.equal(a.key, key);
    const xa = new X509Certificate(a.cert);
    const xb = new X509Certificate(b.cert);
    assert.ok(xa.publicKey.export({ type: 'spki', format: 'der' }).equals(xb.publicKey.export({ type: 'spki', format: 'der' })));
    assert.ok(xa.verify(new X509Certificate(ca.cert).publicKey) && xb.verify(new X509Certificate(ca.cert).publicKey));
    assert.equal(subjectCommonName(xb), 'ap-2');
    assert.throws(() => issueCertificate(ca, { commonName: 'x', usage: 'client', key: 'not a key' }), PkiError);
  });

  it('honours dirMode and keyMode', () => {
    const dir = freshDir();
    const l = writeDevPki(dir, { ...FAST, dirMode: 0o750, keyMode: 0o640 });
    assert.equal(mode(dir), 0o750);
    assert.equal(mode(l.ca.key), 0o640);
  });

  const refusals: { desc: string; setup: (dir: string) => void; opts: Parameters<typeof writeDevPki>[1]; code: string }[] = [
    { desc: 'agent id with a slash', setup: () => {}, opts: { agents: ['../evil'] }, code: 'invalid-name' },
    { desc: 'station name starting with a dot', setup: () => {}, opts: { stations: ['.hidden'] }, code: 'invalid-name' },
    { desc: 'empty agent id', setup: () => {}, opts: { agents: [''] }, code: 'invalid-name' },
    { desc: 'ca.pem without ca.key', setup: (d) => { writeDevPki(d, FAST); unlinkSync(join(d, 'ca.key')); }, opts: {}, code: 'incomplete-ca' },
    { desc: 'ca.key of another CA', setup: (d) => { writeDevPki(d, FAST); writeFileSync(join(d, 'ca.key'), createCa(FAST).key); }, opts: {}, code: 'invalid-ca' },
    { desc: 'ca.pem that is not a certificate', setup: (d) => { writeDevPki(d, FAST); writeFileSync(join(d, 'ca.pem'), 'garbage'); }, opts: {}, code: 'invalid-ca' },
  ];
  for (const c of refusals) {
    it(`refuses: ${c.desc}`, () => {
      const dir = freshDir();
      c.setup(dir);
      assert.throws(() => writeDevPki(dir, { ...FAST, ...c.opts }), (e: unknown) => e instanceof PkiError && e.code === c.code);
    });
  }
});
