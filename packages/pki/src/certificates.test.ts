import assert from 'node:assert/strict';
import { X509Certificate } from 'node:crypto';
import type { AddressInfo } from 'node:net';
import { before, describe, it } from 'node:test';
import tls from 'node:tls';
import forge from 'node-forge';
import { createCa, issueCertificate, keyMatchesCertificate, PkiError, type Pem } from './index.js';

const SERVER_AUTH = '1.3.6.1.5.5.7.3.1';
const CLIENT_AUTH = '1.3.6.1.5.5.7.3.2';

/** Small keys where the test is about certificate contents, not TLS: RSA-1024 is ~6x faster to make. */
const FAST = { keyBits: 1024 };

describe('createCa', () => {
  it('is a self-signed CA with basicConstraints CA:true and keyCertSign', () => {
    const ca = createCa({ ...FAST, commonName: 'test CA', days: 30 });
    const x = new X509Certificate(ca.cert);
    assert.equal(x.ca, true);
    assert.equal(x.checkIssued(x), true);
    assert.equal(x.verify(x.publicKey), true);
    assert.match(x.subject, /CN=test CA/);
    assert.equal(keyMatchesCertificate(ca.cert, ca.key), true);
    assert.match(ca.key, /^-----BEGIN PRIVATE KEY-----/);
    const f = forge.pki.certificateFromPem(ca.cert);
    const bc = f.getExtension('basicConstraints') as { cA: boolean; critical: boolean };
    assert.deepEqual([bc.cA, bc.critical], [true, true]);
    const ku = f.getExtension('keyUsage') as { keyCertSign: boolean; cRLSign: boolean; critical: boolean };
    assert.deepEqual([ku.keyCertSign, ku.cRLSign, ku.critical], [true, true, true]);
    const days = (Date.parse(x.validTo) - Date.parse(x.validFrom)) / 86_400_000;
    assert.equal(days, 30);
  });

  it('uses 2048-bit RSA by default', () => {
    const x = new X509Certificate(createCa().cert);
    assert.equal(x.publicKey.asymmetricKeyDetails?.modulusLength, 2048);
  });

  const bad: { desc: string; opts: Parameters<typeof createCa>[0] }[] = [
    { desc: 'key too small', opts: { keyBits: 512 } },
    { desc: 'zero days', opts: { ...FAST, days: 0 } },
    { desc: 'empty common name', opts: { ...FAST, commonName: '' } },
    { desc: 'control character in common name', opts: { ...FAST, commonName: 'a\nb' } },
  ];
  for (const c of bad) {
    it(`refuses: ${c.desc}`, () => {
      assert.throws(() => createCa(c.opts), (e: unknown) => e instanceof PkiError && e.code === 'invalid-option');
    });
  }
});

describe('issueCertificate', () => {
  let ca: Pem;
  let caX: X509Certificate;
  before(() => {
    ca = createCa(FAST);
    caX = new X509Certificate(ca.cert);
  });

  it('issues a server certificate: serverAuth EKU, SANs, verifies against the CA', () => {
    const leaf = issueCertificate(ca, { ...FAST, commonName: 'radius', usage: 'server', dnsNames: ['localhost', 'radius.example'], ipAddresses: ['127.0.0.1', '::1'] });
    const x = new X509Certificate(leaf.cert);
    assert.equal(x.checkIssued(caX), true);
    assert.equal(x.verify(caX.publicKey), true);
    assert.equal(x.ca, false);
    assert.deepEqual(x.keyUsage, [SERVER_AUTH]);
    assert.equal(x.subjectAltName, 'DNS:localhost, DNS:radius.example, IP Address:127.0.0.1, IP Address:0:0:0:0:0:0:0:1');
    assert.equal(x.checkHost('localhost'), 'localhost');
    assert.equal(x.checkIP('127.0.0.1'), '127.0.0.1');
    assert.match(x.subject, /CN=radius/);
    assert.equal(keyMatchesCertificate(leaf.cert, leaf.key), true);
    assert.equal(keyMatchesCertificate(leaf.cert, ca.key), false);
    const f = forge.pki.certificateFromPem(leaf.cert);
    const aki = f.getExtension('authorityKeyIdentifier') as { value: string };
    const caSki = forge.pki.certificateFromPem(ca.cert).getExtension('subjectKeyIdentifier') as { subjectKeyIdentifier: string };
    assert.ok(forge.util.bytesToHex(aki.value).endsWith(caSki.subjectKeyIdentifier), 'AKI names the CA key');
  });

  it('issues a client certificate: clientAuth EKU, CN, no SAN', () => {
    const leaf = issueCertificate(ca, { ...FAST, commonName: 'ap-7', usage: 'client' });
    const x = new X509Certificate(leaf.cert);
    assert.equal(x.verify(caX.publicKey), true);
    assert.deepEqual(x.keyUsage, [CLIENT_AUTH]);
    assert.equal(x.subjectAltName, undefined);
    assert.equal(x.subject, 'O=airlock\nCN=ap-7');
  });

  it('gives random, positive serials', () => {
    const serials = new Set<string>();
    for (let i = 0; i < 3; i++) {
      const x = new X509Certificate(issueCertificate(ca, { ...FAST, commonName: 's', usage: 'client' }).cert);
      assert.match(x.serialNumber, /^[4-7][0-9A-F]{31}$/);
      serials.add(x.serialNumber);
    }
    assert.equal(serials.size, 3);
  });

  it('a certificate from another CA does not verify', () => {
    const other = createCa(FAST);
    const x = new X509Certificate(issueCertificate(other, { ...FAST, commonName: 'x', usage: 'client' }).cert);
    assert.equal(x.verify(caX.publicKey), false);
  });

  const bad: { desc: string; ca: () => Pem; opts: Parameters<typeof issueCertificate>[1]; code: string }[] = [
    { desc: 'CA key of another CA', ca: () => ({ cert: ca.cert, key: createCa(FAST).key }), opts: { commonName: 'x', usage: 'client' }, code: 'invalid-ca' },
    { desc: 'leaf certificate as CA', ca: () => issueCertificate(ca, { ...FAST, commonName: 'x', usage: 'server' }), opts: { commonName: 'x', usage: 'client' }, code: 'invalid-ca' },
    { desc: 'CA that is not PEM', ca: () => ({ cert: 'nope', key: 'nope' }), opts: { commonName: 'x', usage: 'client' }, code: 'invalid-ca' },
    { desc: 'bad IP address', ca: () => ca, opts: { commonName: 'x', usage: 'server', ipAddresses: ['300.1.1.1'] }, code: 'invalid-option' },
    { desc: 'bad DNS name', ca: () => ca, opts: { commonName: 'x', usage: 'server', dnsNames: ['a b'] }, code: 'invalid-option' },
    { desc: 'common name longer than 64', ca: () => ca, opts: { commonName: 'x'.repeat(65), usage: 'client' }, code: 'invalid-option' },
  ];
  for (const c of bad) {
    it(`refuses: ${c.desc}`, () => {
      const theCa = c.ca();
      assert.throws(() => issueCertificate(theCa, { ...FAST, ...c.opts }), (e: unknown) => e instanceof PkiError && e.code === c.code);
    });
  }
});

