import { test } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { AggregatorRegistry, Registry, register as globalRegistry } from 'prom-client';
import { connectionMetrics, createMetrics, histogramQuantile, instanceMetrics, parsePrometheusText } from './metrics.js';
import { AUTHENTICATOR_VERSION } from './version.js';

void test('every contract metric is exposed with its type', async () => {
  const m = createMetrics();
  const text = await m.registry.metrics();
  const types: [string, string][] = [
    ['airlock_agents_connected', 'gauge'],
    ['airlock_stations', 'gauge'],
    ['airlock_handshakes_total', 'counter'],
    ['airlock_eap_authentications_total', 'counter'],
    ['airlock_sae_authentications_total', 'counter'],
    ['airlock_join_duration_seconds', 'histogram'],
    ['airlock_frames_dropped_total', 'counter'],
    ['airlock_radius_requests_total', 'counter'],
    ['airlock_radius_rtt_seconds', 'histogram'],
    ['airlock_mic_failure_diagnoses_total', 'counter'],
    ['airlock_agent_protocol_errors_total', 'counter'],
    ['airlock_agent_throttled_total', 'counter'],
    ['airlock_bss_claims', 'gauge'],
    ['airlock_agent_command_failures_total', 'counter'],
    ['airlock_radius_invalid_responses_total', 'counter'],
    ['airlock_radius_unanswered_total', 'counter'],
    ['airlock_psk_lookups_total', 'counter'],
    ['airlock_das_requests_total', 'counter'],
    ['airlock_das_dropped_total', 'counter'],
    ['airlock_store_up', 'gauge'],
    ['airlock_store_operations_total', 'counter'],
    ['airlock_store_takeovers_total', 'counter'],
    ['airlock_log_lines_suppressed_total', 'counter'],
    ['airlock_radius_server_up', 'gauge'],
    ['airlock_config_reloads_total', 'counter'],
    ['airlock_build_info', 'gauge'],
  ];
  for (const [name, type] of types) assert.match(text, new RegExp(`^# TYPE ${name} ${type}$`, 'm'), name);
  assert.equal(m.registry.getMetricsAsArray().length, types.length, 'no metrics beyond the contract');
});

void test('known label values start at 0', async () => {
  const m = createMetrics();
  const s = parsePrometheusText(await m.registry.metrics());
  assert.equal(s.get('airlock_agents_connected'), 0);
  for (const state of ['associated', 'authenticating', 'authorized']) assert.equal(s.get(`airlock_stations{state="${state}"}`), 0, state);
  for (const result of ['success', 'mic_failure', 'timeout', 'rejected', 'aborted']) assert.equal(s.get(`airlock_handshakes_total{result="${result}"}`), 0, result);
  for (const result of ['accept', 'reject', 'timeout']) assert.equal(s.get(`airlock_eap_authentications_total{result="${result}"}`), 0, result);
  for (const result of ['applied', 'rejected']) assert.equal(s.get(`airlock_config_reloads_total{result="${result}"}`), 0, result);
  assert.deepEqual([...s.keys()].filter((k) => k.startsWith('airlock_radius_server_up')), [], 'no RADIUS server until the service sets them');
});

void test('airlock_build_info is 1 with the version of @airlock/authenticator', async () => {
  const pkg = JSON.parse(readFileSync(new URL('../package.json', import.meta.url), 'utf8')) as { name: string; version: string };
  assert.equal(pkg.name, '@airlock/authenticator');
  assert.match(pkg.version, /^\d+\.\d+\.\d+/);
  assert.equal(AUTHENTICATOR_VERSION, pkg.version);
  const s = parsePrometheusText(await createMetrics().registry.metrics());
  assert.deepEqual([...s].filter(([k]) => k.startsWith('airlock_build_info')), [[`airlock_build_info{version="${pkg.version}"}`, 1]]);
});

