import assert from 'node:assert/strict';
import { X509Certificate } from 'node:crypto';
import { mkdtempSync, readFileSync, rmSync, statSync, unlinkSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, describe, it } from 'node:test';
import { createCa, issueCertificate, PkiError, subjectCommonName, writeDevPki, type DevPkiLayout } from './index.js';

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
  it('writes the CA, server, agent and station certificates with safe modes', () => {
    const dir = freshDir();
    const l = writeDevPki(dir, { ...FAST, agents: ['ap-1', 'ap-2'], stations: ['alice'] });
    assert.equal(l.dir, dir);
    assert.equal(mode(dir), 0o700);
    assert.deepEqual(Object.keys(l.agents), ['ap-1', 'ap-2']);
    assert.deepEqual(l.agents['ap-1'], { cert: join(dir, 'agent-ap-1.pem'), key: join(dir, 'agent-ap-1.key') });
    assert.deepEqual(l.stations.alice, { cert: join(dir, 'station-alice.pem'), key: join(dir, 'station-alice.key') });
    assert.deepEqual(l.ca, { cert: join(dir, 'ca.pem'), key: join(dir, 'ca.key') });
    assert.ok(l.files.every((f) => f.action === 'created'));
    assert.equal(l.files.length, 2 * 6);

    const ca = new X509Certificate(readFileSync(l.ca.cert));
    assert.equal(ca.ca, true);
    const expect: { paths: { cert: string; key: string }; cn: string; eku: string; san?: string }[] = [
      { paths: l.radiusServer, cn: 'radius-server', eku: SERVER_AUTH, san: 'DNS:radius-server, DNS:localhost' },
      { paths: l.authenticator, cn: 'authenticator', eku: SERVER_AUTH, san: 'DNS:localhost, IP Address:127.0.0.1' },
      { paths: l.agents['ap-1'], cn: 'ap-1', eku: CLIENT_AUTH },
      { paths: l.agents['ap-2'], cn: 'ap-2', eku: CLIENT_AUTH },
      { paths: l.stations.alice, cn: 'alice', eku: CLIENT_AUTH },
    ];
    for (const e of expect) {
      const x = new X509Certificate(readFileSync(e.paths.cert));
      assert.equal(x.verify(ca.publicKey), true, e.cn);
      assert.equal(subjectCommonName(x), e.cn);
      assert.deepEqual(x.keyUsage, [e.eku]);
      assert.equal(x.subjectAltName, e.san);
      assert.equal(mode(e.paths.key), 0o600);
      assert.equal(mode(e.paths.cert), 0o644);
    }
    assert.equal(mode(l.ca.key), 0o600);
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
    const ca = new X509Certificate(readFileSync(l.ca.cert));
    assert.equal(new X509Certificate(readFileSync(l.authenticator.cert)).verify(ca.publicKey), true);
  });

  it('names the authenticator by each serverName too, and reissues it when the names change', () => {
    const dir = freshDir();
    const named = writeDevPki(dir, { ...FAST, serverNames: ['authenticator'] });
    const x = new X509Certificate(readFileSync(named.authenticator.cert));
    assert.equal(x.subjectAltName, 'DNS:localhost, DNS:authenticator, IP Address:127.0.0.1');
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
