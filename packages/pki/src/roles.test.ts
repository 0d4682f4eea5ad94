import assert from 'node:assert/strict';
import { X509Certificate } from 'node:crypto';
import { before, describe, it } from 'node:test';
import forge from 'node-forge';
import { createCa, issueCertificate, issueIntermediateCa, issuerMark, PkiError, readRoleMark, roleMark, serverRoleProblem, verifyRole, type CertificateRole, type Pem } from './index.js';

const FAST = { keyBits: 1024 };

describe('role marks', () => {
  it('roleMark and issuerMark spell urn:airlock:<role>:<ID> and urn:airlock:ca:<role>', () => {
    assert.equal(roleMark('agent', 'ap-1'), 'urn:airlock:agent:ap-1');
    assert.equal(issuerMark('station'), 'urn:airlock:ca:station');
    assert.throws(() => roleMark('agent', 'a,b'), RangeError);
    assert.throws(() => roleMark('agent', ''), RangeError);
  });
});

describe('verifyRole', () => {
  let root: Pem;
  const cas = {} as Record<CertificateRole, Pem>;
  const caX = {} as Record<CertificateRole, X509Certificate>;
  before(() => {
    root = createCa(FAST);
    for (const role of ['agent', 'operator', 'station', 'radius'] as const) {
      cas[role] = issueIntermediateCa(root, { ...FAST, commonName: `test ${role} CA`, uris: [issuerMark(role)] });
      caX[role] = new X509Certificate(cas[role].cert);
    }
  });
  const leaf = (ca: () => Pem, cn: string, uris: string[], usage: 'client' | 'server' = 'client') => (): X509Certificate => new X509Certificate(issueCertificate(ca(), { ...FAST, commonName: cn, usage, uris }).cert);

  const cases: { desc: string; cert: () => X509Certificate; want: { ok: boolean; id?: string; reason?: string; markedAs?: string; detail?: RegExp | string } }[] = [
    { desc: 'an agent certificate of the agent CA', cert: leaf(() => cas.agent, 'ap-1', ['urn:airlock:agent:ap-1']), want: { ok: true, id: 'ap-1' } },
    { desc: 'a station certificate (the station CA, station mark)', cert: leaf(() => cas.station, 'ap-1', ['urn:airlock:station:ap-1']), want: { ok: false, reason: 'wrong-role', markedAs: 'station', detail: 'role station, not agent' } },
    { desc: 'an operator certificate', cert: leaf(() => cas.operator, 'operator', ['urn:airlock:operator:operator']), want: { ok: false, reason: 'wrong-role', markedAs: 'operator', detail: 'role operator, not agent' } },
    { desc: 'a RADIUS server certificate', cert: leaf(() => cas.radius, 'radius-server', ['urn:airlock:radius:radius-server'], 'server'), want: { ok: false, reason: 'wrong-role', markedAs: 'radius' } },
    { desc: 'the agent CA itself', cert: () => caX.agent, want: { ok: false, reason: 'wrong-role', markedAs: 'ca:agent' } },
    { desc: 'no mark, from the agent CA', cert: leaf(() => cas.agent, 'ap-1', []), want: { ok: false, reason: 'no-mark', detail: 'no role mark, not agent' } },
    { desc: 'an agent mark from the station CA', cert: leaf(() => cas.station, 'ap-1', ['urn:airlock:agent:ap-1']), want: { ok: false, reason: 'wrong-issuer', detail: /marked agent but issued by "O=airlock, CN=test station CA", not by the agent CA/ } },
    { desc: 'an agent mark from the root itself', cert: leaf(() => root, 'ap-1', ['urn:airlock:agent:ap-1']), want: { ok: false, reason: 'wrong-issuer' } },
    { desc: 'a mark naming another ID than the CN', cert: leaf(() => cas.agent, 'ap-1', ['urn:airlock:agent:ap-2']), want: { ok: false, reason: 'mark-cn-mismatch', detail: 'its mark names "ap-2" but its CN is "ap-1"' } },
    { desc: 'two marks', cert: leaf(() => cas.agent, 'ap-1', ['urn:airlock:agent:ap-1', 'urn:airlock:operator:ap-1']), want: { ok: false, reason: 'bad-mark', detail: /more than one/ } },
    { desc: 'an unknown role', cert: leaf(() => cas.agent, 'ap-1', ['urn:airlock:admin:ap-1']), want: { ok: false, reason: 'bad-mark', detail: /malformed role mark/ } },
    { desc: 'the namespace in upper case', cert: leaf(() => cas.agent, 'ap-1', ['URN:AIRLOCK:agent:ap-1']), want: { ok: false, reason: 'bad-mark' } },
    { desc: 'an ID outside the alphabet', cert: leaf(() => cas.agent, 'ap-1', ['urn:airlock:agent:ap-1;x']), want: { ok: false, reason: 'bad-mark' } },
  ];
  for (const c of cases) {
    it(c.desc, () => {
      const v = verifyRole(c.cert(), 'agent', caX.agent);
      const { detail, ...rest } = c.want;
      for (const [k, val] of Object.entries(rest)) assert.equal((v as Record<string, unknown>)[k], val, `${k}: ${JSON.stringify(v)}`);
      if (detail !== undefined && !v.ok) {
        if (typeof detail === 'string') assert.equal(v.detail, detail);
        else assert.match(v.detail, detail);
      }
    });
  }

  it('unreadable DER is refused, not thrown', () => {
    assert.deepEqual(verifyRole(Buffer.from('not a certificate'), 'agent', caX.agent), { ok: false, reason: 'unreadable', detail: 'the certificate cannot be parsed' });
  });

  it('readRoleMark reads a CA mark and a leaf mark', () => {
    assert.deepEqual(readRoleMark(caX.station), { ok: true, mark: { kind: 'issuer', role: 'station' } });
    assert.deepEqual(readRoleMark(leaf(() => cas.operator, 'bob', ['urn:airlock:operator:bob'])()), { ok: true, mark: { kind: 'leaf', role: 'operator', id: 'bob' } });
    assert.deepEqual(readRoleMark(new X509Certificate(root.cert)), { ok: false, problem: 'none', detail: 'no urn:airlock: role mark in subjectAltName' });
  });
});