describe('TLS 1.3 with mutual authentication (node:tls)', () => {
  let ca: Pem;
  let server: Pem;
  let client: Pem;
  before(() => {
    ca = createCa();
    server = issueCertificate(ca, { commonName: 'authenticator', usage: 'server', dnsNames: ['localhost'], ipAddresses: ['127.0.0.1'] });
    client = issueCertificate(ca, { commonName: 'ap-1', usage: 'client' });
  });

  interface Outcome {
    client: { protocol: string | null; authorized: boolean } | Error;
    server: { cn: unknown; authorized: boolean } | Error;
  }

  /** One handshake: a server requiring a client certificate from `ca`, a client trusting `ca`. */
  async function handshake(serverPem: Pem, clientPem: Pem): Promise<Outcome> {
    const srv = tls.createServer({ key: serverPem.key, cert: serverPem.cert, ca: [ca.cert], requestCert: true, rejectUnauthorized: true, minVersion: 'TLSv1.3' });
    const serverSide = new Promise<Outcome['server']>((resolve) => {
      srv.on('secureConnection', (s) => {
        resolve({ cn: s.getPeerCertificate().subject.CN, authorized: s.authorized });
        s.end('ok');
      });
      srv.on('tlsClientError', (err) => resolve(err));
    });
    await new Promise<void>((resolve) => srv.listen(0, '127.0.0.1', resolve));
    try {
      const { port } = srv.address() as AddressInfo;
      const clientSide = new Promise<Outcome['client']>((resolve) => {
        const sock = tls.connect({ host: '127.0.0.1', port, servername: 'localhost', ca: [ca.cert], key: clientPem.key, cert: clientPem.cert, minVersion: 'TLSv1.3' });
        sock.on('secureConnect', () => {
          const r = { protocol: sock.getProtocol(), authorized: sock.authorized };
          // TLS 1.3: the server checks the client's certificate after the client is done; wait for its verdict.
          sock.on('data', () => { resolve(r); sock.end(); });
          sock.on('close', () => resolve(r));
        });
        sock.on('error', (err: Error) => resolve(err));
      });
      const [c, s] = await Promise.all([clientSide, serverSide]);
      return { client: c, server: s };
    } finally {
      srv.close();
    }
  }

  it('completes with both certificates verified', async () => {
    const r = await handshake(server, client);
    assert.deepEqual(r.client, { protocol: 'TLSv1.3', authorized: true });
    assert.deepEqual(r.server, { cn: 'ap-1', authorized: true });
  });

  it('the server refuses a client certificate from another CA', async () => {
    const stranger = issueCertificate(createCa(), { commonName: 'ap-1', usage: 'client' });
    const r = await handshake(server, stranger);
    assert.ok(r.server instanceof Error, 'server reports a TLS client error');
  });

  it('a client certificate cannot serve (no serverAuth EKU)', async () => {
    const r = await handshake(client, client);
    assert.ok(r.client instanceof Error);
    assert.match(r.client.message, /unsuitable certificate purpose/);
  });
});