void test('airlock_radius_server_up and airlock_config_reloads_total as recorded', async () => {
  const m = createMetrics();
  m.radiusServerUp.set({ server: 'primary' }, 1);
  m.radiusServerUp.set({ server: 'secondary' }, 0);
  m.configReloads.inc({ result: 'applied' });
  m.configReloads.inc({ result: 'rejected' });
  m.configReloads.inc({ result: 'rejected' });
  const s = parsePrometheusText(await m.registry.metrics());
  assert.equal(s.get('airlock_radius_server_up{server="primary"}'), 1);
  assert.equal(s.get('airlock_radius_server_up{server="secondary"}'), 0);
  assert.equal(s.get('airlock_config_reloads_total{result="applied"}'), 1);
  assert.equal(s.get('airlock_config_reloads_total{result="rejected"}'), 2);
});

void test('cluster aggregation (primary first, then two workers): reloads once, server up by the lowest worker, build info 1', async () => {
  // As cluster/primary.ts aggregates: the primary's registry (its own instance metrics) first.
  const primary = new Registry();
  const own = instanceMetrics(primary);
  own.configReloads.inc({ result: 'applied' });
  const workers = [createMetrics(), createMetrics()];
  for (const w of workers) w.radiusServerUp.set({ server: 'primary' }, 1);
  workers[0].radiusServerUp.set({ server: 'secondary' }, 1);
  workers[1].radiusServerUp.set({ server: 'secondary' }, 0); // this worker's client marked it dead
  const s = parsePrometheusText(await AggregatorRegistry.aggregate([await primary.getMetricsAsJSON(), ...(await Promise.all(workers.map((w) => w.registry.getMetricsAsJSON())))]).metrics());
  assert.equal(s.get('airlock_config_reloads_total{result="applied"}'), 1, 'counted once: the workers never count');
  assert.equal(s.get('airlock_config_reloads_total{result="rejected"}'), 0);
  assert.equal(s.get('airlock_radius_server_up{server="primary"}'), 1, 'up on both workers: 1, not 2');
  assert.equal(s.get('airlock_radius_server_up{server="secondary"}'), 0, 'dead on one worker: 0');
  assert.equal(s.get(`airlock_build_info{version="${AUTHENTICATOR_VERSION}"}`), 1, 'three processes of one build: 1');
});

void test('counts, gauges and labels are printed as recorded', async () => {
  const m = createMetrics();
  m.agentsConnected.inc();
  m.agentsConnected.inc();
  m.stations.inc({ state: 'authorized' }, 3);
  m.handshakes.inc({ result: 'success' });
  m.handshakes.inc({ result: 'success' });
  m.handshakes.inc({ result: 'mic_failure' });
  m.eapAuthentications.inc({ result: 'accept' });
  m.framesDropped.inc({ reason: 'truncated' }, 7);
  m.radiusRequests.inc({ server: '127.0.0.1:1812', code: 'access_accept' });
  m.radiusRtt.observe({ server: '127.0.0.1:1812' }, 0.004);
  m.micFailureDiagnoses.inc({ cause: 'aa_is_agent_mac' });
  m.agentProtocolErrors.inc({ reason: 'seq_gap' });
  m.joinDuration.observe({ akm: 'psk' }, 0.012);
  const s = parsePrometheusText(await m.registry.metrics());
  assert.equal(s.get('airlock_agents_connected'), 2);
  assert.equal(s.get('airlock_stations{state="authorized"}'), 3);
  assert.equal(s.get('airlock_handshakes_total{result="success"}'), 2);
  assert.equal(s.get('airlock_handshakes_total{result="mic_failure"}'), 1);
  assert.equal(s.get('airlock_handshakes_total{result="timeout"}'), 0);
  assert.equal(s.get('airlock_eap_authentications_total{result="accept"}'), 1);
  assert.equal(s.get('airlock_frames_dropped_total{reason="truncated"}'), 7);
  assert.equal(s.get('airlock_radius_requests_total{server="127.0.0.1:1812",code="access_accept"}'), 1);
  assert.equal(s.get('airlock_radius_rtt_seconds_count{server="127.0.0.1:1812"}'), 1);
  assert.equal(s.get('airlock_mic_failure_diagnoses_total{cause="aa_is_agent_mac"}'), 1);
  assert.equal(s.get('airlock_agent_protocol_errors_total{reason="seq_gap"}'), 1);
  assert.equal(s.get('airlock_join_duration_seconds_count{akm="psk"}'), 1);
  assert.equal(s.get('airlock_join_duration_seconds_sum{akm="psk"}'), 0.012);
  assert.equal(s.get('airlock_join_duration_seconds_bucket{le="0.0125",akm="psk"}'), 1);
  assert.equal(s.get('airlock_join_duration_seconds_bucket{le="0.01",akm="psk"}'), 0);
  assert.equal(s.get('airlock_join_duration_seconds_bucket{le="+Inf",akm="psk"}'), 1);
});

