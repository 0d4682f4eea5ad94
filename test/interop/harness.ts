/**
 * The interop rig: wpa_supplicant 2.10 (`-D wired`) in a network namespace on one end of a
 * veth pair; on the other end, in this namespace, the edge agent's wired driver (libpcap)
 * → real gRPC → an authenticator in this process → FreeRADIUS. Everything one rig starts is
 * stopped by `close()`, whatever state it is in.
 *
 * Nothing is skipped: `assertInteropPrerequisites()` fails with the Debian package to
 * install when something is missing (`npm test`'s pretest installs them as root).
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import pino, { type Logger } from 'pino';
import type { AuthenticatorConfig, NetworkConfig, RunningAuthenticator } from '@airlock/authenticator';
import { EdgeAgent, WiredDriver, wiredDriverUnavailable, type WiredPortSpec } from '@airlock/edge-agent';
import { writeDevPki, type DevPkiLayout } from '@airlock/pki';
import { formatMac } from '@airlock/rsn';
import { freeRadiusUnavailable, startFreeRadius, type FreeRadius, type FreeRadiusUser } from '../support/freeradius.js';
import { createVethNamespace, netnsUnavailable, type VethNamespace } from '../support/netns.js';
import { startTestAuthenticator, testConfig } from '../support/topology.js';
import { agentCredentials } from '../support/test-pki.js';
import { startWpaSupplicant, wpaSupplicantUnavailable, type WpaNetwork, type WpaSupplicant } from '../support/wpa-supplicant.js';

/** The shared secret between the authenticator and FreeRADIUS. */
export const RADIUS_SECRET = 'interop radius secret';

/** Fails (never skips) when the interop tests cannot run here, naming what to install; `radius`: FreeRADIUS is needed too. */
export async function assertInteropPrerequisites(o: { radius: boolean }): Promise<void> {
  const problems = [netnsUnavailable(), wpaSupplicantUnavailable(), o.radius ? freeRadiusUnavailable() : undefined, await wiredDriverUnavailable()].filter((p): p is string => p !== undefined);
  if (problems.length > 0) {
    throw new Error(`the interop tests cannot run here:\n  - ${problems.join('\n  - ')}\n(as root, \`npm test\` installs the Debian packages: apt-get install -y wpasupplicant freeradius libpcap-dev iproute2)`);
  }
}

/** A development PKI and a FreeRADIUS that knows the users, shared by the tests of one file. */
export interface RadiusSide {
  pki: DevPkiLayout;
  radius: FreeRadius;
  close(): Promise<void>;
}

/** Writes a PKI (CA, RADIUS server, the given EAP-TLS stations) and starts FreeRADIUS with `users`. */
export async function startRadiusSide(users: FreeRadiusUser[], stations: string[] = []): Promise<RadiusSide> {
  const dir = mkdtempSync(join(tmpdir(), 'airlock-interop-pki-'));
  try {
    // 2048-bit keys: OpenSSL 3 at Debian's default security level refuses smaller ones.
    const pki = writeDevPki(dir, { stations, keyBits: 2048 });
    const radius = await startFreeRadius({ secret: RADIUS_SECRET, users, pki: { caCert: pki.ca.cert, stationCa: pki.issuers.station.cert, serverCert: pki.radiusServer.cert, serverKey: pki.radiusServer.key } });
    return {
      pki,
      radius,
      async close() {
        try {
          await radius.stop();
        } finally {
          rmSync(dir, { recursive: true, force: true });
        }
      },
    };
  } catch (err) {
    rmSync(dir, { recursive: true, force: true });
    throw err;
  }
}

/** The network of a wired port, for the authenticator's configuration. */
export function wiredNetwork(ssid: string, over: Partial<NetworkConfig>): NetworkConfig {
  return { ssid, akms: ['psk'], passphrases: [], stationPsks: [], groupRekeyS: 0, rekeyGtkOnLeave: false, ...over };
}

/** What a rig is made of. */
export interface RigOptions {
  network: NetworkConfig;
  /** The wired port (its interface is the rig's host end). */
  port: Omit<WiredPortSpec, 'interfaceName' | 'ssid' | 'staticStations'>;
  /** Configure the supplicant's MAC as a static station (WPA-PSK). */
  staticStation?: boolean;
  staticRejoinMs?: number;
  /** The supplicant's network block. */
  supplicant: WpaNetwork;
  radius?: FreeRadius;
  /** Adjusts the authenticator's configuration (timeouts). */
  tweak?: (c: AuthenticatorConfig) => void;
}

/** A running rig. */
export interface Rig {
  ns: VethNamespace;
  supplicant: WpaSupplicant;
  auth: RunningAuthenticator;
  agent: EdgeAgent;
  driver: WiredDriver;
  /** The supplicant's MAC (the station). */
  sta: Buffer;
  /** Stops the agent, the authenticator, the supplicant; removes the namespace. Never throws. */
  close(): Promise<void>;
}

