/**
 * The reference path: hostapd 2.10 (Debian package `hostapd`, /usr/sbin/hostapd) with
 * driver=wired on the host end of the veth pair, IEEE 802.1X without key management
 * (ieee8021x=1, no wpa), EAP relayed to the FreeRADIUS harness. No accounting server (the
 * airlock path runs with accounting off too).
 */
import { existsSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { startChild, type Child } from './child.js';

/** The hostapd binary, from Debian's `hostapd` package. */
export const HOSTAPD_BIN = '/usr/sbin/hostapd';

/** Why hostapd cannot run here, or undefined. */
export function hostapdUnavailable(): string | undefined {
  return existsSync(HOSTAPD_BIN) ? undefined : `${HOSTAPD_BIN} is missing: install the Debian package \`hostapd\` (apt-get install -y hostapd)`;
}

/** What hostapd is started with. */
export interface HostapdOptions {
  /** Name for files in `workDir`. */
  name: string;
  workDir: string;
  /** The wired interface (the veth's host end). */
  interfaceName: string;
  radius: { authPort: number; secret: string };
}

/** A running hostapd. */
export interface Hostapd {
  child: Child;
  configFile: string;
  logFile: string;
}

/** hostapd.conf text. */
export function hostapdConfig(o: HostapdOptions): string {
  if (/[\n\r]/.test(o.radius.secret)) throw new Error('the RADIUS secret cannot contain newlines');
  return [
    '# written by airlock test/bench/interop/hostapd.ts',
    `interface=${o.interfaceName}`,
    'driver=wired',
    'ieee8021x=1',
    'eapol_version=2',
    // EAPOL to the station's address, as the airlock wired agent does by default.
    'use_pae_group_addr=0',
    'own_ip_addr=127.0.0.1',
    'nas_identifier=hostapd-bench',
    'auth_server_addr=127.0.0.1',
    `auth_server_port=${o.radius.authPort}`,
    `auth_server_shared_secret=${o.radius.secret}`,
    'logger_stdout=-1',
    'logger_stdout_level=2',
    '',
  ].join('\n');
}

/** Starts hostapd; resolves once the interface is enabled. */
export async function startHostapd(o: HostapdOptions): Promise<Hostapd> {
  const configFile = join(o.workDir, `${o.name}.conf`);
  writeFileSync(configFile, hostapdConfig(o), { mode: 0o600 });
  const logFile = join(o.workDir, `${o.name}.log`);
  // Its default log level (a few lines per authentication), with timestamps: not -d, whose
  // per-frame debug output would slow the reference down.
  const child = startChild('hostapd', [HOSTAPD_BIN, '-t', configFile], logFile);
  try {
    await child.waitForLine(/AP-ENABLED/, 10_000);
  } catch (err) {
    await child.stop();
    throw err;
  }
  return { child, configFile, logFile };
}
