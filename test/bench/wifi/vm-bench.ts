/**
 * Runs inside the VM test host for `npm run bench:wifi` (see run.ts): the same real
 * wpa_supplicant stations join, in turns, two APs on two hwsim radios of the same channel:
 *
 * - hostapd:  hostapd 2.10, driver=nl80211, on phy0 (PSK and 802.1X BSSes, and for wifi-sae
 *             an SAE BSS: wpa_key_mgmt=SAE, ieee80211w=2, sae_pwe=2);
 * - airlock:  the nl80211 edge agent on phy1 (the same BSSes; akm=sae for wifi-sae) -> gRPC ->
 *             the authenticator (in the VM, or on the host over QEMU user networking) ->
 *             FreeRADIUS.
 *
 * A join is timed with wpa_supplicant's own timestamps (-t), from "Trying to associate" to
 * CTRL-EVENT-CONNECTED; each is a fresh wpa_supplicant (no PMKSA cache: every PEAP join is
 * a full EAP authentication, every SAE join a full SAE exchange). Rounds alternate the order
 * of the two paths. Per join, the stages seen by the station are kept: association (Trying
 * to associate -> Associated), authentication (Associated -> msg 1/4 received: the EAP
 * exchange for 802.1X), and the 4-way handshake (msg 1/4 -> CTRL-EVENT-CONNECTED). SAE runs
 * before the association (Authentication frames of algorithm 3): a wifi-sae join is timed
 * from "SME: Trying to authenticate" instead, and its SAE stage (Trying to authenticate ->
 * Trying to associate: Commit and Confirm both ways, hash-to-element with group 19) is kept.
 *
 *   node test/dist/bench/wifi/vm-bench.js OUTDIR OPTIONS_JSON
 */
