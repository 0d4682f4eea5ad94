/**
 * Certificate roles (issue 13 item 2; DESIGN.md "Security", "Roles"): trusting the root CA is
 * not enough. Every cross-role use of a certificate of the test PKI (one root, one
 * intermediate CA per role, marks urn:airlock:<role>:<CN>) is refused, by real processes:
 * - AgentLink (the authenticator as its own process) takes agent certificates only: a
 *   station's, an operator's (also one whose CN is an agent id), a RADIUS server's and the
 *   CA's own certificate are refused with PERMISSION_DENIED before any Welcome, each with one
 *   log line and counted; so are a certificate of the agent CA without the mark and one with
 *   the agent mark from the station CA. Server certificates (serverAuth only) do not even
 *   pass the TLS handshake;
 * - the Admin API over TCP takes operator certificates only (a station's named "operator",
 *   an agent's, a RADIUS server's, an operator mark from another CA are refused);
 * - the other way round, an agent and the CLI take an authenticator's certificate only: a
 *   server presenting the RADIUS server's certificate (its name and chain are fine) is refused;
 * - FreeRADIUS takes EAP-TLS from station certificates only, in both configurations of the
 *   project (the test harness's and deploy/freeradius/ of the compose deployment): the
 *   agent's and the operator's are rejected by issuer, the unmarked and the agent-marked
 *   ones of the station CA by the check-eap-tls policy, while station certificates are
 *   accepted.
 * Certificates outside the test PKI's layout are made here with @airlock/pki's primitives.
 */
import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import * as grpc from '@grpc/grpc-js';
import { chainPem, issueCertificate, roleMark, type CertificateRole, type Pem } from '@airlock/pki';
import { RadiusClient } from '@airlock/radius';
import { runCli } from '@airlock/authenticator/cli';
import { linkSecurity, simBssRsne } from '@airlock/edge-agent';
import { AgentLinkClient } from '@airlock/proto';
import { AKM } from '@airlock/rsn';
import { startAuthenticatorProcess, REPO_ROOT, type AuthenticatorProcess } from '../support/authenticator-process.js';
import { startFreeRadius, type FreeRadius } from '../support/freeradius.js';
import { bssInfo, RawAgent } from '../support/raw-agent.js';
import { OPERATOR_NAMED_LIKE_AN_AGENT, serverTlsYaml, testPki, TEST_OPERATOR } from '../support/test-pki.js';
import { TEST_PASSPHRASE, TEST_SSID, waitFor } from '../support/topology.js';
import { authenticateDirect } from '../bench/support/direct-eap.js';

const SSID = Buffer.from(TEST_SSID);
const RSNE = simBssRsne(AKM.PSK);
const bss = (n: number): Buffer => Buffer.from([0x02, 0xec, 0, 0, 0, n]);

/** A client certificate (chain) and key, as PEM text. */
interface Credential {
  cert: string;
  key: string;
}

const read = (path: string): string => readFileSync(path, 'utf8');

/** The test PKI's files, and certificates it does not have, made with the role CAs' keys. */
function credentials(): Record<string, Credential> {
  const p = testPki();
  const ca = (role: CertificateRole): Pem => ({ cert: read(p.issuers[role].cert), key: read(p.issuers[role].key) });
  const made = (role: CertificateRole, cn: string, uris: string[]): Credential => {
    const issuer = ca(role);
    const pem = issueCertificate(issuer, { commonName: cn, usage: 'client', uris });
    return { cert: chainPem(pem.cert, issuer.cert), key: pem.key };
  };
  const file = (paths: { cert: string; key: string }): Credential => ({ cert: read(paths.cert), key: read(paths.key) });
  return {
    agent: file(p.agents['raw-11']),
    station: file(p.stations['raw-16']),
    stationNamedOperator: file(p.stations[TEST_OPERATOR]),
    operator: file(p.operators[TEST_OPERATOR]),
    operatorNamedLikeAnAgent: file(p.operators[OPERATOR_NAMED_LIKE_AN_AGENT]),
    radiusServer: file(p.radiusServer),
    authenticatorServer: file(p.authenticator),
    // A RADIUS server's certificate that also allows clientAuth (common in real PKIs).
    radiusClientAuth: made('radius', 'radius-server', [roleMark('radius', 'radius-server')]),
    unmarkedFromAgentCa: made('agent', 'raw-14', []),
    agentMarkFromStationCa: made('station', 'raw-13', [roleMark('agent', 'raw-13')]),
    operatorMarkFromStationCa: made('station', 'operator', [roleMark('operator', 'operator')]),
    unmarkedFromStationCa: made('station', 'raw-12', []),
  };
}

