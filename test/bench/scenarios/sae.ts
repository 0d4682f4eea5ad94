/**
 * Scenario sae-burst (issue 17): WPA3-Personal joins against a real authenticator process
 * over mTLS, from the load generator process, closed loop: the maximum SAE join rate and
 * the authenticator's CPU per join against its crypto floor.
 *
 * The rig is psk-burst's (support/join-rig.ts) with the network WPA3-Personal: every BSS
 * SAE-only (AKM 8, PMF required, H2E in the RSNXE), every station WPA3
 * (services/edge-agent sim driver: SaeStation from @airlock/supplicant, H2E, one
 * SaePasswordElement per password shared by the stations), the authenticator configured
 * with `akms: [sae]`, `sae.pwe: h2e` and the passphrase as the SAE password. A join is
 * SAE Commit -> Commit, Confirm -> Confirm (relayed Authentication frames), association,
 * msg 1/4 .. msg 4/4 with AKM 8, key install, port authorized, timed by the load generator
 * from the station's first Commit. The stations keep no PMKSA: every join, the warm-up's
 * and the measured one, is a full SAE exchange.
 *
 * Two things in the authenticator could decide the rate instead of its CPU, and the
 * scenario keeps both out of the way, or measures them:
 * - The Commit budget per BSS (DEFAULT_SAE_LIMITS: 1000 Commits/s, burst 500): the load
 *   spreads over agents x bsses BSSes (32 by default), and `sae_commit_budget_drops` (Commits
 *   dropped over budget during the measured pass) must be 0.
 * - Anti-clogging (networks[].sae.anti_clogging_threshold, default 5 open exchanges per
 *   BSS, as hostapd's): a burst of legitimate stations on one BSS is past it at once, and
 *   every further Commit is answered with a token request (status 76) before it is
 *   processed. The main pass raises the threshold (`--anti-clogging-threshold`, 10000), so
 *   that the line measures SAE itself; a second pass (`--default-threshold-pass yes`, in
 *   the same run, on a fresh authenticator) uses the default and reports its figures as
 *   `default_threshold_*`.
 *
 * `crypto_floor_us_per_handshake` is measureSaeCryptoFloor (support/crypto-floor.ts): the
 * AP's side of one H2E exchange plus the AKM 8 4-way handshake, in this process, before the
 * load starts; `cpu_ratio_to_floor` is the authenticator's CPU per join over it (issue 17
 * target: <= 2; and >= 500 joins/s).
 */
import { DEFAULT_SAE_LIMITS } from '@airlock/rsn';
import { intOption, round, type BenchContext, type BenchResult, type Scenario } from '../scenario.js';
import { measureSaeCryptoFloor, type SaeCryptoFloor } from '../support/crypto-floor.js';
import { measured, startJoinRig, warmUp, type MetricDelta } from '../support/join-rig.js';

const SSID = 'airlock-bench-sae';
const PASSWORD = 'bench sae password 123';
/** The configuration's default anti_clogging_threshold (services/authenticator config.ts, hostapd's). */
const DEFAULT_ANTI_CLOGGING_THRESHOLD = 5;

/** Reads a non-negative integer option (0 is meaningful: a token always). */
function countOption(ctx: BenchContext, name: string, fallback: number): number {
  const raw = ctx.options.get(name);
  if (raw === undefined) return fallback;
  const n = Number(raw);
  if (!Number.isInteger(n) || n < 0) throw new Error(`--${name}: expected a non-negative integer, got ${JSON.stringify(raw)}`);
  return n;
}

/** Reads a yes/no option. */
function yesNoOption(ctx: BenchContext, name: string, fallback: boolean): boolean {
  const raw = ctx.options.get(name);
  if (raw === undefined) return fallback;
  if (raw === 'yes') return true;
  if (raw === 'no') return false;
  throw new Error(`--${name}: expected yes or no, got ${JSON.stringify(raw)}`);
}

/** The SAE figures of a measured pass, from the authenticator's metrics and the stations. */
function saeFields(d: MetricDelta, stations: { exchanges: number; failures: number }): Record<string, unknown> {
  const result = (r: string): number => d(`airlock_sae_authentications_total{result="${r}"}`);
  return {
    sae_accepted: result('accepted'),
    sae_token_required: result('token_required'),
    sae_failed: result('wrong_password') + result('unknown_password_identifier') + result('unsupported_group') + result('refused') + result('timeout'),
    sae_commit_budget_drops: d('airlock_frames_dropped_total{reason="sae_commit_budget"}'),
    sae_exchanges_started: stations.exchanges,
    sae_station_failures: stations.failures,
  };
}

/**
 * One pass: a fresh authenticator with anti_clogging_threshold `threshold`, the warm-up, the
 * measured joins. `floor` is measured by the first pass and handed to the next.
 */
