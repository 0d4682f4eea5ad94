#!/usr/bin/env node
// npm start: the demo topology on loopback — an authenticator, 3 sim agents x 20 stations
// on one WPA2/WPA3 transition-mode SSID (2 BSSes each, PSK and SAE; every second station
// runs SAE with PMF, the others WPA2-PSK; stations join, stay, leave, rejoin and roam over
// a lossy air), and a status line once a second read from the authenticator's /metrics.
// Runs until Ctrl-C. Process logs go to .demo/*.log.
import { spawn } from 'node:child_process';
import { mkdirSync, openSync, readFileSync, writeFileSync } from 'node:fs';
import { join, relative } from 'node:path';
import { freePort, freeSocketPath, startStatusLine } from './demo-support.mjs';

const root = new URL('..', import.meta.url).pathname;
const [{ parsePrometheusText, histogramQuantile }, { writeDevPki }] = await Promise.all([
  import(join(root, 'services/authenticator/dist/metrics.js')),
  import(join(root, 'packages/pki/dist/index.js')),
]).catch(() => {
  console.error('airlock is not built: run `npm install` (it builds) or `npm run build`.');
  process.exit(1);
});

const AGENTS = Number(process.env.AIRLOCK_DEMO_AGENTS ?? 3);
const STATIONS = Number(process.env.AIRLOCK_DEMO_STATIONS ?? 20);
const PASSPHRASE = 'correct horse battery staple';

const grpcPort = await freePort(50051);
const httpPort = await freePort(9464);
const logDir = join(root, '.demo');
mkdirSync(logDir, { recursive: true });
// The Admin API: a local socket (its file mode, 0660, decides who may administer).
const adminSocket = await freeSocketPath(logDir, 'admin');
// Development certificates for mTLS (kept in .demo/pki and reused by later runs).
const agentIds = Array.from({ length: AGENTS }, (_v, i) => `ap-${i + 1}`);
const pki = writeDevPki(join(logDir, 'pki'), { agents: agentIds, operators: ['operator'] });
const configPath = join(logDir, 'authenticator.yaml');
writeFileSync(configPath, readFileSync(join(root, 'services/authenticator/config/demo.yaml'), 'utf8').replace('${GRPC_PORT}', grpcPort).replace('${HTTP_PORT}', httpPort).replace('${ADMIN_SOCKET}', adminSocket).replaceAll('${PKI_DIR}', pki.dir));

const children = [];
function run(name, args) {
  const log = openSync(join(logDir, `${name}.log`), 'w');
  const child = spawn(process.execPath, args, { cwd: root, stdio: ['ignore', log, log] });
  child.on('exit', (code, sig) => {
    if (!stopping) {
      console.error(`\n${name} exited (${sig ?? code}); see .demo/${name}.log`);
      stop(1);
    }
  });
  children.push(child);
  return child;
}

let stopping = false;
function stop(code = 0) {
  if (stopping) return;
  stopping = true;
  process.stdout.write('\nstopping...\n');
  for (const c of children) c.kill('SIGTERM');
  setTimeout(() => process.exit(code), 1500).unref();
  Promise.all(children.map((c) => new Promise((r) => (c.exitCode !== null ? r() : c.on('exit', r))))).then(() => process.exit(code));
}
process.on('SIGINT', () => stop(0));
process.on('SIGTERM', () => stop(0));

console.log(`airlock demo: authenticator gRPC 127.0.0.1:${grpcPort} (mTLS, certificates in .demo/pki), metrics http://127.0.0.1:${httpPort}/metrics`);
console.log(`  status page: http://127.0.0.1:${httpPort}/`);
console.log(`  operator CLI: npm run airlock -- stations --socket ${relative(root, adminSocket)}   (agents, explain STA, disconnect STA, rekey BSSID)`);
console.log(`${AGENTS} agents x ${STATIONS} stations, SSID "airlock-demo" (WPA2/WPA3 transition mode: half the stations use SAE); logs in .demo/. Ctrl-C to stop.`);
run('authenticator', ['services/authenticator/dist/main.js', '--config', configPath]);

async function metrics() {
  try {
    const res = await fetch(`http://127.0.0.1:${httpPort}/metrics`);
    return parsePrometheusText(await res.text());
  } catch {
    return undefined;
  }
}

// Agents start once the authenticator answers.
for (let i = 0; i < 100 && (await metrics()) === undefined; i++) await new Promise((r) => setTimeout(r, 100));
for (let i = 1; i <= AGENTS; i++) {
  run(`agent-${i}`, [
    'services/edge-agent/dist/main.js',
    '--agent-id', `ap-${i}`, '--agent-number', String(i), '--authenticator', `localhost:${grpcPort}`, '--pki-dir', pki.dir,
    '--bsses', '2', '--stations', String(STATIONS), '--ssid', 'airlock-demo', '--passphrase', PASSPHRASE, '--akm', 'psk+sae',
    '--churn', '--loss', '0.01', '--delay-ms', '1-4', '--duplicate', '0.005', '--reorder', '0.005',
  ]);
}

startStatusLine({ metrics, histogramQuantile, total: AGENTS * STATIONS, isStopping: () => stopping });