/** pino lines of a log file whose message starts with `prefix`. */
function logLines(file: string, prefix: string): { msg: string; reason?: string; cn?: string }[] {
  return read(file)
    .split('\n')
    .filter((l) => l.startsWith('{'))
    .map((l) => JSON.parse(l) as { msg: string; reason?: string; cn?: string })
    .filter((l) => l.msg.startsWith(prefix));
}

void describe('certificate roles', () => {
  let dir: string;
  let auth: AuthenticatorProcess;
  let creds: Record<string, Credential>;
  const root = (): Buffer => readFileSync(testPki().ca.cert);

  before(async () => {
    dir = mkdtempSync(join(tmpdir(), 'airlock-cert-roles-'));
    creds = credentials();
    auth = await startAuthenticatorProcess('cert-roles', dir, {
      grpc: { plaintext: false, tls: serverTlsYaml() },
      networks: [{ ssid: TEST_SSID, akms: ['psk'], passphrases: [TEST_PASSPHRASE], group_rekey_s: 0 }],
    });
  });
  after(async () => {
    await auth?.stop();
    rmSync(dir, { recursive: true, force: true });
  });

  void describe('AgentLink takes agent certificates only', () => {
    const raws: RawAgent[] = [];
    after(() => {
      for (const r of raws) r.close();
    });
    /** Opens a stream with `c` and says Hello as `agentId` for BSS n. */
    const attempt = (c: Credential, agentId: string, n: number): RawAgent => {
      const raw = new RawAgent(`localhost:${auth.grpcPort}`, { credentials: grpc.credentials.createSsl(root(), Buffer.from(c.key), Buffer.from(c.cert)) });
      raws.push(raw);
      raw.hello({ agentId, bsses: [bssInfo({ bssid: bss(n), ssid: SSID, rsne: RSNE })] });
      return raw;
    };

    void it('an agent certificate is welcomed (the control)', async () => {
      const raw = attempt(creds.agent, 'raw-11', 1);
      await raw.nextMessage((m) => m.body?.$case === 'welcome');
    });

    const refused: { desc: string; cred: string; cn: string; reason: string; line: string }[] = [
      { desc: "a station's EAP-TLS certificate", cred: 'station', cn: 'raw-16', reason: 'wrong_certificate_role', line: 'role station, not agent' },
      { desc: "the operator's certificate", cred: 'operator', cn: TEST_OPERATOR, reason: 'wrong_certificate_role', line: 'role operator, not agent' },
      { desc: 'an operator certificate whose CN is an agent id', cred: 'operatorNamedLikeAnAgent', cn: OPERATOR_NAMED_LIKE_AN_AGENT, reason: 'wrong_certificate_role', line: 'role operator, not agent' },
      { desc: "a RADIUS server's certificate that allows clientAuth", cred: 'radiusClientAuth', cn: 'radius-server', reason: 'wrong_certificate_role', line: 'role radius, not agent' },
      { desc: 'a certificate of the agent CA without the mark', cred: 'unmarkedFromAgentCa', cn: 'raw-14', reason: 'certificate_no_mark', line: 'no role mark, not agent' },
      { desc: 'a certificate with the agent mark from the station CA', cred: 'agentMarkFromStationCa', cn: 'raw-13', reason: 'certificate_wrong_issuer', line: 'marked agent but issued by "O=airlock, CN=airlock development station CA", not by the agent CA "O=airlock, CN=airlock development agent CA"' },
    ];
    refused.forEach((c, i) => {
      void it(`refuses ${c.desc}: PERMISSION_DENIED before any Welcome, one log line`, async () => {
        const raw = attempt(creds[c.cred], c.cn, 10 + i);
        const s = await raw.ended(5000);
        assert.equal(s.codeName, 'PERMISSION_DENIED', s.details);
        assert.equal(s.details, `not an agent certificate: ${c.line}`);
        assert.deepEqual(raw.received, [], 'no Welcome, no InstallGroupKey');
        const line = `AgentLink refused a client certificate: ${c.line} (CN ${c.cn})`;
        assert.ok(await waitFor(() => logLines(auth.logFile, line).length > 0, 3000), `log line: ${line}`);
        assert.equal(logLines(auth.logFile, line).length, 1, 'one line per refusal');
      });
    });

    void it('server certificates (serverAuth only) do not pass the TLS handshake', async () => {
      for (const cred of ['radiusServer', 'authenticatorServer']) {
        const raw = attempt(creds[cred], cred, 30);
        const s = await raw.ended(5000);
        assert.equal(s.codeName, 'UNAVAILABLE', `${cred}: ${s.details}`);
        assert.deepEqual(raw.received, []);
      }
    });

    void it('counts each refusal by reason; only the agent holds a BSS', async () => {
      const m = await auth.metrics();
      assert.equal(m.get('airlock_agent_protocol_errors_total{reason="wrong_certificate_role"}'), 4);
      assert.equal(m.get('airlock_agent_protocol_errors_total{reason="certificate_no_mark"}'), 1);
      assert.equal(m.get('airlock_agent_protocol_errors_total{reason="certificate_wrong_issuer"}'), 1);
      const out: string[] = [];
      const code = await runCli(['agents', '--socket', auth.adminSocket, '--json'], { out: (l) => out.push(l), err: (l) => out.push(l) });
      assert.equal(code, 0, out.join('\n'));
      const agents = JSON.parse(out.join('\n')) as { agentId: string; bssids: string[] }[];
      assert.deepEqual(agents.map((a) => [a.agentId, a.bssids]), [['raw-11', ['02:ec:00:00:00:01']]]);
    });
  });

  void describe('the Admin API over TCP takes operator certificates only', () => {
    let files = 0;
    /** `airlock agents` over mTLS with `c`. */
    const asCli = async (c: Credential): Promise<{ code: number; err: string; out: string }> => {
      const cert = join(dir, `cli-${(files += 1)}.pem`);
      const key = `${cert}.key`;
      writeFileSync(cert, c.cert);
      writeFileSync(key, c.key, { mode: 0o600 });
      const out: string[] = [];
      const err: string[] = [];
      const code = await runCli(['agents', '--server', `localhost:${auth.adminPort}`, '--tls-ca', testPki().ca.cert, '--tls-cert', cert, '--tls-key', key, '--timeout-s', '3'], { out: (l) => out.push(l), err: (l) => err.push(l) });
      return { code, out: out.join('\n'), err: err.join('\n') };
    };

    void it('the operator certificate works (the control)', async () => {
      const r = await asCli(creds.operator);
      assert.equal(r.code, 0, r.err);
      assert.match(r.out, /^AGENT/);
    });

    const refused: { desc: string; cred: string; cn: string; line: string }[] = [
      { desc: 'a station certificate named like the operator', cred: 'stationNamedOperator', cn: TEST_OPERATOR, line: 'role station, not operator' },
      { desc: "an agent's certificate", cred: 'agent', cn: 'raw-11', line: 'role agent, not operator' },
      { desc: "a RADIUS server's certificate that allows clientAuth", cred: 'radiusClientAuth', cn: 'radius-server', line: 'role radius, not operator' },
      { desc: 'an operator mark from the station CA', cred: 'operatorMarkFromStationCa', cn: TEST_OPERATOR, line: 'marked operator but issued by "O=airlock, CN=airlock development station CA", not by the operator CA "O=airlock, CN=airlock development operator CA"' },
    ];
    for (const c of refused) {
      void it(`refuses ${c.desc}, with one log line`, async () => {
        const r = await asCli(creds[c.cred]);
        assert.equal(r.code, 1);
        assert.equal(r.err, `airlock agents: not an operator certificate: ${c.line}`);
        const line = `Admin API refused a client certificate: ${c.line} (CN ${c.cn})`;
        assert.ok(await waitFor(() => logLines(auth.logFile, line).length === 1, 3000), `log line: ${line}`);
      });
    }

    void it('a server certificate (serverAuth only) does not pass the TLS handshake', async () => {
      const r = await asCli(creds.authenticatorServer);
      assert.equal(r.code, 1);
      assert.match(r.err, /^airlock agents: cannot reach the authenticator's Admin API at localhost:\d+/);
    });
  });

  void describe('agents and the CLI take an authenticator certificate only', () => {
    /** A TLS gRPC server on a free loopback port with `serverCred`, serving nothing (calls get UNIMPLEMENTED). */
    const serve = async (serverCred: Credential): Promise<{ port: number; stop(): void }> => {
      const server = new grpc.Server();
      const port = await new Promise<number>((resolve, reject) => server.bindAsync('127.0.0.1:0', grpc.ServerCredentials.createSsl(root(), [{ cert_chain: Buffer.from(serverCred.cert), private_key: Buffer.from(serverCred.key) }], false), (e, p) => (e ? reject(e) : resolve(p))));
      return { port, stop: () => server.forceShutdown() };
    };
    /** One Connect with the agent's own credentials (linkSecurity, --pki-dir); the status it ends with. */
    const agentCall = async (port: number): Promise<grpc.StatusObject> => {
      const link = linkSecurity({ 'pki-dir': testPki().dir }, 'raw-11');
      const client = new AgentLinkClient(`localhost:${port}`, link.credentials, link.channelOptions);
      try {
        return await new Promise<grpc.StatusObject>((resolve) => {
          const call = client.connect({ deadline: new Date(Date.now() + 5000) });
          call.on('error', () => undefined);
          call.on('status', resolve);
        });
      } finally {
        client.close();
      }
    };

    void it("an agent refuses a server with the RADIUS server's certificate; the authenticator's passes", async () => {
      const fake = await serve(creds.radiusServer);
      const real = await serve(creds.authenticatorServer);
      try {
        const refused = await agentCall(fake.port);
        assert.equal(refused.code, grpc.status.UNAVAILABLE);
        assert.match(refused.details, /the server at localhost is not an authenticator: role radius, not authenticator/);
        const passed = await agentCall(real.port);
        assert.equal(passed.code, grpc.status.UNIMPLEMENTED, passed.details);
      } finally {
        fake.stop();
        real.stop();
      }
    });

    void it("the CLI refuses an Admin server with the RADIUS server's certificate", async () => {
      const fake = await serve(creds.radiusServer);
      try {
        const out: string[] = [];
        const err: string[] = [];
        const code = await runCli(['agents', '--server', `localhost:${fake.port}`, '--pki-dir', testPki().dir, '--timeout-s', '3'], { out: (l) => out.push(l), err: (l) => err.push(l) });
        assert.equal(code, 1);
        assert.match(err.join('\n'), /^airlock agents: cannot reach the authenticator's Admin API at localhost:\d+: .*the server at localhost is not an authenticator: role radius, not authenticator/);
      } finally {
        fake.stop();
      }
    });
  });

  /** deploy/freeradius/mods-enabled/eap reading its key and certificates from ${certdir}/airlock (the overlay's test PKI) instead of /run/airlock-radius. */
  function composeEapModule(): string {
    const text = readFileSync(join(REPO_ROOT, 'deploy/freeradius/mods-enabled/eap'), 'utf8');
    assert.match(text, /\/run\/airlock-radius\//);
    const file = join(mkdtempSync(join(tmpdir(), 'airlock-compose-eap-')), 'eap');
    writeFileSync(file, text.replaceAll('/run/airlock-radius/', '${certdir}/airlock/'));
    return file;
  }

  void describe('FreeRADIUS takes EAP-TLS from station certificates only', () => {
    const SECRET = 'cert roles secret';
    const configurations: { name: string; overlay: () => Record<string, string> }[] = [
      { name: 'the test harness (test/support/freeradius.ts)', overlay: () => ({}) },
      {
        // What docker-compose.yml mounts into the FreeRADIUS container, with the test PKI in
        // place of the files its entrypoint copies to /run/airlock-radius.
        name: 'the compose deployment (deploy/freeradius/)',
        overlay: () => ({
          'mods-enabled/eap': composeEapModule(),
          'sites-enabled/check-eap-tls': join(REPO_ROOT, 'deploy/freeradius/sites-enabled/check-eap-tls'),
          dictionary: join(REPO_ROOT, 'deploy/freeradius/dictionary'),
          'certs/airlock': testPki().dir,
        }),
      },
    ];
    const cases: { cred: string; identity: string; accept: boolean }[] = [
      { cred: 'station', identity: 'raw-16', accept: true },
      { cred: 'stationNamedOperator', identity: TEST_OPERATOR, accept: true },
      { cred: 'agent', identity: 'raw-11', accept: false },
      { cred: 'operator', identity: TEST_OPERATOR, accept: false },
      { cred: 'unmarkedFromStationCa', identity: 'raw-12', accept: false },
      { cred: 'agentMarkFromStationCa', identity: 'raw-13', accept: false },
    ];
    for (const conf of configurations) {
      void describe(conf.name, () => {
        let radius: FreeRadius;
        let client: RadiusClient;
        before(async () => {
          const p = testPki();
          radius = await startFreeRadius({
            secret: SECRET,
            users: [...new Set(cases.map((c) => c.identity))].map((name) => ({ name })),
            pki: { caCert: p.ca.cert, stationCa: p.issuers.station.cert, serverCert: p.radiusServer.cert, serverKey: p.radiusServer.key },
            overlay: conf.overlay(),
          });
          client = new RadiusClient({ servers: [{ name: 'freeradius', host: '127.0.0.1', authPort: radius.authPort, acctPort: radius.acctPort, secret: Buffer.from(SECRET) }] });
          await client.start();
        });
        after(async () => {
          await client?.close();
          await radius?.stop();
        });
        cases.forEach((c, i) => {
          void it(`${c.cred} (CN ${c.identity}): ${c.accept ? 'Access-Accept' : 'Access-Reject'}`, async () => {
            const ca = read(testPki().ca.cert);
            const r = await authenticateDirect(client, { identity: c.identity, config: { method: 'tls', cert: creds[c.cred].cert, key: creds[c.cred].key, ca, serverName: 'radius-server' } }, Buffer.from([0x02, 0xec, 0x01, 0, 0, i + 1]), 'airlock-corp');
            if (c.accept) assert.ok(r.ok, r.error);
            else {
              assert.equal(r.ok, false);
              assert.match(r.error ?? '', /^Access-Reject/, `log:\n${radius.log().slice(-2000)}`);
            }
          });
        });
      });
    }
  });
});