import { appendFileSync, mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { interfaceMac } from '@airlock/edge-agent';
import { formatMac } from '@airlock/rsn';
import { RADIUS_SECRET, startRadiusSide, type RadiusSide } from '../../interop/harness.js';
import { REPO_ROOT, startAuthenticatorProcess, type AuthenticatorProcess } from '../../support/authenticator-process.js';
import { serverTlsYaml, testPkiDir } from '../../support/test-pki.js';
import { startWpaSupplicant, type WpaNetwork, type WpaSupplicant } from '../../support/wpa-supplicant.js';
import { EAP_SSID, PEAP_USER, phyNetdev, PSK_PASSPHRASE, PSK_SSID, sh, startLogged, until, type LoggedProcess } from '../../wifi/world.js';
import { benchNetworks, SAE_BENCH, type WifiScenario } from './bench-networks.js';
import { startWifiHostapd } from './hostapd-wifi.js';

/** What run.ts asks for. */
export interface VmBenchOptions {
  stations: number;
  rounds: number;
  scenarios: WifiScenario[];
  /** Run the agent at trace level and split airlock's round trips into stages (costs a little time per frame). */
  breakdown: boolean;
  /** The authenticator and FreeRADIUS on the host, reached over QEMU user networking. */
  remote?: { grpcTarget: string; radiusHost: string; radiusAuthPort: number };
}

/** One measured join. */
export interface JoinSample {
  scenario: string;
  path: 'hostapd' | 'airlock';
  round: number;
  station: string;
  ok: boolean;
  joinMs?: number;
  assocMs?: number;
  authMs?: number;
  fourWayMs?: number;
  /** wifi-sae: the SAE exchange (Trying to authenticate -> Trying to associate). */
  saeMs?: number;
  /** Each EAPOL round trip as the station sees it: its frame sent -> the AP's answer received (median of the join). */
  stationRttMs?: number;
  /**
   * airlock only, medians over the join's round trips, from the agent's trace lines: station
   * sends -> agent has the frame; agent has it -> the authenticator's answer arrives at the
   * agent (gRPC both ways and the authenticator); answer -> sent to the kernel (the driver's
   * queue); sent -> the station has it (kernel, air, the station's kernel).
   */
  toAgentMs?: number;
  authenticatorRttMs?: number;
  agentTxMs?: number;
  toStationMs?: number;
  error?: string;
}

const JOIN_TIMEOUT_MS = 60_000;

/** wpa_supplicant -t line timestamp in ms. */
function stamp(line: string): number {
  const m = /^(\d+\.\d+):/.exec(line);
  return m === null ? NaN : Number(m[1]) * 1000;
}

function median(xs: number[]): number | undefined {
  const v = xs.filter((x) => Number.isFinite(x)).sort((a, b) => a - b);
  return v.length === 0 ? undefined : Math.round(v[Math.floor((v.length - 1) / 2)] * 100) / 100;
}

/** The agent's EAPOL trace lines for station `mac` (see Nl80211Driver.traceEapol). */
function agentTrace(agentLog: string, mac: string, fromMs: number, toMs: number): { from: number[]; command: number[]; handed: number[] } {
  const out = { from: [] as number[], command: [] as number[], handed: [] as number[] };
  for (const line of agentLog.split('\n')) {
    if (!line.includes('"atMs"') || !line.includes(mac)) continue;
    const j = JSON.parse(line) as { msg: string; atMs: number };
    if (j.atMs < fromMs || j.atMs > toMs) continue;
    if (j.msg === 'eapol from the station') out.from.push(j.atMs);
    else if (j.msg === 'eapol to the station: command') out.command.push(j.atMs);
    else if (j.msg === 'eapol to the station: sent to the kernel') out.handed.push(j.atMs);
  }
  return out;
}

/** What a station joins: its network block, its global options, and whether SAE comes first. */
interface JoinTarget {
  network: WpaNetwork;
  globals?: Record<string, string | number>;
  sae?: boolean;
}

async function joinOnce(ns: string, ifname: string, target: JoinTarget, agentLog?: () => string): Promise<Omit<JoinSample, 'scenario' | 'path' | 'round' | 'station'>> {
  let s: WpaSupplicant | undefined;
  try {
    s = await startWpaSupplicant({ namespace: ns, interfaceName: ifname, network: target.network, globals: target.globals, driver: 'nl80211' });
    const connected = await s.waitForLine('CTRL-EVENT-CONNECTED', JOIN_TIMEOUT_MS);
    const lines = s.lines();
    const at = (re: RegExp): number => {
      const i = s!.indexOf(re);
      return i < 0 || i > connected ? NaN : stamp(lines[i]);
    };
    const associating = at(/: Trying to associate with/);
    // SAE (Authentication frames) comes before the association: a WPA3 join starts there.
    const authenticating = target.sae === true ? at(/: SME: Trying to authenticate with/) : NaN;
    const trying = target.sae === true ? authenticating : associating;
    const associated = at(/: Associated with/);
    const msg1 = at(/WPA: RX message 1 of 4-Way Handshake/);
    const done = stamp(lines[connected]);
    const r = (x: number): number => Math.round(x * 100) / 100;
    // EAPOL the station sent and received, in order, during the join.
    const sent: number[] = [];
    const received: number[] = [];
    for (let i = 0; i <= connected; i++) {
      if (lines[i].includes('nl80211: Send over control port') && lines[i].includes('proto=0x888e')) sent.push(stamp(lines[i]));
      else if (/: RX EAPOL from /.test(lines[i])) received.push(stamp(lines[i]));
    }
    const rtts = sent.map((t) => (received.find((x) => x > t) ?? NaN) - t);
    const sample: Omit<JoinSample, 'scenario' | 'path' | 'round' | 'station'> = { ok: true, joinMs: r(done - trying), assocMs: r(associated - associating), authMs: r(msg1 - associated), fourWayMs: r(done - msg1), stationRttMs: median(rtts) };
    if (target.sae === true) sample.saeMs = r(associating - authenticating);
    if (agentLog !== undefined) {
      const mac = /^address=([0-9a-f:]{17})$/m.exec(await s.command('status'))?.[1] ?? '';
      const t = agentTrace(agentLog(), mac, trying - 1000, done + 1000);
      // The k-th frame the agent got from the station answers ... pairs in order.
      sample.toAgentMs = median(t.from.map((at, k) => at - (sent[k] ?? NaN)));
      sample.authenticatorRttMs = median(t.from.map((at) => (t.command.find((c) => c > at) ?? NaN) - at));
      sample.agentTxMs = median(t.command.map((c, k) => (t.handed[k] ?? NaN) - c));
      // Every EAPOL frame the station receives went through the agent: the k-th sent is the k-th received.
      sample.toStationMs = median(t.handed.map((h, k) => (received[k] ?? NaN) - h));
    }
    return sample;
  } catch (err) {
    return { ok: false, error: err instanceof Error ? err.message.split('\n')[0] : String(err) };
  } finally {
    await s?.stop();
  }
}

async function main(): Promise<number> {
  const [out, optionsJson] = process.argv.slice(2);
  if (out === undefined || optionsJson === undefined) {
    console.error('usage: vm-bench.js OUTDIR OPTIONS_JSON');
    return 2;
  }
  const o = JSON.parse(optionsJson) as VmBenchOptions;
  mkdirSync(out, { recursive: true });
  const samplesFile = join(out, 'joins.jsonl');
  writeFileSync(samplesFile, '');
  const cleanups: (() => Promise<void>)[] = [];
  try {
    const phys = (await sh('ls', ['/sys/class/ieee80211'])).out.split(/\s+/).filter((p) => p !== '').sort((a, b) => a.localeCompare(b, undefined, { numeric: true }));
    if (phys.length < 2 + o.stations) throw new Error(`need ${2 + o.stations} radios, have ${phys.length}`);
    const hostapdIf = phyNetdev(phys[0])!;
    const agentIf = phyNetdev(phys[1])!;
    // The SAE BSSes only when wifi-sae runs: the other scenarios keep the air they were measured with.
    const withSae = o.scenarios.includes('wifi-sae');

    let radius: RadiusSide | undefined;
    let radiusHost = '127.0.0.1';
    let radiusPort: number;
    let auth: AuthenticatorProcess | undefined;
    let grpcTarget: string;
    if (o.remote === undefined) {
      radius = await startRadiusSide([{ name: PEAP_USER.name, password: PEAP_USER.password }]);
      cleanups.push(() => radius!.close());
      radiusPort = radius.radius.authPort;
      auth = await startAuthenticatorProcess('authenticator', out, {
        grpc: { plaintext: false, tls: serverTlsYaml() },
        log: { level: 'warn' },
        radius: { servers: [{ name: 'freeradius', host: '127.0.0.1', auth_port: radiusPort, acct_port: radius.radius.acctPort, secret: RADIUS_SECRET }], accounting: false },
        limits: { eapol_per_station_per_s: 1000, eapol_burst_per_station: 1000 },
        networks: benchNetworks(),
      }, { readyTimeoutMs: 120_000 });
      cleanups.push(() => auth!.stop());
      grpcTarget = `localhost:${auth.grpcPort}`;
    } else {
      radiusHost = o.remote.radiusHost;
      radiusPort = o.remote.radiusAuthPort;
      grpcTarget = o.remote.grpcTarget;
    }

    const agent: LoggedProcess = startLogged(process.execPath, [
      join(REPO_ROOT, 'services/edge-agent/dist/main.js'),
      '--driver', 'nl80211',
      '--agent-id', 'ap-1',
      '--pki-dir', testPkiDir(),
      '--authenticator', grpcTarget,
      ...(o.remote === undefined ? [] : ['--tls-server-name', 'localhost']),
      '--radio', `${agentIf}:ssid=${PSK_SSID},akm=psk,channel=1`,
      '--radio', `${agentIf}:ssid=${EAP_SSID},akm=8021x,channel=1`,
      // PMF required (akm=sae's default, as hostapd's ieee80211w=2), H2E and hunting-and-pecking as hostapd's sae_pwe=2.
      ...(withSae ? ['--radio', `${agentIf}:ssid=${SAE_BENCH.ssid},akm=sae,channel=1,sae_pwe=2`] : []),
      // trace: the EAPOL timing lines of the breakdown (three per frame); info: a few lines per join
      '--log-level', o.breakdown ? 'trace' : 'info',
      '--counters-log-s', '0',
    ], join(out, 'agent.log'));
    cleanups.push(() => agent.stop());
    await until(() => agent.child.exitCode !== null || agent.log().includes('welcomed by the authenticator'), 120_000, 250);
    if (!agent.log().includes('welcomed by the authenticator')) throw new Error(`the agent did not start: ${agent.log().slice(-2000)}`);

    const hostapd = await startWifiHostapd({
      workDir: out,
      interfaceName: hostapdIf,
      eapBssid: formatMac(Buffer.from([0x02, 0x00, 0x00, 0x00, 0x00, 0x01])),
      channel: 1,
      psk: { ssid: PSK_SSID, passphrase: PSK_PASSPHRASE },
      eap: { ssid: EAP_SSID, radiusHost, radiusPort, secret: RADIUS_SECRET },
      sae: withSae ? { ssid: SAE_BENCH.ssid, password: SAE_BENCH.password, bssid: formatMac(Buffer.from([0x02, 0x00, 0x00, 0x00, 0x00, 0x02])) } : undefined,
    });
    cleanups.push(() => hostapd.child.stop());

    const bssids = {
      hostapd: { psk: formatMac(interfaceMac(hostapdIf)), eap: formatMac(interfaceMac(`${hostapdIf}_1`)), sae: withSae ? formatMac(interfaceMac(`${hostapdIf}_2`)) : '' },
      airlock: { psk: formatMac(interfaceMac(agentIf)), eap: formatMac(interfaceMac(`${agentIf}-1`)), sae: withSae ? formatMac(interfaceMac(`${agentIf}-2`)) : '' },
    };
    const stations: { name: string; ns: string; ifname: string }[] = [];
    for (let i = 0; i < o.stations; i++) {
      const phy = phys[2 + i];
      const ifname = phyNetdev(phy)!;
      const ns = `bench${i + 1}`;
      await sh('ip', ['netns', 'del', ns]);
      for (const args of [['netns', 'add', ns], ['netns', 'exec', ns, 'ip', 'link', 'set', 'lo', 'up']]) await sh('ip', args);
      const r = await sh('iw', ['phy', phy, 'set', 'netns', 'name', ns]);
      if (r.code !== 0) throw new Error(`iw phy ${phy} set netns: ${r.out}`);
      stations.push({ name: `bench${i + 1}`, ns, ifname });
    }
    cleanups.push(async () => {
      for (const st of stations) await sh('ip', ['netns', 'del', st.ns]);
    });

    const targets: Record<WifiScenario, (path: 'hostapd' | 'airlock') => JoinTarget> = {
      'wifi-psk': (path) => ({ network: { ssid: PSK_SSID, key_mgmt: 'WPA-PSK', psk: PSK_PASSPHRASE, proto: 'RSN', pairwise: 'CCMP', group: 'CCMP', scan_freq: 2412, bssid: bssids[path].psk } }),
      'wifi-peap': (path) => ({ network: { ssid: EAP_SSID, key_mgmt: 'WPA-EAP', eap: 'PEAP', identity: PEAP_USER.name, password: PEAP_USER.password, phase2: 'auth=MSCHAPV2', proto: 'RSN', pairwise: 'CCMP', group: 'CCMP', scan_freq: 2412, bssid: bssids[path].eap } }),
      // WPA3-Personal as WPA3 R3 stations do it: hash-to-element only (sae_pwe=1), group 19, PMF required.
      'wifi-sae': (path) => ({ network: { ssid: SAE_BENCH.ssid, key_mgmt: 'SAE', sae_password: SAE_BENCH.password, ieee80211w: 2, proto: 'RSN', pairwise: 'CCMP', group: 'CCMP', scan_freq: 2412, bssid: bssids[path].sae }, globals: { sae_pwe: 1 }, sae: true }),
    };
    for (const scenario of o.scenarios) {
      // One warm-up join per path (first connections, JIT) is not measured.
      for (const path of ['hostapd', 'airlock'] as const) {
        const st = stations[0];
        await joinOnce(st.ns, st.ifname, targets[scenario](path));
      }
      for (let round = 0; round < o.rounds; round++) {
        const order = round % 2 === 0 ? (['hostapd', 'airlock'] as const) : (['airlock', 'hostapd'] as const);
        for (const path of order) {
          for (const st of stations) {
            const r = await joinOnce(st.ns, st.ifname, targets[scenario](path), path === 'airlock' && o.breakdown ? () => agent.log() : undefined);
            const sample: JoinSample = { scenario, path, round, station: st.name, ...r };
            appendFileSync(samplesFile, `${JSON.stringify(sample)}\n`);
            console.log(`airlock-bench-wifi: ${scenario} ${path} round ${round} ${st.name}: ${r.ok ? `${r.joinMs} ms` : `failed: ${r.error}`}`);
          }
        }
      }
    }
    return 0;
  } catch (err) {
    console.log(`airlock-bench-wifi: setup failed: ${err instanceof Error ? (err.stack ?? err.message) : String(err)}`);
    writeFileSync(join(out, 'error.txt'), err instanceof Error ? (err.stack ?? err.message) : String(err));
    return 1;
  } finally {
    for (const c of cleanups.reverse()) await c().catch(() => undefined);
  }
}

process.exitCode = await main();
