#!/usr/bin/env node
// npm run demo:enterprise: the demo topology with WPA2-Enterprise on loopback — a real
// FreeRADIUS (Debian `freeradius`, started by the test harness test/support/freeradius.ts;
// needs root), a development PKI, the authenticator with one 802.1X network relaying EAP to
// that FreeRADIUS, and 3 sim agents x 20 stations (2 BSSes each) whose stations alternate
// EAP-TLS (client certificates) and EAP-TTLS/PAP (username and password). Stations join,
// stay, leave, rejoin and roam over a lossy air; a roam or a rejoin offers the cached PMKID
// and skips EAP (PMKSA caching across agents). A status line once a second is read from the
// authenticator's /metrics and from the sim radios.
//
// The agents run in this process (the agent CLI only builds PSK sims); the authenticator and
// FreeRADIUS are separate processes. Runs until Ctrl-C. Logs and the PKI go to .demo/.
// AIRLOCK_DEMO_AGENTS, AIRLOCK_DEMO_STATIONS change the size.
import { spawn } from 'node:child_process';
import { existsSync, mkdirSync, openSync, readFileSync, writeFileSync } from 'node:fs';
import { formatMs, freePort, freeSocketPath, freeUdpPort, startStatusLine } from './demo-support.mjs';
import { join } from 'node:path';

const root = new URL('..', import.meta.url).pathname;
const APT_LINE = 'apt-get install -y freeradius';

let harness, pkiLib, agentLib, rsn, metricsLib, pino;
try {
  harness = await import(join(root, 'test/dist/support/freeradius.js'));
  pkiLib = await import(join(root, 'packages/pki/dist/index.js'));
  agentLib = await import(join(root, 'services/edge-agent/dist/index.js'));
  rsn = await import(join(root, 'packages/rsn/dist/index.js'));
  metricsLib = await import(join(root, 'services/authenticator/dist/metrics.js'));
  pino = (await import('pino')).default;
} catch {
  console.error('airlock is not built: run `npm install` (it builds) or `npm run build`.');
  process.exit(1);
}

if (!existsSync(harness.FREERADIUS_BIN)) {
  console.error(`FreeRADIUS is not installed (${harness.FREERADIUS_BIN}). Install the Debian package as root:\n\n  ${APT_LINE}\n`);
  process.exit(1);
}
const unavailable = harness.freeRadiusUnavailable();
if (unavailable !== undefined) {
  console.error(`cannot run FreeRADIUS here: ${unavailable}`);
  process.exit(1);
}

const AGENTS = Number(process.env.AIRLOCK_DEMO_AGENTS ?? 3);
const STATIONS = Number(process.env.AIRLOCK_DEMO_STATIONS ?? 20);
const SSID = 'airlock-corp';
const RADIUS_SECRET = 'airlock-demo-radius-secret';
// EAP-TLS stations share a few client certificates (RSA key generation is slow; the PKI in
// .demo/pki is kept and reused by later runs).
const TLS_CERTIFICATES = ['demo-laptop-1', 'demo-laptop-2', 'demo-laptop-3', 'demo-laptop-4'];

// ---- stopping ---------------------------------------------------------------------------
let stopping = false;
let freeRadius;
let authenticator;
const agents = [];
async function stop(code = 0) {
  if (stopping) return;
  stopping = true;
  process.stdout.write('\nstopping...\n');
  setTimeout(() => process.exit(code), 5000).unref();
  await Promise.allSettled(agents.map((a) => a.stop()));
  if (authenticator !== undefined && authenticator.exitCode === null) {
    const exited = new Promise((r) => authenticator.once('exit', r));
    authenticator.kill('SIGTERM');
    await exited;
  }
  await freeRadius?.stop().catch(() => undefined);
  process.exit(code);
}
// Installed before FreeRADIUS starts, so that the harness leaves these signals to us.
process.on('SIGINT', () => void stop(0));
process.on('SIGTERM', () => void stop(0));

// ---- PKI, FreeRADIUS --------------------------------------------------------------------
const logDir = join(root, '.demo');
mkdirSync(logDir, { recursive: true });
const pki = pkiLib.writeDevPki(join(logDir, 'pki'), { stations: TLS_CERTIFICATES, operators: ['operator'], agents: Array.from({ length: AGENTS }, (_v, i) => `ap-${i + 1}`) });
const ca = readFileSync(pki.ca.cert, 'utf8');
const certs = TLS_CERTIFICATES.map((name) => ({ name, cert: readFileSync(pki.stations[name].cert, 'utf8'), key: readFileSync(pki.stations[name].key, 'utf8') }));

