/**
 * The VM test host (DESIGN.md "The VM test host: real Wi-Fi on mac80211_hwsim"): a QEMU
 * virtual machine under TCG with Debian's kernel, whose root is this machine's `/` over
 * virtio-9p, so it runs this checkout's Node, hostapd, wpa_supplicant and FreeRADIUS. In it,
 * mac80211_hwsim gives radios that hear each other through the real mac80211.
 *
 * `bootVm()` boots it, runs one command as root in the repository's directory (the stage-2
 * script loads mac80211_hwsim, sets up loopback and optionally QEMU user networking), and
 * powers it off when the command ends; it resolves with the command's exit status and the
 * console output. The command writes its results into `workDir`, which the host reads.
 *
 * Inside the VM, /tmp is a tmpfs (Unix sockets, such as wpa_supplicant's control sockets
 * and wpa_cli's, do not work over 9p); the repository and a `workDir` under the host's /tmp
 * are bound into it.
 */
import { spawn } from 'node:child_process';
import { existsSync, mkdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { BUSYBOX_BIN, buildInitramfs, hwsimKernels } from './initramfs.js';

/** QEMU's x86-64 system emulator (Debian package qemu-system-x86). */
export const QEMU_BIN = '/usr/bin/qemu-system-x86_64';

/** The repository's root (the VM runs its commands there). */
export const REPO_ROOT = new URL('../../../../', import.meta.url).pathname.replace(/\/$/, '');

/** Why the VM cannot boot here, naming the Debian packages to install; undefined when it can. */
export function vmUnavailable(): string | undefined {
  const missing: string[] = [];
  if (!existsSync(QEMU_BIN)) missing.push('qemu-system-x86');
  // The initramfs has no C library: the busybox must be the static one.
  if (!existsSync(BUSYBOX_BIN) || !existsSync('/usr/share/doc/busybox-static')) missing.push('busybox-static');
  if (hwsimKernels().length === 0) missing.push('linux-image-amd64');
  if (!existsSync('/usr/sbin/iw')) missing.push('iw');
  if (missing.length > 0) return `the VM test host needs Debian packages: apt-get install -y ${missing.join(' ')}`;
  if (process.platform !== 'linux' || process.arch !== 'x64') return 'the VM test host needs x86-64 Linux';
  if (typeof process.getuid === 'function' && process.getuid() !== 0) return 'the VM test host needs root (QEMU shares / with the VM as root over virtio-9p)';
  return undefined;
}

/** A TCP port forwarded from the host's loopback to the VM (QEMU user networking). */
export interface HostForward {
  hostPort: number;
  guestPort: number;
}

/** What to boot and run. */
export interface VmOptions {
  /** Directory for the stage-2 script and the command's results (created; on the host's filesystem). */
  workDir: string;
  /** argv of the command run inside, as root, in the repository's directory. */
  command: string[];
  /** Environment of the command (besides PATH, HOME, TMPDIR). */
  env?: Record<string, string>;
  /** mac80211_hwsim radios (wlan0..wlanN-1, MAC 02:00:00:00:NN:00). */
  radios: number;
  memoryMb?: number;
  cpus?: number;
  /**
   * QEMU user networking (eth0 10.0.2.15/24, the host's loopback at 10.0.2.2), with these
   * ports forwarded from 127.0.0.1 on the host. Undefined: the VM has no network card.
   */
  userNet?: { forwards: HostForward[] };
  /** The VM is killed after this long. */
  timeoutMs: number;
  /** Each console line as it comes (the command's stdout and stderr go to the console). */
  onConsole?: (line: string) => void;
  /** Aborts the run (the VM is killed). */
  signal?: AbortSignal;
}

/** How a run ended. */
export interface VmResult {
  /** The command's exit status; undefined when it did not finish (timeout, crash, abort). */
  exitCode: number | undefined;
  /** Why the VM ended without an exit status. */
  failure: string | undefined;
  console: string;
  durationMs: number;
}

function shellQuote(s: string): string {
  return `'${s.replace(/'/g, `'\\''`)}'`;
}

/** The modules of the ciphers mac80211 uses and of AF_ALG (Debian's kernel has them as modules). */
const CRYPTO_MODULES = ['ccm', 'ctr', 'gcm', 'ghash_generic', 'cmac', 'af_alg', 'algif_aead', 'algif_hash'];

/**
 * Perl (in Debian's base system) binding AF_ALG sockets (family 38, SOCK_SEQPACKET) to the
 * algorithms mac80211 uses, which makes the kernel instantiate them: struct sockaddr_alg is
 * family (u16), type (14 octets), feat (u32), mask (u32), name (64 octets).
 */
const CRYPTO_WARMUP_PERL = [
  'for my $a (["aead", "ccm(aes)"], ["aead", "gcm(aes)"], ["hash", "cmac(aes)"]) {',
  '  socket(my $s, 38, 5, 0) or do { print STDERR "airlock-vm: AF_ALG: $!\\n"; last };',
  '  bind($s, pack("S a14 L L a64", 38, $a->[0], 0, 0, $a->[1])) or print STDERR "airlock-vm: $a->[1]: $!\\n";',
  '  close($s);',
  '}',
].join(' ');

/** The stage-2 script: runs as PID 1 in the host's root after switch_root. */
function stage2Script(o: VmOptions, exitFile: string): string {
  const env = { PATH: '/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin', HOME: '/root', TMPDIR: '/tmp', AIRLOCK_IN_VM: '1', ...o.env };
  const lines = [
    '#!/bin/sh',
    '# airlock VM test host, stage 2 (written by test/support/vm/vm.ts)',
    'mount -t proc proc /proc; mount -t sysfs sys /sys; mount -t devtmpfs dev /dev',
    'mkdir -p /dev/pts /dev/shm; mount -t devpts devpts /dev/pts; mount -t tmpfs shm /dev/shm; mount -t tmpfs run /run',
    ...Object.entries(env).map(([k, v]) => `export ${k}=${shellQuote(v)}`),
    // /tmp is a tmpfs in the VM (Unix sockets do not work over 9p: wpa_cli binds its own in
    // /tmp); the repository (a fresh clone made with mktemp -d lives there) and the work
    // directory, when under the host's /tmp, are bound back in.
    'mkdir -p /run/host-tmp && mount --bind /tmp /run/host-tmp && mount -t tmpfs tmp /tmp',
    ...[REPO_ROOT.replace(/\/+$/, ''), o.workDir]
      .filter((d) => d.startsWith('/tmp/'))
      .map((d) => `mkdir -p ${shellQuote(d)} && mount --bind ${shellQuote(`/run/host-tmp/${d.slice('/tmp/'.length)}`)} ${shellQuote(d)}`),
    'mkdir -p "$TMPDIR" /run/netns',
    'ip link set lo up',
    `modprobe mac80211_hwsim radios=${o.radios} || echo "airlock-vm: mac80211_hwsim did not load"`,
    // mac80211 gets its ciphers (ccm(aes): CCMP; gcm(aes): GCMP, BIP-GMAC; cmac(aes): BIP-CMAC)
    // from the kernel's crypto API at the first key install, and the first lookup of each name
    // runs /sbin/modprobe several times (crypto-ccm(aes), crypto-ccm(aes)-all, the templates,
    // the inner ctr(aes), ...): under TCG with the root over 9p that held a first NEW_KEY past
    // the nl80211 agent's 5 s netlink timeout. Here: their modules in one modprobe, then, with
    // the kernel's module loader off for a moment (the names left to look up are found without
    // it), one AF_ALG bind per cipher instantiates it; instances stay registered for mac80211.
    't=$(cut -d" " -f1 /proc/uptime)',
    `modprobe -a ${CRYPTO_MODULES.join(' ')} || echo "airlock-vm: cipher modules did not load"`,
    '(echo > /proc/sys/kernel/modprobe; perl -e ' + shellQuote(CRYPTO_WARMUP_PERL) + '; echo /sbin/modprobe > /proc/sys/kernel/modprobe)',
    'echo "airlock-vm: ciphers instantiated in $(awk "BEGIN{print $(cut -d" " -f1 /proc/uptime)-$t}") s"',
  ];
  if (o.userNet !== undefined) {
    lines.push('modprobe virtio_net', 'ip link set eth0 up', 'ip addr add 10.0.2.15/24 dev eth0', 'ip route add default via 10.0.2.2');
  }
  lines.push(
    `cd ${shellQuote(REPO_ROOT)}`,
    'echo "airlock-vm: stage 2 up at $(cut -d" " -f1 /proc/uptime) s"',
    `${o.command.map(shellQuote).join(' ')} < /dev/null`,
    `echo $? > ${shellQuote(exitFile)}`,
    'sync',
    'echo o > /proc/sysrq-trigger',
    'sleep 30',
    '',
  );
  return lines.join('\n');
}

/** The cache directory of VM artefacts (the initramfs). */
export function vmCacheDir(): string {
  return join(REPO_ROOT, 'node_modules/.cache/airlock/vm');
}

/** Boots the VM, runs the command, powers off; see the module comment. */
export async function bootVm(o: VmOptions): Promise<VmResult> {
  const why = vmUnavailable();
  if (why !== undefined) throw new Error(why);
  const kernel = hwsimKernels()[0];
  const initrd = buildInitramfs(kernel, vmCacheDir());
  mkdirSync(o.workDir, { recursive: true });
  const stage2 = join(o.workDir, 'stage2.sh');
  const exitFile = join(o.workDir, 'exit-code');
  rmSync(exitFile, { force: true });
  writeFileSync(stage2, stage2Script(o, exitFile), { mode: 0o755 });
  const nic = o.userNet === undefined ? ['-nic', 'none'] : ['-nic', `user,model=virtio-net-pci${o.userNet.forwards.map((f) => `,hostfwd=tcp:127.0.0.1:${f.hostPort}-:${f.guestPort}`).join('')}`];
  const args = [
    '-accel', 'tcg,thread=multi',
    '-m', String(o.memoryMb ?? 2048),
    '-smp', String(o.cpus ?? 2),
    '-nographic', '-no-reboot', '-monitor', 'none', '-serial', 'stdio',
    '-kernel', `/boot/vmlinuz-${kernel}`,
    '-initrd', initrd,
    '-append', `console=ttyS0 quiet panic=-1 airlock.stage2=${stage2}`,
    '-fsdev', 'local,id=host,path=/,security_model=passthrough,multidevs=remap',
    '-device', 'virtio-9p-pci,fsdev=host,mount_tag=host',
    ...nic,
  ];
  const started = Date.now();
  const child = spawn(QEMU_BIN, args, { stdio: ['ignore', 'pipe', 'pipe'] });
  let consoleText = '';
  let partial = '';
  const onData = (chunk: Buffer): void => {
    const text = chunk.toString('utf8').replace(/\r/g, '');
    consoleText += text;
    if (consoleText.length > 4_000_000) consoleText = consoleText.slice(-2_000_000);
    const parts = (partial + text).split('\n');
    partial = parts.pop()!;
    for (const l of parts) o.onConsole?.(l);
  };
  child.stdout.on('data', onData);
  child.stderr.on('data', onData);
  let failure: string | undefined;
  const kill = (why: string): void => {
    failure ??= why;
    child.kill('SIGKILL');
  };
  const timer = setTimeout(() => kill(`the VM did not finish within ${o.timeoutMs} ms`), o.timeoutMs);
  const onAbort = (): void => kill('aborted');
  o.signal?.addEventListener('abort', onAbort);
  const killOnExit = (): void => {
    child.kill('SIGKILL');
  };
  process.on('exit', killOnExit);
  const code = await new Promise<number | null>((resolve) => {
    child.once('error', (e) => {
      failure ??= `cannot run ${QEMU_BIN}: ${e.message}`;
      resolve(null);
    });
    child.once('exit', (c) => resolve(c));
  });
  clearTimeout(timer);
  o.signal?.removeEventListener('abort', onAbort);
  process.off('exit', killOnExit);
  if (partial !== '') o.onConsole?.(partial);
  let exitCode: number | undefined;
  if (existsSync(exitFile)) {
    const n = Number(readFileSync(exitFile, 'utf8').trim());
    if (Number.isInteger(n)) exitCode = n;
  }
  if (exitCode === undefined) failure ??= `the command did not finish (QEMU exited with ${code})`;
  return { exitCode, failure: exitCode === undefined ? failure : undefined, console: consoleText, durationMs: Date.now() - started };
}
