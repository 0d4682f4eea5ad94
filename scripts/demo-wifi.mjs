#!/usr/bin/env node
// npm run demo:wifi: real Wi-Fi. Boots the VM test host (QEMU under TCG, Debian's kernel with
// mac80211_hwsim; see test/support/vm/vm.ts) where real wpa_supplicant stations join through
// the nl80211 edge agent, gRPC and the authenticator (and FreeRADIUS for PEAP and EAP-TLS),
// leave, come back and roam. The authenticator's HTTP port is forwarded to 127.0.0.1 only
// (QEMU user networking): the status page and /metrics can be opened from this machine, and
// the status line is the one `npm start` prints. Needs root and the Debian packages the
// pretest installs (qemu-system-x86 linux-image-amd64 busybox-static iw wpasupplicant
// freeradius). Ctrl-C powers the VM off.
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { freePort, startStatusLine } from './demo-support.mjs';

const root = new URL('..', import.meta.url).pathname;
const [{ parsePrometheusText, histogramQuantile }, { bootVm, vmUnavailable }, { testPkiDir, prepareTestPki }] = await Promise.all([
  import(join(root, 'services/authenticator/dist/metrics.js')),
  import(join(root, 'test/dist/support/vm/vm.js')),
  import(join(root, 'test/dist/support/test-pki.js')),
]).catch(() => {
  console.error('airlock is not built: run `npm install` (it builds) or `npm run build`.');
  process.exit(1);
});

const why = vmUnavailable();
if (why !== undefined) {
  console.error(`demo:wifi: ${why}`);
  process.exit(1);
}
const httpPort = await freePort(9465);
const dir = mkdtempSync(join(tmpdir(), 'airlock-demo-wifi-'));
prepareTestPki(testPkiDir());
const abort = new AbortController();
let stopping = false;
const stop = () => {
  if (stopping) return;
  stopping = true;
  process.stdout.write('\nstopping (powering the VM off)...\n');
  abort.abort();
};
process.on('SIGINT', stop);
process.on('SIGTERM', stop);

console.log(`airlock demo:wifi: booting the VM test host (QEMU/TCG, mac80211_hwsim); files in ${dir}`);
console.log(`  status page: http://127.0.0.1:${httpPort}/  (metrics: http://127.0.0.1:${httpPort}/metrics, forwarded from the VM, loopback only)`);
console.log('  6 real wpa_supplicant stations: WPA2-PSK, PEAP/MSCHAPv2 and EAP-TLS, on 2 radios x 2 BSSes. Ctrl-C to stop.');

async function metrics() {
  try {
    const res = await fetch(`http://127.0.0.1:${httpPort}/metrics`);
    return res.ok ? parsePrometheusText(await res.text()) : undefined;
  } catch {
    return undefined;
  }
}
const tty = process.stdout.isTTY;
const statusTimer = startStatusLine({ metrics, histogramQuantile, total: 6, isStopping: () => stopping });
const vm = bootVm({
  workDir: dir,
  command: [process.execPath, 'test/dist/wifi/vm-demo.js', join(dir, 'demo')],
  env: { AIRLOCK_TEST_PKI: testPkiDir() },
  radios: 10,
  userNet: { forwards: [{ hostPort: httpPort, guestPort: 9464 }] },
  timeoutMs: 24 * 3600_000,
  signal: abort.signal,
  onConsole: (line) => {
    if (!line.startsWith('airlock-demo-wifi:')) return;
    process.stdout.write(tty ? `\r\x1b[2K${line}\n` : `${line}\n`);
  },
});
const r = await vm;
clearInterval(statusTimer);
if (!stopping) console.error(`\ndemo:wifi: the VM stopped (${r.failure ?? `exit ${r.exitCode}`}); files in ${dir}`);
process.exit(stopping ? 0 : 1);
