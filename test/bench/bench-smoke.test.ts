/**
 * Every benchmark runs, at a tiny size: each `npm run bench` scenario, `npm run bench:interop`
 * (both EAP methods) and the micro-benchmarks of test/bench, each as a child process of the
 * command line its npm script (or its header) gives, checked for its JSON line: the fields of
 * the benchmark contract (DESIGN.md "Benchmark contract", scenario.ts) where they apply, and
 * values that say the run worked (every station joined, no failures, numbers finite and > 0).
 * Nothing here measures performance: the sizes are far too small, and no rate is compared
 * with a target. A scenario or micro-benchmark without an entry here fails the test.
 *
 * Needs what the benchmarks need: root, FreeRADIUS (eap-tls, bench:interop), network
 * namespaces, wpa_supplicant, hostapd and libpcap (bench:interop).
 */
import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { readdirSync } from 'node:fs';
import { join } from 'node:path';
import { REPO_ROOT } from '../support/authenticator-process.js';
import { npmScript, num, positive, runJsonLines, zero, type Line } from './smoke-support.js';
import { scenarios } from './scenarios/index.js';

/** The contract fields, first in every `npm run bench` line, in this order (scenario.ts BenchResult). */
const CONTRACT = ['scenario', 'agents', 'stations', 'handshakes_per_s', 'join_p50_ms', 'join_p99_ms', 'auth_cpu_us_per_handshake', 'crypto_floor_us_per_handshake', 'rss_mb', 'rss_kb_per_station'] as const;


/** The contract line of `npm run bench` scenario `name`: every field, in order, and sane. */
function contract(line: Line, name: string, agents: number, stations: number): void {
  assert.deepEqual(Object.keys(line).slice(0, CONTRACT.length), [...CONTRACT]);
  assert.equal(line.scenario, name);
  assert.equal(line.agents, agents, 'agents');
  assert.equal(line.stations, stations, 'every station joined');
  positive(line, 'handshakes_per_s', 'join_p50_ms', 'join_p99_ms', 'auth_cpu_us_per_handshake', 'crypto_floor_us_per_handshake', 'rss_mb');
  assert.ok(num(line, 'join_p99_ms') >= num(line, 'join_p50_ms'), 'p99 >= p50');
  // RSS growth over a few stations is noise and may be negative: finite is all that holds.
  num(line, 'rss_kb_per_station');
}

/** One scenario of `npm run bench`: its tiny options and what its line must say. */
interface BenchCase {
  options: string[];
  check(line: Line): void;
}

/** Options every PSK scenario shares: 2 agents x 10 stations. */
const PSK = ['--agents', '2', '--stations', '10', '--bsses', '1', '--concurrency', '8', '--floor-iterations', '50', '--timeout-s', '60'];
const pskCheck = (name: string) => (l: Line): void => {
  contract(l, name, 2, 20);
  assert.equal(l.handshakes, 20);
  zero(l, 'failed', 'timed_out', 'key_mismatches', 'ordering_violations', 'auth_handshakes_failed');
  assert.equal(l.auth_handshakes_success, 20, 'the authenticator counted every join');
};
/** scale and mass-rejoin: 4 agent streams (mTLS, the fleet PKI) x 5 stations. */
const FLEET = ['--agents', '4', '--stations', '5', '--concurrency', '8', '--floor-iterations', '50', '--timeout-s', '60'];

