/**
 * The VM test host's initramfs (DESIGN.md "The VM test host"): busybox-static and the
 * modules that mount the host's root over virtio-9p, then `switch_root` into it (not
 * chroot: mac80211 loads its cipher modules through the kernel's module autoloader, which
 * runs /sbin/modprobe in init's root) and exec the stage-2 script named on the kernel
 * command line (`airlock.stage2=PATH`, a file on the host's filesystem).
 *
 * The archive is a gzip-compressed cpio "newc" archive written here (the format of the
 * kernel's Documentation/driver-api/early-userspace/buffer-format.rst), cached by kernel
 * version under node_modules/.cache/airlock/vm.
 */
import { createHash } from 'node:crypto';
import { existsSync, mkdirSync, readdirSync, readFileSync, renameSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { gzipSync } from 'node:zlib';

/** The busybox binary of Debian's busybox-static. */
export const BUSYBOX_BIN = '/bin/busybox';

/** Modules that mount the host's root over virtio-9p, in load order. */
export const NINEP_MODULES = [
  'kernel/drivers/virtio/virtio_ring',
  'kernel/drivers/virtio/virtio',
  'kernel/drivers/virtio/virtio_pci_modern_dev',
  'kernel/drivers/virtio/virtio_pci_legacy_dev',
  'kernel/drivers/virtio/virtio_pci',
  'kernel/fs/netfs/netfs',
  'kernel/fs/fscache/fscache',
  'kernel/net/9p/9pnet',
  'kernel/net/9p/9pnet_virtio',
  'kernel/fs/9p/9p',
];

/** One entry of a cpio archive. */
interface CpioEntry {
  name: string;
  /** st_mode: type and permission bits. */
  mode: number;
  data?: Buffer;
  /** Device numbers of a character device. */
  rdev?: [number, number];
}

const S_IFDIR = 0o040000;
const S_IFREG = 0o100000;
const S_IFCHR = 0o020000;

function pad4(n: number): number {
  return (4 - (n % 4)) % 4;
}

/** A cpio newc archive of `entries` (with its trailer). */
export function cpioNewc(entries: CpioEntry[]): Buffer {
  const parts: Buffer[] = [];
  let ino = 1;
  const add = (e: CpioEntry): void => {
    const data = e.data ?? Buffer.alloc(0);
    const name = Buffer.from(`${e.name}\0`);
    const fields = [ino++, e.mode, 0, 0, (e.mode & S_IFDIR) !== 0 ? 2 : 1, 0, data.length, 0, 0, e.rdev?.[0] ?? 0, e.rdev?.[1] ?? 0, name.length, 0];
    const header = Buffer.from(`070701${fields.map((f) => f.toString(16).padStart(8, '0')).join('')}`, 'ascii');
    parts.push(header, name, Buffer.alloc(pad4(header.length + name.length)), data, Buffer.alloc(pad4(data.length)));
  };
  for (const e of entries) add(e);
  add({ name: 'TRAILER!!!', mode: 0 });
  return Buffer.concat(parts);
}

/** The initramfs's /init (busybox ash). */
function initScript(modules: string[]): string {
  return `#!/bin/busybox sh
# airlock VM test host, stage 1: mount the host's root over virtio-9p and switch_root into it.
B=/bin/busybox
$B mount -t proc proc /proc
$B mount -t devtmpfs dev /dev
for m in ${modules.join(' ')}; do $B insmod /modules/$m.ko || echo "airlock-vm: insmod $m failed"; done
STAGE2=
for w in $($B cat /proc/cmdline); do case "$w" in airlock.stage2=*) STAGE2="\${w#airlock.stage2=}";; esac; done
if ! $B mount -t 9p -o trans=virtio,version=9p2000.L,msize=512000 host /newroot; then
  echo "airlock-vm: cannot mount the host's root over 9p"; echo o > /proc/sysrq-trigger; $B sleep 30
fi
if [ -z "$STAGE2" ] || [ ! -x "/newroot$STAGE2" ]; then
  echo "airlock-vm: no stage-2 script (airlock.stage2=$STAGE2)"; echo o > /proc/sysrq-trigger; $B sleep 30
fi
$B umount /proc
$B umount /dev
exec $B switch_root /newroot "$STAGE2"
`;
}

/** Builds (or reuses) the initramfs for kernel `version`; returns its path. */
export function buildInitramfs(version: string, cacheDir: string): string {
  const modDir = `/lib/modules/${version}`;
  const names = NINEP_MODULES.map((m) => m.slice(m.lastIndexOf('/') + 1));
  const init = initScript(names);
  // The cache key covers what goes in: the kernel version and the init script.
  const out = join(cacheDir, `initramfs-${version}-${createHash('sha256').update(init).digest('hex').slice(0, 12)}.cpio.gz`);
  if (existsSync(out)) return out;
  const entries: CpioEntry[] = ['bin', 'dev', 'proc', 'sys', 'newroot', 'modules'].map((d) => ({ name: d, mode: S_IFDIR | 0o755 }));
  entries.push({ name: 'dev/console', mode: S_IFCHR | 0o600, rdev: [5, 1] });
  entries.push({ name: 'bin/busybox', mode: S_IFREG | 0o755, data: readFileSync(BUSYBOX_BIN) });
  for (const m of NINEP_MODULES) {
    const file = join(modDir, `${m}.ko`);
    if (!existsSync(file)) throw new Error(`${file} is missing: the VM needs Debian's linux-image-amd64 (uncompressed modules)`);
    const base = m.slice(m.lastIndexOf('/') + 1);
    entries.push({ name: `modules/${base}.ko`, mode: S_IFREG | 0o644, data: readFileSync(file) });
  }
  entries.push({ name: 'init', mode: S_IFREG | 0o755, data: Buffer.from(init) });
  mkdirSync(cacheDir, { recursive: true });
  const tmp = `${out}.${process.pid}.tmp`;
  writeFileSync(tmp, gzipSync(cpioNewc(entries), { level: 1 }));
  renameSync(tmp, out);
  return out;
}

/** Kernel versions in /boot whose modules include mac80211_hwsim, newest first. */
export function hwsimKernels(): string[] {
  let files: string[];
  try {
    files = readdirSync('/boot');
  } catch {
    return [];
  }
  return files
    .filter((f) => f.startsWith('vmlinuz-'))
    .map((f) => f.slice('vmlinuz-'.length))
    .filter((v) => existsSync(`/lib/modules/${v}/kernel/drivers/net/wireless/mac80211_hwsim.ko`))
    .sort((a, b) => b.localeCompare(a, undefined, { numeric: true }));
}