void test('join duration buckets span 1 ms to 10 s, finely below 50 ms', async () => {
  const m = createMetrics();
  m.joinDuration.observe({ akm: '8021x' }, 1);
  const s = parsePrometheusText(await m.registry.metrics());
  const bounds = [...s.keys()]
    .filter((k) => k.startsWith('airlock_join_duration_seconds_bucket'))
    .map((k) => /le="([^"]+)"/.exec(k)![1])
    .filter((le) => le !== '+Inf')
    .map(Number);
  assert.equal(Math.min(...bounds), 0.001);
  assert.equal(Math.max(...bounds), 10);
  assert.ok(bounds.filter((b) => b >= 0.001 && b <= 0.05).length >= 15, 'at least 15 buckets between 1 and 50 ms');
});

void test('registries are separate from each other and from the global one', async () => {
  const a = createMetrics();
  const b = createMetrics();
  a.handshakes.inc({ result: 'success' });
  assert.equal(parsePrometheusText(await b.registry.metrics()).get('airlock_handshakes_total{result="success"}'), 0);
  assert.equal(await globalRegistry.getSingleMetricAsString('airlock_handshakes_total').catch(() => undefined), undefined);
});

void test('process metrics on request', async () => {
  const m = createMetrics({ processMetrics: true });
  const s = parsePrometheusText(await m.registry.metrics());
  assert.ok(s.has('process_cpu_user_seconds_total'));
  assert.ok(s.has('airlock_agents_connected'));
});

const PARSE_CASES: { desc: string; text: string; want: [string, number][] }[] = [
  { desc: 'no labels', text: 'up 1\n', want: [['up', 1]] },
  { desc: 'labels kept as printed', text: 'x{b="2",a="1"} 3\n', want: [['x{b="2",a="1"}', 3]] },
  { desc: 'brace and quote inside a label value', text: 'x{a="}\\"{"} 4\n', want: [['x{a="}\\"{"}', 4]] },
  { desc: 'comments and blank lines skipped', text: '# HELP x y\n# TYPE x gauge\n\nx 5\n', want: [['x', 5]] },
  { desc: 'special values', text: 'a +Inf\nb -Inf\nc NaN\n', want: [['a', Infinity], ['b', -Infinity], ['c', NaN]] },
  { desc: 'timestamp ignored', text: 'x 1.5 1700000000000\n', want: [['x', 1.5]] },
  { desc: 'exponent', text: 'x 1e-3\n', want: [['x', 0.001]] },
  { desc: 'garbage skipped', text: '{x} 1\nx{a="1" 2\ny notanumber\nz\n', want: [] },
];

for (const c of PARSE_CASES) {
  void test(`parsePrometheusText: ${c.desc}`, () => {
    assert.deepEqual([...parsePrometheusText(c.text)], c.want);
  });
}