/** Station k of agent i: even k EAP-TLS, odd k TTLS/PAP with its own user. */
function stationEap(i, k) {
  if (k % 2 === 0) {
    const c = certs[(i + k / 2) % certs.length];
    return { method: 'EAP-TLS', eap: { identity: c.name, config: { method: 'tls', cert: c.cert, key: c.key, ca, serverName: 'radius-server' } } };
  }
  const username = `user-${i}-${k + 1}`;
  return { method: 'TTLS/PAP', eap: { identity: username, config: { method: 'ttls-pap', username, password: `${username} password`, anonymousIdentity: 'anonymous', ca, serverName: 'radius-server' } } };
}

const users = [...TLS_CERTIFICATES.map((name) => ({ name }))];
for (let i = 1; i <= AGENTS; i++) {
  for (let k = 0; k < STATIONS; k++) {
    const s = stationEap(i, k);
    if (s.eap.config.method === 'ttls-pap') users.push({ name: s.eap.config.username, password: s.eap.config.password });
  }
}

console.log('airlock enterprise demo: starting FreeRADIUS...');
try {
  freeRadius = await harness.startFreeRadius({
    secret: RADIUS_SECRET,
    users,
    pki: { caCert: pki.ca.cert, stationCa: pki.issuers.station.cert, serverCert: pki.radiusServer.cert, serverKey: pki.radiusServer.key },
  });
} catch (err) {
  console.error(`FreeRADIUS did not start: ${err.message}`);
  process.exit(1);
}
if (stopping) process.exit(0);

// ---- authenticator ----------------------------------------------------------------------
const grpcPort = await freePort(50051);
const httpPort = await freePort(9464);
const adminSocket = await freeSocketPath(logDir, 'admin-enterprise');
// The Dynamic Authorization Server (RFC 5176) on its port, 3799, unless something holds it.
const DAS_SECRET = 'airlock demo das secret';
const dasPort = await freeUdpPort(3799);
const configPath = join(logDir, 'authenticator-enterprise.yaml');
// JSON is YAML: the same keys as services/authenticator/config/example.yaml.
const config = {
  // mTLS with the development PKI: agents are identified by their certificates.
  // Only agent certificates (the agent CA's, marked urn:airlock:agent:<id>) are agents.
  grpc: { listen: `127.0.0.1:${grpcPort}`, tls: { cert: pki.authenticator.cert, key: pki.authenticator.key, ca: pki.ca.cert, agent_ca: pki.issuers.agent.cert } },
  http: { listen: `127.0.0.1:${httpPort}` },
  // The Admin API on a local socket: npm run airlock -- stations --socket .demo/admin-enterprise.sock
  admin: { socket: adminSocket },
  log: { level: 'info' },
  radius: {
    servers: [{ name: 'freeradius', host: '127.0.0.1', auth_port: freeRadius.authPort, acct_port: freeRadius.acctPort, secret: RADIUS_SECRET }],
    accounting: true,
  },
  // Disconnect-Request and CoA-Request from a policy server on this machine (radclient).
  das: { listen: `127.0.0.1:${dasPort}`, clients: [{ name: 'local', address: '127.0.0.1', secret: DAS_SECRET }] },
  // EAP-Requests lost on the lossy air are resent after 1 s rather than 3 s.
  eap: { retransmit_ms: 1000 },
  networks: [{ ssid: SSID, akms: ['8021x'], group_rekey_s: 60, rekey_gtk_on_leave: false }],
};
writeFileSync(configPath, `${JSON.stringify(config, null, 2)}\n`, { mode: 0o600 });

