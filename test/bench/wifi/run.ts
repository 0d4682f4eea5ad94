#!/usr/bin/env node
/**
 * `npm run bench:wifi [-- --rounds 3 --stations 4 --scenarios wifi-psk,wifi-peap,wifi-sae --authenticator vm|host --breakdown --record]`:
 * real wpa_supplicant stations on mac80211_hwsim join through hostapd (nl80211) and through
 * airlock (the nl80211 agent, gRPC, the authenticator, FreeRADIUS for PEAP), taking turns,
 * inside the VM test host (vm-bench.ts says how a join is timed). wifi-sae is WPA3-Personal:
 * SAE (hash-to-element, group 19) with PMF required, at hostapd and at the authenticator.
 *
 * `--authenticator host` runs the authenticator and FreeRADIUS on this machine at native
 * speed instead, reached from the VM over QEMU user networking (the agent, hostapd and the
 * stations stay in the VM): the VM's emulation (TCG) slows Node far more than hostapd's C,
 * and this run shows how much of airlock's time is the authenticator under emulation.
 *
 * Prints one JSON line per scenario: hostapd_join_ms_p50, airlock_join_ms_p50, ratio
 * (airlock / hostapd), connected, failed, joins; the p50 of each stage of a join seen by the
 * station (association, authentication up to msg 1/4, 4-way handshake; for wifi-sae also the
 * SAE exchange, `*_sae_ms_p50`) and of an EAPOL
 * round trip seen by the station, per path; and with --breakdown (the agent at trace level,
 * which costs it a little per frame) where airlock's round trip goes: station to agent, agent
 * to authenticator and back (gRPC both ways and the authenticator), agent to kernel, kernel
 * to station.
 */
