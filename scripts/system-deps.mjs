#!/usr/bin/env node
// pretest: the system packages the tests use. As root it installs what is missing with
// apt-get; otherwise it stops with the exact command to run.
import { existsSync } from 'node:fs';
import { spawnSync } from 'node:child_process';

/** Debian package -> a file whose presence shows it is installed. */
const needed = {
  freeradius: '/usr/sbin/freeradius',
  wpasupplicant: '/usr/sbin/wpa_supplicant',
  hostapd: '/usr/sbin/hostapd',
  'libpcap-dev': '/usr/include/pcap/pcap.h',
  iproute2: '/usr/sbin/ip',
  // radclient: the FreeRADIUS health check of docker-compose.yml, run by test/e2e/compose.test.ts
  'freeradius-utils': '/usr/bin/radclient',
  // `docker-compose config` validates docker-compose.yml (no Docker engine needed)
  'docker-compose': '/usr/bin/docker-compose',
  // headless Chromium for the status page test (driven by playwright-core)
  chromium: '/usr/bin/chromium',
};

if (process.env.AIRLOCK_SKIP_SYSTEM_DEPS === '1') process.exit(0);
const missing = Object.entries(needed).filter(([, f]) => !existsSync(f)).map(([p]) => p);
if (missing.length === 0) process.exit(0);
const line = `apt-get install -y ${missing.join(' ')}`;
if (process.platform !== 'linux' || !existsSync('/usr/bin/apt-get')) {
  console.error(`The tests need these Debian packages: ${missing.join(', ')}. Install them with your system's package manager.`);
  process.exit(1);
}
if (typeof process.getuid === 'function' && process.getuid() !== 0) {
  console.error(`The tests need system packages that are missing. Run as root:\n\n  apt-get update && ${line}\n`);
  process.exit(1);
}
console.log(`pretest: installing ${missing.join(' ')}`);
const env = { ...process.env, DEBIAN_FRONTEND: 'noninteractive' };
for (const args of [['update'], ['install', '-y', '--no-install-recommends', ...missing]]) {
  const r = spawnSync('apt-get', args, { stdio: 'inherit', env });
  if (r.status !== 0) {
    console.error(`pretest: \`apt-get ${args.join(' ')}\` failed (exit ${r.status}).`);
    process.exit(1);
  }
}