console.log(`authenticator gRPC 127.0.0.1:${grpcPort}, metrics http://127.0.0.1:${httpPort}/metrics; FreeRADIUS auth 127.0.0.1:${freeRadius.authPort} (config ${freeRadius.dir})`);
console.log(`${AGENTS} agents x ${STATIONS} stations, SSID "${SSID}" (802.1X): EAP-TLS and TTLS/PAP; logs in .demo/. Ctrl-C to stop.`);
console.log(`Dynamic Authorization (RFC 5176) enabled on 127.0.0.1:${dasPort} for client 127.0.0.1, secret "${DAS_SECRET}"${dasPort === 3799 ? '' : ' (3799 was taken)'}; try:`);
console.log(`  echo 'Calling-Station-Id = "<station MAC>", Event-Timestamp = '$(date +%s)', Message-Authenticator = 0x00' | radclient -x 127.0.0.1:${dasPort} disconnect '${DAS_SECRET}'`);
const authLog = openSync(join(logDir, 'authenticator-enterprise.log'), 'w');
// Its own process group: Ctrl-C (or `timeout`) signals the whole foreground group, and the
// agents should leave before the authenticator stops (else they see it vanish and retry).
authenticator = spawn(process.execPath, ['services/authenticator/dist/main.js', '--config', configPath], { cwd: root, stdio: ['ignore', authLog, authLog], detached: true });
process.on('exit', () => {
  if (authenticator.exitCode === null && authenticator.signalCode === null) authenticator.kill('SIGKILL');
});
authenticator.on('exit', (code, sig) => {
  if (!stopping) {
    console.error(`\nauthenticator exited (${sig ?? code}); see .demo/authenticator-enterprise.log`);
    void stop(1);
  }
});

async function metrics() {
  try {
    const res = await fetch(`http://127.0.0.1:${httpPort}/metrics`);
    return metricsLib.parsePrometheusText(await res.text());
  } catch {
    return undefined;
  }
}
for (let i = 0; i < 100 && (await metrics()) === undefined && !stopping; i++) await new Promise((r) => setTimeout(r, 100));

// ---- sim agents (in this process) --------------------------------------------------------
const agentLogger = pino({ level: 'info', base: { service: 'edge-agent' } }, pino.destination({ dest: join(logDir, 'agents-enterprise.log'), sync: false }));
const methodOf = new Map(); // "02:5a:..." -> 'EAP-TLS' | 'TTLS/PAP'
const drivers = [];
for (let i = 1; i <= AGENTS && !stopping; i++) {
  const topology = { agentNumber: i, bsses: 2, stations: STATIONS, ssid: SSID, passphrase: '' };
  const stations = agentLib.simStations(topology).map((s, k) => {
    const { method, eap } = stationEap(i, k);
    methodOf.set(rsn.formatMac(s.mac), method);
    return { ...s, eap };
  });
  const driver = new agentLib.SimDriver({
    bsses: agentLib.simBsses(topology).map((b) => ({ ...b, akm: rsn.AKM.IEEE8021X })),
    stations,
    air: { lossRate: 0.01, minDelayMs: 1, maxDelayMs: 4, duplicateRate: 0.005, reorderRate: 0.005, reorderDelayMs: 5 },
    behaviour: { joinSpreadMs: 3000, dwellMs: [15000, 45000], awayMs: [2000, 8000], roamProbability: 0.4 },
    seed: i,
  });
  driver.on('violation', (text) => agentLogger.error({ agent: `ap-${i}`, violation: text }, 'ordering violation seen by the radio'));
  const link = agentLib.linkSecurity({ 'pki-dir': pki.dir }, `ap-${i}`);
  const agent = new agentLib.EdgeAgent({ agentId: `ap-${i}`, target: `localhost:${grpcPort}`, driver, logger: agentLogger, credentials: link.credentials });
  drivers.push(driver);
  agents.push(agent);
  await agent.start();
}

// ---- status line --------------------------------------------------------------------------
startStatusLine({
  metrics,
  histogramQuantile: metricsLib.histogramQuantile,
  total: AGENTS * STATIONS,
  isStopping: () => stopping,
  details: () => {
    const byMethod = { 'EAP-TLS': 0, 'TTLS/PAP': 0 };
    for (const d of drivers) for (const v of d.keyViews()) if (v.state === 'authorized') byMethod[methodOf.get(v.sta)]++;
    return `TLS ${byMethod['EAP-TLS']}, TTLS ${byMethod['TTLS/PAP']}; `;
  },
  suffix: (m) =>
    ` | EAP accept ${m.get('airlock_eap_authentications_total{result="accept"}') ?? 0} reject ${m.get('airlock_eap_authentications_total{result="reject"}') ?? 0}` +
    ` | RADIUS rtt p99 ${formatMs(metricsLib.histogramQuantile(m, 'airlock_radius_rtt_seconds', 0.99))}`,
});