const BENCH: Record<string, BenchCase> = {
  'psk-burst': { options: PSK, check: pskCheck('psk-burst') },
  'psk-steady': {
    options: [...PSK, '--rate', '50'],
    check(l) {
      pskCheck('psk-steady')(l);
      assert.equal(l.offered_rate_per_s, 50);
    },
  },
  'psk-cores': {
    options: PSK,
    check(l) {
      pskCheck('psk-cores')(l);
      assert.equal(l.workers, 2);
      positive(l, 'core_scaling_ratio', 'workers_1_handshakes_per_s', 'workers_1_auth_cpu_us_per_handshake', 'workers_1_join_p99_ms');
    },
  },
  'psk-redis': {
    options: PSK,
    check(l) {
      pskCheck('psk-redis')(l);
      positive(l, 'redis_join_rate_ratio', 'without_redis_handshakes_per_s', 'without_redis_auth_cpu_us_per_handshake');
    },
  },
  'sae-burst': {
    // SAE-only BSSes, WPA3 stations; both passes (the raised anti-clogging threshold, then the default).
    options: PSK,
    check(l) {
      pskCheck('sae-burst')(l);
      assert.equal(l.anti_clogging_threshold, 10_000);
      assert.equal(l.sae_accepted, 20, 'every join was a full SAE exchange');
      assert.equal(l.sae_exchanges_started, 20, 'none started over');
      zero(l, 'sae_failed', 'sae_station_failures', 'sae_commit_budget_drops', 'sae_token_required');
      positive(l, 'crypto_floor_sae_us', 'crypto_floor_4way_us', 'cpu_ratio_to_floor');
      assert.equal(l.default_anti_clogging_threshold, 5);
      assert.equal(l.default_threshold_handshakes, 20, 'every station joined with the default threshold too');
      zero(l, 'default_threshold_failed', 'default_threshold_timed_out', 'default_threshold_sae_commit_budget_drops');
      positive(l, 'default_threshold_handshakes_per_s', 'default_threshold_auth_cpu_us_per_handshake');
    },
  },
  failover: {
    // 3 instances on Redis, 6 agents x 5 stations; the first instance (2 agents) is killed.
    options: ['--agents', '6', '--stations', '5', '--concurrency', '8', '--floor-iterations', '50', '--timeout-s', '60'],
    check(l) {
      // The line first (issue 16), then the contract's other fields.
      assert.deepEqual(Object.keys(l).slice(0, 8), ['scenario', 'instances', 'stations', 'stations_disconnected', 'eap_repeated', 'failover_ms_p50', 'failover_ms_p99', 'redis_ops_per_join']);
      assert.equal(l.scenario, 'failover');
      assert.equal(l.instances, 3);
      assert.equal(l.stations, 30);
      for (const k of CONTRACT) assert.ok(k in l, `${k} in the line`);
      zero(l, 'stations_disconnected', 'eap_repeated', 'handshakes_repeated', 'rejoins', 'agents_not_back', 'key_mismatches', 'ordering_violations');
      assert.equal(l.agents_moved, 2, 'both agents of the killed instance came back');
      assert.equal(l.stations_moved, 10);
      assert.equal(l.stations_held_after, 30, 'every station still held');
      positive(l, 'failover_ms_p50', 'failover_ms_p99', 'redis_ops_per_join');
    },
  },
  scale: {
    options: [...FLEET, '--idle-s', '1'],
    check(l) {
      contract(l, 'scale', 4, 20);
      zero(l, 'failed', 'timed_out', 'key_mismatches', 'ordering_violations');
      assert.equal(l.agents_connected, 4);
      assert.equal(l.stations_authorized, 20);
      assert.match(String(l.agent_link), /^mTLS/);
      positive(l, 'rss_mb_start', 'rss_mb_streams');
    },
  },
  'mass-rejoin': {
    options: FLEET,
    check(l) {
      contract(l, 'mass-rejoin', 4, 20);
      assert.equal(l.all_authorized, true, 'every station rejoined after the restart');
      zero(l, 'handshake_timeouts', 'handshake_failures', 'key_mismatches', 'ordering_violations');
      positive(l, 'rejoin_s');
    },
  },
  'eap-tls': {
    // 2 agents x 2 stations, one round; the direct path does as many.
    options: ['--n', '4', '--rounds', '1', '--concurrency', '2', '--agents', '2', '--bsses', '1', '--warmup', '2', '--certificates', '2', '--floor-iterations', '10', '--timeout-s', '60'],
    check(l) {
      contract(l, 'eap-tls', 2, 4);
      assert.equal(l.handshakes, 4);
      zero(l, 'failed', 'timed_out', 'key_mismatches', 'ordering_violations', 'direct_failed');
      assert.equal(l.auth_eap_accepts, 4, 'FreeRADIUS accepted every station through airlock');
      assert.equal(l.direct_auths, 4, 'and every direct authentication');
      positive(l, 'direct_auths_per_s', 'ratio', 'radius_round_trips_per_auth');
    },
  },
};

/** A micro-benchmark of test/bench: its command line (from its header) at a tiny size, and its lines. */
interface MicroCase {
  argv: string[];
  check(lines: Line[]): void;
}

const dist = (file: string): string => join('test/dist/bench', file);

