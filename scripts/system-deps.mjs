#!/usr/bin/env node
// pretest: the system packages the tests use, then the native optional modules built
// against them. As root it installs missing packages with apt-get; otherwise it stops with
// the exact command to run.
//
// Why the second step: on a fresh machine `npm install` runs before libpcap-dev exists, the
// build of the optional dependency `cap` fails and npm removes it (no error: it is
// optional). Installing libpcap-dev afterwards does not bring it back (`npm rebuild cap`
// cannot either: its directory is gone), so once the packages are present each native
// optional module is loaded in a child process and, when it does not load, installed again.
import { existsSync, readFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { spawnSync } from 'node:child_process';

const root = fileURLToPath(new URL('..', import.meta.url)).replace(/\/$/, '');

/** Debian package -> a file whose presence shows it is installed. */
const needed = {
  freeradius: '/usr/sbin/freeradius',
  wpasupplicant: '/usr/sbin/wpa_supplicant',
  hostapd: '/usr/sbin/hostapd',
  'libpcap-dev': '/usr/include/pcap/pcap.h',
  // node-gyp's toolchain: the native optional modules below are compiled at install time
  'g++': '/usr/bin/g++',
  make: '/usr/bin/make',
  python3: '/usr/bin/python3',
  iproute2: '/usr/sbin/ip',
  // the shared store of several authenticators (test/support/redis.ts starts it on a free port)
  'redis-server': '/usr/bin/redis-server',
  // radclient: the FreeRADIUS health check of docker-compose.yml, run by test/e2e/compose.test.ts
  'freeradius-utils': '/usr/bin/radclient',
  // the compose test (test/e2e/compose.test.ts): docker-compose 1.29, and Docker's engine
  // (dockerd), which the test starts privately when none answers; debootstrap builds the
  // local base image where no registry is reachable
  'docker-compose': '/usr/bin/docker-compose',
  'docker.io': '/usr/sbin/dockerd',
  debootstrap: '/usr/sbin/debootstrap',
  // headless Chromium for the status page test (driven by playwright-core)
  chromium: '/usr/bin/chromium',
  // the VM test host of the real Wi-Fi tests (test/support/vm): QEMU, Debian's kernel with
  // mac80211_hwsim, a static busybox for its initramfs; iw and ping inside it
  'qemu-system-x86': '/usr/bin/qemu-system-x86_64',
  'linux-image-amd64': '/usr/share/doc/linux-image-amd64',
  'busybox-static': '/usr/share/doc/busybox-static',
  iw: '/usr/sbin/iw',
  'iputils-ping': '/usr/bin/ping',
};

/**
 * Native optional modules: the workspace that depends on each, and the Debian packages
 * (keys of `needed`) its build needs. A module is checked only when all of them are present
 * and the workspace's package.json still lists it.
 */
const nativeOptional = [
  { module: 'cap', workspace: 'services/edge-agent', packages: ['libpcap-dev', 'g++', 'make', 'python3'], usedBy: 'the wired driver and the interop tests' },
  // this project's own addon (services/edge-agent/src/drivers/nl80211/raw-netlink), a C compile
  { module: '@airlock/raw-netlink', workspace: 'services/edge-agent', packages: ['g++', 'make', 'python3'], usedBy: 'the nl80211 driver' },
];

/** What npm does to bring back an optional module whose build failed (package-lock.json stays as it is). */
const REINSTALL = ['install', '--no-save', '--no-audit', '--no-fund'];

if (process.env.AIRLOCK_SKIP_SYSTEM_DEPS === '1') process.exit(0);
installSystemPackages();
checkNativeModules();

function installSystemPackages() {
  const missing = Object.entries(needed).filter(([, f]) => !existsSync(f)).map(([p]) => p);
  if (missing.length === 0) return;
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
}

/** Undefined when `module` loads from `workspace` in a fresh node process, else why not (its error line). */
function loadFailure({ module, workspace }) {
  // require, not import(): @airlock/raw-netlink's main is the .node file itself.
  const r = spawnSync(process.execPath, ['-e', `require(${JSON.stringify(module)})`], { cwd: join(root, workspace), encoding: 'utf8' });
  if (r.status === 0) return undefined;
  const lines = (r.stderr ?? '').split('\n');
  return lines.find((l) => /^\w*Error\b/.test(l)) ?? r.error?.message ?? `exit ${r.status ?? r.signal}`;
}

/** Whether `module`'s package directory is there (built or not). */
function present({ module, workspace }) {
  try {
    createRequire(join(root, workspace, 'package.json')).resolve(`${module}/package.json`);
    return true;
  } catch {
    return false;
  }
}

function npm(args) {
  console.log(`pretest: npm ${args.join(' ')}`);
  // npm_execpath: the npm running this script (when run by `npm test`), else npm on the PATH.
  const cli = process.env.npm_execpath;
  const r = cli === undefined || cli === '' ? spawnSync('npm', args, { cwd: root, stdio: 'inherit' }) : spawnSync(process.execPath, [cli, ...args], { cwd: root, stdio: 'inherit' });
  if (r.status !== 0) console.error(`pretest: \`npm ${args.join(' ')}\` failed (${r.error?.message ?? `exit ${r.status}`}).`);
}

/** Whether `workspace`'s package.json lists `module` as an optional dependency. */
function declared({ module, workspace }) {
  const pkg = JSON.parse(readFileSync(join(root, workspace, 'package.json'), 'utf8'));
  return Object.hasOwn(pkg.optionalDependencies ?? {}, module);
}

function checkNativeModules() {
  const candidates = nativeOptional.filter((m) => declared(m) && m.packages.every((p) => existsSync(needed[p])));
  const broken = candidates.filter((m) => loadFailure(m) !== undefined);
  if (broken.length === 0) return;
  // A module whose directory is gone (its build failed) comes back with an install; one
  // that is there but does not load (built for another node) is rebuilt in place.
  const gone = broken.filter((m) => !present(m));
  const stale = broken.filter((m) => present(m));
  console.log(`pretest: ${broken.map((m) => m.module).join(', ')} (native, optional) did not load now that ${[...new Set(broken.flatMap((m) => m.packages))].join(', ')} are installed: building again`);
  if (gone.length > 0) npm(REINSTALL);
  if (stale.length > 0) npm(['rebuild', ...stale.map((m) => m.module)]);
  const still = broken.map((m) => ({ m, why: loadFailure(m) })).filter((x) => x.why !== undefined);
  if (still.length === 0) return;
  for (const { m, why } of still) {
    console.error(
      `pretest: the optional native module \`${m.module}\` (${m.workspace}; ${m.usedBy} need it) still does not load:\n    ${why}\n` +
        `Its build needs ${m.packages.join(', ')}. Run \`npm ${REINSTALL.join(' ')}\` in ${root} (or \`npm rebuild ${m.module}\` when node_modules/${m.module} exists) and read node-gyp's output.`,
    );
  }
  process.exit(1);
}