/** A histogram with 100 observations: 10 in (0,0.01], 40 in (0.01,0.02], 40 in (0.02,0.05], 10 in (0.05,0.1]. */
const KNOWN = parsePrometheusText(`
# TYPE h histogram
h_bucket{le="0.01",akm="psk"} 10
h_bucket{le="0.02",akm="psk"} 50
h_bucket{le="0.05",akm="psk"} 90
h_bucket{le="0.1",akm="psk"} 100
h_bucket{le="+Inf",akm="psk"} 100
h_sum{akm="psk"} 2.5
h_count{akm="psk"} 100
h_bucket{le="0.01",akm="8021x"} 0
h_bucket{le="0.02",akm="8021x"} 0
h_bucket{le="0.05",akm="8021x"} 0
h_bucket{le="0.1",akm="8021x"} 0
h_bucket{le="+Inf",akm="8021x"} 4
`);

const QUANTILE_CASES: { desc: string; q: number; labels?: Record<string, string>; want: number }[] = [
  { desc: 'median at a bucket boundary', q: 0.5, labels: { akm: 'psk' }, want: 0.02 },
  { desc: 'p5 inside the first bucket, from 0', q: 0.05, labels: { akm: 'psk' }, want: 0.005 },
  { desc: 'p30 interpolated in (0.01, 0.02]', q: 0.3, labels: { akm: 'psk' }, want: 0.015 },
  { desc: 'p70 interpolated in (0.02, 0.05]', q: 0.7, labels: { akm: 'psk' }, want: 0.035 },
  { desc: 'p99 interpolated in (0.05, 0.1]', q: 0.99, labels: { akm: 'psk' }, want: 0.095 },
  { desc: 'rank in +Inf bucket gives the highest finite bound', q: 0.5, labels: { akm: '8021x' }, want: 0.1 },
  { desc: 'no label filter sums the series (104 observations)', q: 0.5, want: 0.0215 },
  { desc: 'q > 1', q: 1.5, labels: { akm: 'psk' }, want: Infinity },
  { desc: 'q < 0', q: -1, labels: { akm: 'psk' }, want: -Infinity },
  { desc: 'no such series', q: 0.5, labels: { akm: 'sae' }, want: NaN },
];

for (const c of QUANTILE_CASES) {
  void test(`histogramQuantile: ${c.desc}`, () => {
    const got = histogramQuantile(KNOWN, 'h', c.q, c.labels);
    if (Number.isNaN(c.want) || !Number.isFinite(c.want)) assert.equal(got, c.want);
    else assert.ok(Math.abs(got - c.want) < 1e-9, `got ${got}, want ${c.want}`);
  });
}

void test('histogramQuantile on a live histogram', async () => {
  const m = createMetrics();
  for (let i = 1; i <= 100; i++) m.joinDuration.observe({ akm: 'psk' }, i / 10_000); // 0.1 ms .. 10 ms, uniform
  const s = parsePrometheusText(await m.registry.metrics());
  const p50 = histogramQuantile(s, 'airlock_join_duration_seconds', 0.5, { akm: 'psk' });
  assert.ok(Math.abs(p50 - 0.005) < 1e-9, `p50 ${p50}`);
  const p90 = histogramQuantile(s, 'airlock_join_duration_seconds', 0.9, { akm: 'psk' });
  assert.ok(p90 > 0.008 && p90 <= 0.01, `p90 ${p90}`);
  assert.ok(Number.isNaN(histogramQuantile(s, 'airlock_join_duration_seconds', 0.5, { akm: '8021x' })));
});

void test('connectionMetrics: the connection gates\' metrics, each listener\'s refusal reasons at 0', async () => {
  const registry = new Registry();
  connectionMetrics(registry);
  const s = parsePrometheusText(await registry.metrics());
  for (const reason of ['connections', 'pending', 'source_pending']) assert.equal(s.get(`airlock_connections_refused_total{listener="agentlink",reason="${reason}"}`), 0, reason);
  for (const reason of ['connections', 'source_connections']) assert.equal(s.get(`airlock_connections_refused_total{listener="http",reason="${reason}"}`), 0, reason);
  for (const reason of ['timeout', 'tls', 'preface']) assert.equal(s.get(`airlock_connection_handshake_failures_total{reason="${reason}"}`), 0, reason);
  for (const name of ['airlock_connections_pending', 'airlock_connections_open', 'airlock_connections_limit']) assert.equal(s.get(name), 0, name);
});
