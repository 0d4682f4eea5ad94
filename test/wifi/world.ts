/**
 * The Wi-Fi world inside the VM test host (runs as root in the VM, see
 * test/support/vm/vm.ts): mac80211_hwsim radios, an authenticator process, FreeRADIUS, an
 * nl80211 edge agent process that reaches the authenticator through a TCP proxy (so a test
 * can cut the link), and a pool of stations, each a real wpa_supplicant on its own radio in
 * its own network namespace (traffic between interfaces of one namespace never crosses the
 * air).
 *
 * Radios: phy0 and phy1 are the agent's (each with two BSSes: airlock-psk and
 * airlock-eap; phy0 also serves WPA3: airlock-sae, SAE only with PMF required and beacon
 * protection, and airlock-mix, WPA2/WPA3 transition mode); phy2.. are stations.
 */
import { execFile, spawn, type ChildProcess } from 'node:child_process';
import { closeSync, mkdirSync, openSync, readdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { interfaceMac } from '@airlock/edge-agent';
import { formatMac } from '@airlock/rsn';
import { RADIUS_SECRET, startRadiusSide, type RadiusSide } from '../interop/harness.js';
import { REPO_ROOT, startAuthenticatorProcess, type AuthenticatorProcess } from '../support/authenticator-process.js';
import { TcpProxy } from '../support/tcp-proxy.js';
import { serverTlsYaml, testPkiDir } from '../support/test-pki.js';
import { startWpaSupplicant, type WpaNetwork, type WpaSupplicant } from '../support/wpa-supplicant.js';

const run = promisify(execFile);

/** SSIDs and credentials of the world. */
export const PSK_SSID = 'airlock-psk';
export const PSK_PASSPHRASE = 'airlock wifi passphrase';
export const EAP_SSID = 'airlock-eap';
export const PEAP_USER = { name: 'alice', password: 'alice-wifi-password' };
export const TLS_STATION = 'wifi-tls-station';
/** WPA3-Personal: SAE only (PMF required, H2E and hunting-and-pecking, beacon protection). */
export const SAE_SSID = 'airlock-sae';
export const SAE_PASSWORD = 'airlock wpa3 password';
/** WPA2/WPA3 transition mode: WPA2-PSK and SAE on one BSS (PMF capable). */
export const MIX_SSID = 'airlock-mix';
export const MIX_PASSWORD = 'airlock transition password';
/** The agent's id (a certificate of the test PKI). */
export const AGENT_ID = 'ap-1';

/** One BSS of the agent. */
export interface ApBss {
  ifname: string;
  bssid: Buffer;
  ssid: string;
  /** The interface's IPv6 link-local address (EUI-64 of the BSSID). */
  linkLocal: string;
}

/** A station radio in its own namespace. */
export interface WifiStation {
  name: string;
  /** Network namespace. */
  ns: string;
  ifname: string;
  mac: Buffer;
  linkLocal: string;
  supplicant: WpaSupplicant | undefined;
}

/** The IPv6 link-local address of an interface with this MAC (modified EUI-64, RFC 4291 Appendix A). */
export function linkLocalOf(mac: Buffer): string {
  const b = [mac[0] ^ 0x02, mac[1], mac[2], 0xff, 0xfe, mac[3], mac[4], mac[5]];
  const groups: string[] = [];
  for (let i = 0; i < 8; i += 2) groups.push(((b[i] << 8) | b[i + 1]).toString(16));
  return `fe80::${groups.join(':')}`.replace(/fe80::0:/, 'fe80::');
}

/** A command's output, whatever its exit status. */
export async function sh(cmd: string, args: string[], timeoutMs = 30_000): Promise<{ code: number; out: string }> {
  try {
    const r = await run(cmd, args, { timeout: timeoutMs, maxBuffer: 16 << 20 });
    return { code: 0, out: r.stdout + r.stderr };
  } catch (e) {
    const err = e as { code?: number | string; stdout?: string; stderr?: string; message: string };
    return { code: typeof err.code === 'number' ? err.code : -1, out: `${err.stdout ?? ''}${err.stderr ?? ''}` || err.message };
  }
}

/** Runs `cmd` in namespace `ns` (undefined: here). */
export function inNs(ns: string | undefined, cmd: string, args: string[], timeoutMs?: number): Promise<{ code: number; out: string }> {
  return ns === undefined ? sh(cmd, args, timeoutMs) : sh('ip', ['netns', 'exec', ns, cmd, ...args], timeoutMs);
}

/** What a ping saw. */
export interface PingResult {
  transmitted: number;
  received: number;
  /** Addresses that answered (for a multicast ping, every station that did). */
  responders: Set<string>;
  out: string;
}

/** ping -6 from namespace `ns` to `target%iface`, up to `count` answers within `deadlineS`. */
export async function ping6(ns: string | undefined, target: string, iface: string, count = 3, deadlineS = 20): Promise<PingResult> {
  const r = await inNs(ns, 'ping', ['-6', '-n', '-c', String(count), '-i', '0.5', '-w', String(deadlineS), `${target}%${iface}`], (deadlineS + 10) * 1000);
  const m = /(\d+) packets transmitted, (\d+) received/.exec(r.out);
  const responders = new Set<string>();
  for (const line of r.out.split('\n')) {
    const f = /bytes from ([0-9a-f:]+)/.exec(line);
    if (f !== null) responders.add(f[1]);
  }
  return { transmitted: Number(m?.[1] ?? 0), received: Number(m?.[2] ?? 0), responders, out: r.out };
}

/** Waits until `cond` holds, checking every `everyMs`; false when it did not within `ms`. */
export async function until(cond: () => boolean | Promise<boolean>, ms: number, everyMs = 200): Promise<boolean> {
  const end = Date.now() + ms;
  for (;;) {
    if (await cond()) return true;
    if (Date.now() > end) return false;
    await new Promise((r) => setTimeout(r, everyMs));
  }
}

/** A child process writing to a log file. */
export interface LoggedProcess {
  child: ChildProcess;
  logFile: string;
  log(): string;
  stop(): Promise<void>;
}

/** Starts `cmd` with its output going to `logFile`; killed if this process exits first. */
export function startLogged(cmd: string, args: string[], logFile: string): LoggedProcess {
  const fd = openSync(logFile, 'w');
  const child = spawn(cmd, args, { stdio: ['ignore', fd, fd] });
  closeSync(fd);
  const exited = new Promise<void>((resolve) => child.once('exit', () => resolve()));
  const kill = (): void => {
    child.kill('SIGKILL');
  };
  process.once('exit', kill);
  return {
    child,
    logFile,
    log: () => readFileSync(logFile, 'utf8'),
    async stop() {
      process.removeListener('exit', kill);
      if (child.exitCode !== null || child.signalCode !== null) return;
      child.kill('SIGTERM');
      const t = setTimeout(() => child.kill('SIGKILL'), 5000);
      await exited;
      clearTimeout(t);
    },
  };
}

/** The world. */
export interface WifiWorld {
  dir: string;
  auth: AuthenticatorProcess;
  proxy: TcpProxy;
  agent: LoggedProcess;
  radius: RadiusSide;
  /** The agent's BSSes: psk[0] and eap[0] on radio A, psk[1] and eap[1] on radio B. */
  psk: ApBss[];
  eap: ApBss[];
  /** On radio A: WPA3-Personal (akm=sae, ieee80211w=2, sae_pwe=2, beacon_prot=1) and transition mode (akm=psk+sae). */
  sae: ApBss;
  mix: ApBss;
  stations: WifiStation[];
  /**
   * Two spare radios in this namespace: one for a hostile injector, one whose address
   * acknowledges frames (a radio with only a monitor interface up transmits anything
   * injected; with a managed interface up as well it acknowledges, but hwsim then drops
   * the unicast frames injected on it).
   */
  spare: { injectorPhy: string; ackerPhy: string; ackerIf: string; ackerMac: Buffer };
  /** The authenticator's configuration as written (rewrite with reconfigure()). */
  config: Record<string, unknown>;
  /** Rewrites the authenticator's configuration and reloads it (SIGHUP); resolves once applied. */
  reconfigure(change: (c: Record<string, unknown>) => void): Promise<void>;
  /** `airlock ARGS...` against the authenticator's Admin API. */
  airlock(...args: string[]): Promise<{ code: number; out: string }>;
  /** Starts wpa_supplicant on a station with one network block. */
  connect(st: WifiStation, network: WpaNetwork, globals?: Record<string, string | number>): Promise<WpaSupplicant>;
  /** Stops a station's wpa_supplicant. */
  disconnect(st: WifiStation): Promise<void>;
  close(): Promise<void>;
}

/** The network blocks of the world. */
export function pskNetwork(over: WpaNetwork = {}): WpaNetwork {
  return { ssid: PSK_SSID, key_mgmt: 'WPA-PSK', psk: PSK_PASSPHRASE, proto: 'RSN', pairwise: 'CCMP', group: 'CCMP', scan_freq: 2412, ...over };
}

/** A WPA3-Personal network block for the SAE BSS (PMF required, as the BSS requires it). */
export function saeNetwork(over: WpaNetwork = {}): WpaNetwork {
  return { ssid: SAE_SSID, key_mgmt: 'SAE', sae_password: SAE_PASSWORD, ieee80211w: 2, proto: 'RSN', pairwise: 'CCMP', group: 'CCMP', scan_freq: 2412, ...over };
}

/** The network interface of a wiphy (in this namespace), or undefined. */
export function phyNetdev(phy: string): string | undefined {
  try {
    return readdirSync(`/sys/class/ieee80211/${phy}/device/net`)[0];
  } catch {
    return undefined;
  }
}

/** Builds the world in `dir` (logs and configuration there). */
export async function startWorld(dir: string, o: { stations: number; http?: { host: string; port: number } }): Promise<WifiWorld> {
  // phy0, phy1: the agent's; then the stations; then two spare radios.
  mkdirSync(dir, { recursive: true });
  const cleanups: (() => Promise<void>)[] = [];
  const close = async (): Promise<void> => {
    for (const c of cleanups.splice(0).reverse()) {
      try {
        await c();
      } catch {
        // best effort
      }
    }
  };
  try {
    const phys = readdirSync('/sys/class/ieee80211').sort((a, b) => a.localeCompare(b, undefined, { numeric: true }));
    if (phys.length < 4 + o.stations) throw new Error(`the world needs ${4 + o.stations} hwsim radios, found ${phys.length}`);
    const injectorPhy = phys[2 + o.stations];
    const ackerPhy = phys[3 + o.stations];
    const ackerIf = phyNetdev(ackerPhy);
    if (ackerIf === undefined) throw new Error(`${ackerPhy} has no interface`);
    const apA = phyNetdev(phys[0]);
    const apB = phyNetdev(phys[1]);
    if (apA === undefined || apB === undefined) throw new Error('the AP radios have no interface');

    const radius = await startRadiusSide([{ name: PEAP_USER.name, password: PEAP_USER.password }], [TLS_STATION]);
    cleanups.push(() => radius.close());

    const config: Record<string, unknown> = {
      grpc: { plaintext: false, tls: serverTlsYaml() },
      agents: { reconnect_grace_s: 60 },
      log: { level: 'info' },
      // Interim-Updates every 5 s: the agent reports GET_STATION counters that often.
      radius: { servers: [{ name: 'freeradius', host: '127.0.0.1', auth_port: radius.radius.authPort, acct_port: radius.radius.acctPort, secret: RADIUS_SECRET }], interim_interval_s: 5 },
      networks: [
        { ssid: PSK_SSID, akms: ['psk'], passphrases: [PSK_PASSPHRASE], group_rekey_s: 0 },
        { ssid: EAP_SSID, akms: ['8021x'], group_rekey_s: 0 },
        { ssid: SAE_SSID, akms: ['sae'], passphrases: [SAE_PASSWORD], group_rekey_s: 0, sae: { pwe: 'both' } },
        { ssid: MIX_SSID, akms: ['psk', 'sae'], passphrases: [MIX_PASSWORD], group_rekey_s: 0 },
      ],
    };
    const auth = await startAuthenticatorProcess('authenticator', dir, config, { readyTimeoutMs: 120_000, http: o.http });
    cleanups.push(() => auth.stop());
    const proxy = await TcpProxy.start(auth.grpcPort);
    cleanups.push(() => proxy.close());

    const agent = startLogged(
      process.execPath,
      [
        join(REPO_ROOT, 'services/edge-agent/dist/main.js'),
        '--driver', 'nl80211',
        '--agent-id', AGENT_ID,
        '--pki-dir', testPkiDir(),
        '--authenticator', `localhost:${proxy.port}`,
        '--radio', `${apA}:ssid=${PSK_SSID},akm=psk,channel=1`,
        '--radio', `${apA}:ssid=${EAP_SSID},akm=8021x,channel=1`,
        '--radio', `${apB}:ssid=${PSK_SSID},akm=psk,channel=1`,
        '--radio', `${apB}:ssid=${EAP_SSID},akm=8021x,channel=1`,
        '--radio', `${apA}:ssid=${SAE_SSID},akm=sae,channel=1,sae_pwe=2,beacon_prot=1`,
        '--radio', `${apA}:ssid=${MIX_SSID},akm=psk+sae,channel=1`,
        '--log-level', 'debug',
        '--counters-log-s', '1',
      ],
      join(dir, 'agent.log'),
    );
    cleanups.push(() => agent.stop());
    const welcomed = await until(() => agent.log().includes('welcomed by the authenticator') || agent.child.exitCode !== null, 120_000, 250);
    if (!welcomed || agent.child.exitCode !== null) throw new Error(`the nl80211 agent did not start; its log:\n${agent.log().slice(-4000)}`);

    const bss = (ifname: string, ssid: string): ApBss => {
      const bssid = interfaceMac(ifname);
      return { ifname, bssid, ssid, linkLocal: linkLocalOf(bssid) };
    };
    const psk = [bss(apA, PSK_SSID), bss(apB, PSK_SSID)];
    const eap = [bss(`${apA}-1`, EAP_SSID), bss(`${apB}-1`, EAP_SSID)];
    const sae = bss(`${apA}-2`, SAE_SSID);
    const mix = bss(`${apA}-3`, MIX_SSID);

    const stations: WifiStation[] = [];
    for (let i = 0; i < o.stations; i++) {
      const phy = phys[2 + i];
      const ifname = phyNetdev(phy);
      if (ifname === undefined) throw new Error(`${phy} has no interface`);
      const mac = interfaceMac(ifname);
      const ns = `sta${i + 1}`;
      await sh('ip', ['netns', 'del', ns]);
      for (const [cmd, args] of [
        ['ip', ['netns', 'add', ns]],
        ['iw', ['phy', phy, 'set', 'netns', 'name', ns]],
        ['ip', ['netns', 'exec', ns, 'ip', 'link', 'set', 'lo', 'up']],
      ] as const) {
        const r = await sh(cmd, [...args]);
        if (r.code !== 0) throw new Error(`${cmd} ${args.join(' ')}: ${r.out}`);
      }
      stations.push({ name: `sta${i + 1}`, ns, ifname, mac, linkLocal: linkLocalOf(mac), supplicant: undefined });
    }
    cleanups.push(async () => {
      for (const st of stations) {
        await st.supplicant?.stop();
        await sh('ip', ['netns', 'del', st.ns]);
      }
    });

    const world: WifiWorld = {
      dir,
      auth,
      proxy,
      agent,
      radius,
      psk,
      eap,
      sae,
      mix,
      stations,
      spare: { injectorPhy, ackerPhy, ackerIf, ackerMac: interfaceMac(ackerIf) },
      config,
      async reconfigure(change) {
        change(config);
        const reloads = (): number => readFileSync(auth.logFile, 'utf8').split('"configuration reloaded"').length - 1;
        const before = reloads();
        writeFileSync(auth.configFile, `${JSON.stringify({ ...auth.config, ...config, grpc: auth.config['grpc'], http: auth.config['http'], admin: auth.config['admin'] }, null, 2)}\n`);
        auth.signal('SIGHUP');
        const ok = await until(() => reloads() > before, 30_000, 250);
        if (!ok) throw new Error(`the authenticator did not apply the new configuration; its log:\n${readFileSync(auth.logFile, 'utf8').slice(-3000)}`);
      },
      airlock(...args) {
        return sh(process.execPath, [join(REPO_ROOT, 'services/authenticator/dist/cli/airlock.js'), ...args, '--server', `localhost:${auth.adminPort}`, '--pki-dir', testPkiDir(), '--timeout-s', '30'], 120_000);
      },
      async connect(st, network, globals) {
        await st.supplicant?.stop();
        st.supplicant = await startWpaSupplicant({ namespace: st.ns, interfaceName: st.ifname, network, globals, driver: 'nl80211' });
        return st.supplicant;
      },
      async disconnect(st) {
        await st.supplicant?.stop();
        st.supplicant = undefined;
      },
      close,
    };
    return world;
  } catch (err) {
    await close();
    throw err;
  }
}

/** Waits for CTRL-EVENT-CONNECTED after line `from`; returns the BSSID it connected to. */
export async function waitConnected(s: WpaSupplicant, timeoutMs: number, from = 0): Promise<string> {
  const i = await s.waitForLine('CTRL-EVENT-CONNECTED', timeoutMs, from);
  const m = /Connection to ([0-9a-f:]{17}) completed/.exec(s.lines()[i]);
  return m?.[1] ?? '';
}

/** The AP BSS a BSSID text names. */
export function bssByBssid(w: WifiWorld, bssid: string): ApBss | undefined {
  return [...w.psk, ...w.eap, w.sae, w.mix].find((b) => formatMac(b.bssid) === bssid);
}