function logger(name: string): Logger {
  const level = process.env.AIRLOCK_INTEROP_LOG ?? 'silent';
  return pino({ level, base: { service: name } }, pino.destination(2));
}

/**
 * Starts, in this order: a namespace + veth pair; wpa_supplicant in it (the station is
 * plugged in: with WPA-PSK it waits silently for msg 1/4, with 802.1X it sends its first
 * EAPOL-Start about 2 s later); an authenticator; a wired agent on the host end, connected.
 */
export async function startRig(o: RigOptions): Promise<Rig> {
  const cleanups: (() => Promise<void>)[] = [];
  const close = async (): Promise<void> => {
    for (const c of cleanups.splice(0).reverse()) {
      try {
        await c();
      } catch (err) {
        process.emitWarning(`interop rig cleanup: ${err instanceof Error ? err.message : String(err)}`);
      }
    }
  };
  try {
    const ns = await createVethNamespace();
    cleanups.push(() => ns.remove());
    const supplicant = await startWpaSupplicant({ namespace: ns.namespace, interfaceName: ns.nsInterface, network: o.supplicant });
    cleanups.push(() => supplicant.stop());
    const config = testConfig([o.network], (c) => {
      if (o.radius !== undefined) {
        c.radius.servers = [{ name: 'freeradius', host: '127.0.0.1', authPort: o.radius.authPort, acctPort: o.radius.acctPort, secret: RADIUS_SECRET }];
      }
      c.log.level = (process.env.AIRLOCK_INTEROP_LOG as AuthenticatorConfig['log']['level'] | undefined) ?? 'silent';
      o.tweak?.(c);
    });
    const auth = await startTestAuthenticator(config, logger('authenticator'));
    cleanups.push(() => auth.stop(500));
    const driver = new WiredDriver({
      ports: [{ ...o.port, interfaceName: ns.hostInterface, ssid: o.network.ssid, staticStations: o.staticStation ? [ns.nsMac] : [] }],
      staticRejoinMs: o.staticRejoinMs,
      logger: logger('edge-agent'),
    });
    const agent = new EdgeAgent({ agentId: 'sw-1', target: `127.0.0.1:${auth.grpcPort}`, driver, logger: logger('edge-agent'), credentials: agentCredentials('sw-1') });
    const welcomed = new Promise<void>((resolve, reject) => {
      const t = setTimeout(() => reject(new Error('the agent was not welcomed by the authenticator within 5 s')), 5000);
      const refused = (reason: string): void => {
        clearTimeout(t);
        reject(new Error(`the authenticator refused the agent: ${reason}`));
      };
      agent.once('disconnected', refused);
      agent.once('welcome', () => {
        clearTimeout(t);
        agent.off('disconnected', refused);
        resolve();
      });
    });
    await agent.start();
    cleanups.push(() => agent.stop());
    await welcomed;
    return { ns, supplicant, auth, agent, driver, sta: ns.nsMac, close };
  } catch (err) {
    await close();
    throw err;
  }
}

/**
 * Waits until `patterns` appear in the supplicant's log in this order, each after the
 * previous (the first at or after line `from`), each within `timeoutMs`; returns their line
 * indexes. Rejects naming the first pattern that does not come, with the log's tail.
 */
export async function expectLinesInOrder(s: WpaSupplicant, patterns: (string | RegExp)[], timeoutMs: number, from = 0): Promise<number[]> {
  const at: number[] = [];
  for (const p of patterns) {
    const i = await s.waitForLine(p, timeoutMs, from);
    at.push(i);
    from = i + 1;
  }
  return at;
}

/** Lines of the supplicant's log that match. */
export function countLines(s: WpaSupplicant, pattern: string | RegExp): number {
  return s.lines().filter((l) => (typeof pattern === 'string' ? l.includes(pattern) : pattern.test(l))).length;
}

/**
 * The wpa_supplicant 2.10 debug lines (-dd) of a wired WPA handshake up to its expected
 * end, in order. `sta` is the station's MAC.
 */
export function wiredHandshakeLines(sta: Buffer): RegExp[] {
  return [
    /WPA: RX message 1 of 4-Way Handshake from [0-9a-f:]{17} \(ver=2\)/,
    // PTK derivation with AA = the PAE group address (invariant 1 on a wire).
    new RegExp(`WPA: PTK derivation - A1=${formatMac(sta)} A2=01:80:c2:00:00:03`),
    /WPA: Sending EAPOL-Key 2\/4/,
    // wpa_supplicant checks the MIC before it decrypts: this line means msg 3/4's MIC verified.
    /WPA: Decrypt Key Data using AES-UNWRAP/,
    /WPA: RX message 3 of 4-Way Handshake from 01:80:c2:00:00:03 \(ver=2\)/,
    /WPA: IE KeyData - hexdump/,
    /WPA: GTK in EAPOL-Key/,
    /WPA: Could not find AP from the scan results/,
  ];
}