import { existsSync, mkdtempSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { parseArgs } from 'node:util';
import { RADIUS_SECRET, startRadiusSide, type RadiusSide } from '../../interop/harness.js';
import { startAuthenticatorProcess, type AuthenticatorProcess } from '../../support/authenticator-process.js';
import { serverTlsYaml, testPkiDir } from '../../support/test-pki.js';
import { bootVm, vmUnavailable } from '../../support/vm/vm.js';
import { PEAP_USER } from '../../wifi/world.js';
import { recorder } from '../support/record.js';
import { quantile } from '../support/stats.js';
import { benchNetworks, WIFI_SCENARIOS, type WifiScenario } from './bench-networks.js';
import type { JoinSample, VmBenchOptions } from './vm-bench.js';

const TARGET_RATIO = 1.2;

function fail(text: string): never {
  console.error(`bench:wifi: ${text}`);
  process.exit(2);
}

/** parseArgs, with badOption for what it refuses. */
const parseArgsSafe: typeof parseArgs = (config) => {
  try {
    return parseArgs(config);
  } catch (e) {
    return badOption(e);
  }
};

function p50(xs: (number | undefined)[]): number | null {
  const v = xs.filter((x): x is number => x !== undefined && Number.isFinite(x));
  return v.length === 0 ? null : Math.round(quantile(v, 0.5) * 10) / 10;
}

const USAGE = `usage: npm run bench:wifi -- [--rounds 3] [--stations 4] [--scenarios ${WIFI_SCENARIOS.join(',')}] [--authenticator vm|host] [--breakdown] [--out FILE] [--record]`;

/** parseArgs's error for an unknown or malformed option: one line and the usage, exit 2, no stack trace. */
function badOption(e: unknown): never {
  fail(`${e instanceof Error ? e.message : String(e)}\n${USAGE}`);
}

async function main(): Promise<void> {
  if (process.argv.includes('--help')) {
    console.log(USAGE);
    return;
  }
  const { values: v } = parseArgsSafe({
    options: {
      rounds: { type: 'string', default: '3' },
      stations: { type: 'string', default: '4' },
      scenarios: { type: 'string', default: WIFI_SCENARIOS.join(',') },
      authenticator: { type: 'string', default: 'vm' },
      breakdown: { type: 'boolean', default: false },
      out: { type: 'string' },
      record: { type: 'boolean', default: false },
    },
  });
  const record = recorder('wifi', v.record, `npm run bench:wifi -- ${process.argv.slice(2).join(' ')}`);
  const rounds = Number(v.rounds);
  const stations = Number(v.stations);
  if (!Number.isInteger(rounds) || rounds < 1 || rounds > 100) fail('--rounds: 1..100');
  if (!Number.isInteger(stations) || stations < 1 || stations > 20) fail('--stations: 1..20');
  const scenarios = v.scenarios.split(',') as WifiScenario[];
  for (const s of scenarios) if (!(WIFI_SCENARIOS as readonly string[]).includes(s)) fail(`unknown scenario ${JSON.stringify(s)} (${WIFI_SCENARIOS.join(', ')})`);
  if (v.authenticator !== 'vm' && v.authenticator !== 'host') fail('--authenticator: vm or host');
  const why = vmUnavailable();
  if (why !== undefined) fail(why);

  const out = v.out ?? mkdtempSync(join(tmpdir(), 'airlock-bench-wifi-'));
  const options: VmBenchOptions = { stations, rounds, scenarios, breakdown: v.breakdown };
  let radius: RadiusSide | undefined;
  let auth: AuthenticatorProcess | undefined;
  try {
    if (v.authenticator === 'host') {
      radius = await startRadiusSide([{ name: PEAP_USER.name, password: PEAP_USER.password }]);
      auth = await startAuthenticatorProcess('authenticator', out, {
        grpc: { plaintext: false, tls: serverTlsYaml() },
        log: { level: 'warn' },
        radius: { servers: [{ name: 'freeradius', host: '127.0.0.1', auth_port: radius.radius.authPort, acct_port: radius.radius.acctPort, secret: RADIUS_SECRET }], accounting: false },
        limits: { eapol_per_station_per_s: 1000, eapol_burst_per_station: 1000 },
        networks: benchNetworks(),
      });
      // QEMU user networking: the host's loopback is 10.0.2.2 from the VM.
      options.remote = { grpcTarget: `10.0.2.2:${auth.grpcPort}`, radiusHost: '10.0.2.2', radiusAuthPort: radius.radius.authPort };
    }
    const results = join(out, 'results');
    console.error(`bench:wifi: booting the VM test host (${scenarios.join(', ')}, ${rounds} rounds x ${stations} stations per path, authenticator in the ${v.authenticator}); files in ${out}`);
    const vm = await bootVm({
      workDir: out,
      command: [process.execPath, 'test/dist/bench/wifi/vm-bench.js', results, JSON.stringify(options)],
      env: { AIRLOCK_TEST_PKI: testPkiDir() },
      radios: 2 + stations,
      userNet: v.authenticator === 'host' ? { forwards: [] } : undefined,
      timeoutMs: 60 * 60_000,
      onConsole: (l) => {
        if (l.startsWith('airlock-bench-wifi:')) console.error(l);
      },
    });
    const file = join(results, 'joins.jsonl');
    const samples: JoinSample[] = existsSync(file) ? readFileSync(file, 'utf8').split('\n').filter((l) => l.trim() !== '').map((l) => JSON.parse(l) as JoinSample) : [];
    if (vm.exitCode !== 0) console.error(`bench:wifi: the run in the VM did not finish cleanly (exit ${vm.exitCode}, ${vm.failure ?? ''}); see ${out}`);
    for (const scenario of scenarios) {
      const of = (path: 'hostapd' | 'airlock'): JoinSample[] => samples.filter((s) => s.scenario === scenario && s.path === path);
      const line: Record<string, unknown> = { scenario, authenticator: v.authenticator };
      for (const path of ['hostapd', 'airlock'] as const) {
        const ok = of(path).filter((s) => s.ok);
        line[`${path}_join_ms_p50`] = p50(ok.map((s) => s.joinMs));
        line[`${path}_assoc_ms_p50`] = p50(ok.map((s) => s.assocMs));
        line[`${path}_auth_ms_p50`] = p50(ok.map((s) => s.authMs));
        line[`${path}_4way_ms_p50`] = p50(ok.map((s) => s.fourWayMs));
        if (scenario === 'wifi-sae') line[`${path}_sae_ms_p50`] = p50(ok.map((s) => s.saeMs));
        line[`${path}_station_rtt_ms_p50`] = p50(ok.map((s) => s.stationRttMs));
      }
      // Where airlock's EAPOL round trip goes (the agent's trace lines; vm-bench.ts).
      const air = of('airlock').filter((s) => s.ok);
      line['airlock_station_to_agent_ms_p50'] = p50(air.map((s) => s.toAgentMs));
      line['airlock_agent_authenticator_rtt_ms_p50'] = p50(air.map((s) => s.authenticatorRttMs));
      line['airlock_agent_to_kernel_ms_p50'] = p50(air.map((s) => s.agentTxMs));
      line['airlock_kernel_to_station_ms_p50'] = p50(air.map((s) => s.toStationMs));
      const h = line['hostapd_join_ms_p50'] as number | null;
      const a = line['airlock_join_ms_p50'] as number | null;
      const all = [...of('hostapd'), ...of('airlock')];
      line['ratio'] = h === null || a === null || h === 0 ? null : Math.round((a / h) * 100) / 100;
      line['target_ratio'] = TARGET_RATIO;
      line['connected'] = all.filter((s) => s.ok).length;
      line['failed'] = all.filter((s) => !s.ok).length;
      line['joins'] = all.length;
      console.log(JSON.stringify(line));
      record(line);
    }
    if (samples.length === 0) process.exitCode = 1;
  } finally {
    await auth?.stop();
    await radius?.close();
  }
}

await main();