describe('serverRoleProblem (a client checking the server)', () => {
  it('takes the role named by the one mark, with the CN; refuses another role, no mark, a CA', () => {
    const root = createCa(FAST);
    const ca = issueIntermediateCa(root, { ...FAST, commonName: 'servers', uris: [issuerMark('authenticator')] });
    const server = (cn: string, uris: string[]): Buffer => new X509Certificate(issueCertificate(ca, { ...FAST, commonName: cn, usage: 'server', dnsNames: ['localhost'], uris }).cert).raw;
    assert.equal(serverRoleProblem(server('authenticator', [roleMark('authenticator', 'authenticator')]), 'authenticator'), undefined);
    assert.equal(serverRoleProblem(server('radius-server', [roleMark('radius', 'radius-server')]), 'authenticator'), 'role radius, not authenticator');
    assert.equal(serverRoleProblem(server('authenticator', []), 'authenticator'), 'no role mark, not authenticator');
    assert.equal(serverRoleProblem(server('authenticator', [roleMark('authenticator', 'other')]), 'authenticator'), 'its mark names "other" but its CN is "authenticator"');
    assert.equal(serverRoleProblem(new X509Certificate(ca.cert).raw, 'authenticator'), 'a CA certificate (issuer of authenticator), not authenticator');
    assert.equal(serverRoleProblem(Buffer.from('junk'), 'authenticator'), 'the certificate cannot be parsed');
  });
});

describe('issueIntermediateCa', () => {
  it('is a CA for leaves only (pathLen 0) under its parent, with the key identifier chain and its mark', () => {
    const root = createCa(FAST);
    const inter = issueIntermediateCa(root, { ...FAST, commonName: 'agents', uris: [issuerMark('agent')] });
    const x = new X509Certificate(inter.cert);
    const r = new X509Certificate(root.cert);
    assert.equal(x.ca, true);
    assert.equal(x.checkIssued(r) && x.verify(r.publicKey), true);
    assert.equal(x.subjectAltName, 'URI:urn:airlock:ca:agent');
    const f = forge.pki.certificateFromPem(inter.cert);
    const bc = f.getExtension('basicConstraints') as { cA: boolean; pathLenConstraint: number; critical: boolean };
    assert.deepEqual([bc.cA, bc.pathLenConstraint, bc.critical], [true, 0, true]);
    const aki = f.getExtension('authorityKeyIdentifier') as { value: string };
    const rootSki = forge.pki.certificateFromPem(root.cert).getExtension('subjectKeyIdentifier') as { subjectKeyIdentifier: string };
    assert.ok(forge.util.bytesToHex(aki.value).endsWith(rootSki.subjectKeyIdentifier), 'AKI names the root key');
    // It issues leaves that chain to the root.
    const l = new X509Certificate(issueCertificate(inter, { ...FAST, commonName: 'ap-1', usage: 'client', uris: [roleMark('agent', 'ap-1')] }).cert);
    assert.equal(l.checkIssued(x) && l.verify(x.publicKey), true);
  });

  it('refuses a URI that is not one', () => {
    const root = createCa(FAST);
    assert.throws(() => issueIntermediateCa(root, { ...FAST, commonName: 'x', uris: ['not a uri'] }), (e: unknown) => e instanceof PkiError && e.code === 'invalid-option');
    assert.throws(() => issueCertificate(root, { ...FAST, commonName: 'x', usage: 'client', uris: ['urn:a,b'] }), (e: unknown) => e instanceof PkiError && e.code === 'invalid-option');
  });
});