const MICRO: Record<string, MicroCase> = {
  'core-loop': {
    argv: [dist('core-loop.js'), '--stations', '64', '--rounds', '2'],
    check([l, ...rest]) {
      assert.equal(rest.length, 0);
      assert.equal(l.benchmark, 'core-loop');
      assert.equal(l.joins, l.expected, 'every join completed');
      assert.equal(l.joins, 128);
      positive(l, 'core_cpu_us_per_join', 'supplicant_cpu_us_per_join');
    },
  },
  'core-memory': {
    argv: ['--expose-gc', dist('core-memory.js'), '--stations', '500'],
    check([l, ...rest]) {
      assert.equal(rest.length, 0);
      assert.equal(l.benchmark, 'core-memory');
      assert.equal(l.stations, 500);
      positive(l, 'heap_bytes_per_station');
    },
  },
  'grpc-streams': {
    argv: [dist('grpc-streams.js'), '--n', '20', '--settle-ms', '200'],
    check(lines) {
      assert.deepEqual(lines.map((l) => l.layer), ['grpc-mtls', 'tls', 'grpc', 'http2', 'tcp']);
      for (const l of lines) {
        assert.equal(l.benchmark, 'grpc-streams');
        assert.equal(l.streams, 20, `every ${String(l.layer)} stream reached the server`);
        // Memory growth over 20 streams is noise: finite is all that holds.
        num(l, 'server_rss_kb_per_stream');
        num(l, 'server_heap_kb_per_stream');
      }
    },
  },
  'pending-connections': {
    argv: [dist('pending-connections.js'), '--n', '200', '--sources', '4', '--settle-ms', '200'],
    check(lines) {
      assert.deepEqual(lines.map((l) => l.mode), ['idle', 'stalled', 'hello'], 'one line per mode');
      for (const l of lines) {
        assert.equal(l.benchmark, 'pending-connections');
        assert.equal(l.held, 200, 'every connection held by the authenticator');
        assert.equal(l.server_pending, 200, 'and pending there');
        // Memory growth over 200 connections is noise: finite is all that holds.
        num(l, 'rss_kb_per_connection');
        num(l, 'heap_kb_per_connection');
      }
    },
  },
  'grpc-echo': {
    argv: [dist('grpc-echo.js'), '--n', '500'],
    check(lines) {
      assert.equal(lines.length, 3, 'one line per mode');
      for (const l of lines) {
        assert.equal(l.benchmark, 'grpc-echo');
        assert.equal(l.messages, 500);
        positive(l, 'messages_per_s');
        // procfs CPU time has 10 ms ticks: 500 messages may cost none of them.
        assert.ok(num(l, 'server_cpu_us_per_message') >= 0);
      }
    },
  },
};

/** Files of test/dist/bench that are not benchmarks: the `npm run bench` runner and its types, the flame graph tool, the BENCHMARKS.md renderer (report.test.ts), the CPU profile summary (profile-summary.test.ts). */
const NOT_BENCHMARKS = new Set(['run.js', 'scenario.js', 'flamegraph.js', 'report.js', 'profile-summary.js', 'smoke-support.js']);

void describe('benchmarks, smoke-run at tiny sizes', { timeout: 120_000 }, () => {
  void it('every scenario of npm run bench and every micro-benchmark has a smoke run here', () => {
    assert.deepEqual(scenarios.map((s) => s.name).filter((n) => !(n in BENCH)), [], 'scenarios without a smoke run');
    const micro = readdirSync(join(REPO_ROOT, 'test/dist/bench')).filter((f) => f.endsWith('.js') && !f.endsWith('.test.js') && !NOT_BENCHMARKS.has(f));
    assert.deepEqual(micro.map((f) => f.replace(/\.js$/, '')).filter((n) => !(n in MICRO)).sort(), [], 'micro-benchmarks without a smoke run');
  });

  for (const [name, c] of Object.entries(BENCH)) {
    void it(`npm run bench -- ${name}`, { timeout: 60_000 }, async () => {
      const lines = await runJsonLines([...npmScript('bench'), name, ...c.options], 55_000);
      assert.equal(lines.length, 1, 'one JSON line');
      c.check(lines[0]);
    });
  }

  void it('npm run bench:interop (PEAP and EAP-TLS, hostapd and airlock side by side)', { timeout: 60_000 }, async () => {
    const lines = await runJsonLines([...npmScript('bench:interop'), '--n', '2', '--warmup', '0', '--gap-ms', '0', '--hop-samples', '200', '--methods', 'peap,tls'], 55_000);
    assert.deepEqual(lines.map((l) => l.method), ['PEAP/MSCHAPv2', 'EAP-TLS']);
    for (const l of lines) {
      assert.equal(l.benchmark, 'interop');
      assert.equal(l.n, 2);
      assert.equal((l.hostapd_samples_ms as number[]).length, 2, 'both hostapd authentications measured');
      assert.equal((l.airlock_samples_ms as number[]).length, 2, 'both airlock authentications measured');
      positive(l, 'hostapd_median_ms', 'hostapd_p90_ms', 'airlock_median_ms', 'airlock_p90_ms', 'ratio', 'process_hop_rtt_ms', 'model_hop_floor_airlock_ms', 'airlock_exchanges', 'hostapd_exchanges', 'airlock_radius_requests_per_auth');
      assert.equal(l.airlock_exchanges, l.hostapd_exchanges, 'the same EAP conversation on both paths');
      assert.match(String(l.airlock_topology), /mTLS/);
    }
  });

  for (const [name, c] of Object.entries(MICRO)) {
    void it(`micro-benchmark ${name}`, { timeout: 30_000 }, async () => {
      c.check(await runJsonLines([process.execPath, ...c.argv], 25_000));
    });
  }
});