async function pass(ctx: BenchContext, rigName: string, threshold: number, floor: { value: SaeCryptoFloor | undefined }): Promise<BenchResult> {
  const concurrency = intOption(ctx, 'concurrency', 256);
  const timeoutMs = intOption(ctx, 'timeout-s', 120) * 1000;
  const rig = await startJoinRig(ctx, rigName, {
    ssid: SSID,
    passphrase: PASSWORD,
    network: { akms: ['sae'], group_rekey_s: 0, sae: { pwe: 'h2e', anti_clogging_threshold: threshold } },
    wpa3: true,
    floor(iterations) {
      // The SAE part costs some 20 times the 4-way handshake: that one runs 10 times as often.
      floor.value ??= measureSaeCryptoFloor(iterations, 10 * iterations, Buffer.from(SSID, 'utf8'), Buffer.from(PASSWORD, 'utf8'));
      return floor.value.totalUs;
    },
    defaults: { stations: 500, floorIterations: 2000 },
  });
  try {
    await warmUp(ctx, rigName, rig, concurrency, timeoutMs);
    ctx.progress(`${rigName}: measuring ${rig.stations} joins, ${concurrency} at a time, over ${rig.bsses} BSSes, anti_clogging_threshold ${threshold}`);
    const s0 = await rig.load.saeStats();
    let s1 = s0;
    const r = await measured('sae-burst', rig, async () => {
      const run = await rig.load.joinAll(concurrency, timeoutMs);
      s1 = await rig.load.saeStats();
      return run;
    }, { concurrency, bsses: rig.bsses, anti_clogging_threshold: threshold }, (d) => saeFields(d, { exchanges: s1.exchanges - s0.exchanges, failures: s1.failures - s0.failures }));
    ctx.progress(`${rigName}: ${r.handshakes_per_s} joins/s, ${r.auth_cpu_us_per_handshake} µs of authenticator CPU per join (anti_clogging_threshold ${threshold})`);
    return r;
  } finally {
    await rig.stop();
  }
}

async function runSaeBurst(ctx: BenchContext): Promise<BenchResult> {
  const threshold = countOption(ctx, 'anti-clogging-threshold', 10_000);
  const withDefault = yesNoOption(ctx, 'default-threshold-pass', true);
  const floor: { value: SaeCryptoFloor | undefined } = { value: undefined };
  const main = await pass(ctx, 'sae-burst', threshold, floor);
  const f = floor.value!;
  const out: BenchResult = {
    ...main,
    crypto_floor_sae_us: round(f.saeUs, 1),
    crypto_floor_4way_us: round(f.fourWayUs, 1),
    crypto_floor: 'authenticator-side crypto of one WPA3-Personal join: SAE H2E for group 19 (PWE of the pair from a warm SaePasswordElement, our Commit, the station Commit decoded and processed, its Confirm verified, ours computed) + the AKM 8 4-way handshake (PTK by KDF-SHA256, 3 AES-CMAC MICs, key data with GTK and IGTK wrapped)',
    sae_commit_budget_per_bss: `${DEFAULT_SAE_LIMITS.commitsPerSecond}/s, burst ${DEFAULT_SAE_LIMITS.commitBurst}`,
  };
  if (!withDefault || threshold === DEFAULT_ANTI_CLOGGING_THRESHOLD) return out;
  ctx.progress(`sae-burst: again with the default anti_clogging_threshold ${DEFAULT_ANTI_CLOGGING_THRESHOLD}`);
  const dflt = await pass(ctx, 'sae-burst-default-threshold', DEFAULT_ANTI_CLOGGING_THRESHOLD, floor);
  return {
    ...out,
    default_anti_clogging_threshold: DEFAULT_ANTI_CLOGGING_THRESHOLD,
    default_threshold_handshakes_per_s: dflt.handshakes_per_s,
    default_threshold_join_p50_ms: dflt.join_p50_ms,
    default_threshold_join_p99_ms: dflt.join_p99_ms,
    default_threshold_auth_cpu_us_per_handshake: dflt.auth_cpu_us_per_handshake,
    default_threshold_cpu_ratio_to_floor: dflt['cpu_ratio_to_floor'],
    default_threshold_load_cpu_us_per_handshake: dflt['load_cpu_us_per_handshake'],
    default_threshold_handshakes: dflt['handshakes'],
    default_threshold_failed: dflt['failed'],
    default_threshold_timed_out: dflt['timed_out'],
    default_threshold_sae_token_required: dflt['sae_token_required'],
    default_threshold_sae_exchanges_started: dflt['sae_exchanges_started'],
    default_threshold_sae_commit_budget_drops: dflt['sae_commit_budget_drops'],
  };
}

/** The sae-burst scenario. */
export const saeBurst: Scenario = {
  name: 'sae-burst',
  summary: 'WPA3-Personal (SAE H2E, then the AKM 8 4-way handshake) joins, closed loop: the maximum SAE join rate',
  options: {
    agents: '8',
    stations: '500 (per agent)',
    bsses: '4 (per agent)',
    concurrency: '256',
    'floor-iterations': '2000 (SAE; the 4-way handshake part 10 times as many)',
    'timeout-s': '120',
    'anti-clogging-threshold': '10000 (networks[].sae.anti_clogging_threshold of the measured pass)',
    'default-threshold-pass': `yes (then a second pass with the default threshold, ${DEFAULT_ANTI_CLOGGING_THRESHOLD}: default_threshold_*)`,
  },
  run: runSaeBurst,
};
