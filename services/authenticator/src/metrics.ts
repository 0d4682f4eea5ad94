// Prometheus metrics of the authenticator (DESIGN.md "Observability contract"). The names and
// labels below are read by outside checks: keep them. No station MAC is ever a label value
// (one series per station would grow without bound).
// Also a small reader of the Prometheus text exposition format (0.0.4) and a PromQL-style
// histogram_quantile, for tests, the load generator and the demo status line.
import { Counter, Gauge, Histogram, Registry, collectDefaultMetrics } from 'prom-client';
import { AUTHENTICATOR_VERSION } from './version.js';
import { REMOTE_LOG_SOURCES } from './logging.js';

/** Values of `airlock_stations{state}`. */
export const STATION_STATES = ['associated', 'authenticating', 'authorized'] as const;
/** Values of `airlock_handshakes_total{result}`. */
export const HANDSHAKE_RESULTS = ['success', 'mic_failure', 'timeout', 'rejected', 'aborted'] as const;
/** Values of `airlock_eap_authentications_total{result}`. */
export const EAP_RESULTS = ['accept', 'reject', 'timeout'] as const;
/** Results of airlock_sae_authentications_total (SaeOutcome, '-' as '_'). */
export const SAE_RESULTS = ['accepted', 'wrong_password', 'unknown_password_identifier', 'token_required', 'unsupported_group', 'refused', 'timeout'] as const;
/** Values of `airlock_config_reloads_total{result}`. */
export const RELOAD_RESULTS = ['applied', 'rejected'] as const;

/** Join duration buckets (seconds): 1 ms to 10 s, fine-grained from 1 to 50 ms where PSK joins land. */
export const JOIN_DURATION_BUCKETS: readonly number[] = [
  0.001, 0.002, 0.003, 0.004, 0.005, 0.006, 0.008, 0.01, 0.0125, 0.015, 0.0175, 0.02, 0.025, 0.03, 0.035, 0.04, 0.045, 0.05,
  0.075, 0.1, 0.15, 0.2, 0.3, 0.5, 0.75, 1, 2, 5, 10,
];
/** RADIUS round-trip buckets (seconds): 0.5 ms to 10 s. */
export const RADIUS_RTT_BUCKETS: readonly number[] = [0.0005, 0.001, 0.002, 0.005, 0.01, 0.02, 0.05, 0.1, 0.2, 0.5, 1, 2, 5, 10];

/** The authenticator's metrics, registered in their own registry. */
export interface AirlockMetrics {
  /** Registry holding exactly these metrics (and process metrics when asked for). */
  registry: Registry;
  /** airlock_agents_connected: agent streams past Hello. */
  agentsConnected: Gauge;
  /** airlock_stations{state}: stations by state. */
  stations: Gauge<'state'>;
  /**
   * Changes of airlock_stations not yet applied to the gauge: every join moves a station
   * through three states, so recordReport counts here and the gauge takes the sum when it
   * is collected (a scrape), instead of a labelled dec/inc per change.
   */
  stationDeltas: Record<(typeof STATION_STATES)[number], number>;
  /** airlock_handshakes_total{result}: 4-way handshakes by outcome. */
  handshakes: Counter<'result'>;
  /** airlock_eap_authentications_total{result}: 802.1X authentications by outcome. */
  eapAuthentications: Counter<'result'>;
  saeAuthentications: Counter<'result'>;
  /** airlock_join_duration_seconds{akm}: association to port authorized. */
  joinDuration: Histogram<'akm'>;
  /** airlock_frames_dropped_total{reason}: frames dropped (malformed, oversized, queue full, ...). */
  framesDropped: Counter<'reason'>;
  /** airlock_radius_requests_total{server,code}: RADIUS requests by server and response code (or timeout). */
  radiusRequests: Counter<'server' | 'code'>;
  /** airlock_radius_rtt_seconds{server}: RADIUS request to verified response. */
  radiusRtt: Histogram<'server'>;
  /** airlock_mic_failure_diagnoses_total{cause}: msg 2/4 MIC failures by diagnosed cause. */
  micFailureDiagnoses: Counter<'cause'>;
  /** airlock_agent_protocol_errors_total{reason}: AgentLink protocol errors (seq gap, bad Hello, ...). */
  agentProtocolErrors: Counter<'reason'>;
  agentThrottled: Counter;
  bssClaims: Gauge;
  /**
   * airlock_agent_command_failures_total{command}: CommandResult{ok: false} from agents, by the
   * command that failed (install-pairwise-key, set-port, install-group-key) or `unawaited` (a
   * result for a command nobody waits for, or an unknown seq). Counted instead of one line each.
   */
  agentCommandFailures: Counter<'command'>;
  /** airlock_radius_invalid_responses_total{server,reason}: datagrams dropped by the RADIUS client, by reason (truncated, unknown-id, bad-response-authenticator, ...). */
  radiusInvalidResponses: Counter<'server' | 'reason'>;
  /** airlock_log_lines_suppressed_total{source}: log lines driven by remote input that their source's rate limit held back (source = agent, bss, radius). */
  logLinesSuppressed: Counter<'source'>;
  /** airlock_radius_unanswered_total{kind}: requests (access, accounting) that no server answered, every server tried (counted instead of a line each). */
  radiusUnanswered: Counter<'kind'>;
  /** airlock_das_requests_total{kind,result,error_cause}: Dynamic Authorization requests answered (RFC 5176), by kind (disconnect, coa), result (ack, nak) and Error-Cause ('' for an ACK). */
  dasRequests: Counter<'kind' | 'result' | 'error_cause'>;
  /** airlock_das_dropped_total{reason}: Dynamic Authorization datagrams dropped unanswered (unknown client, bad Message-Authenticator, stale Event-Timestamp, ...). */
  dasDropped: Counter<'reason'>;
  /** airlock_psk_lookups_total{result}: PSKs from RADIUS (psk_source: radius), by result (accept, cached, reject, no_psk, timeout). */
  pskLookups: Counter<'result'>;
  /** The shared store (redis.url): 1 reachable, 0 not (the alarm); absent without one. */
  storeUp: Gauge;
  storeOperations: Counter<'op' | 'result'>;
  storeTakeovers: Counter<'result'>;
  /** airlock_radius_server_up{server}: 1 while the RADIUS client holds a configured server alive, 0 once it marked it dead. */
  radiusServerUp: Gauge<'server'>;
  /**
   * airlock_config_reloads_total{result}: SIGHUP reloads, applied or rejected (invalid file,
   * refused, failed). Counted by the process that handles SIGHUP: in a cluster the primary's
   * own copy (instanceMetrics); the workers' copy stays 0 and adds nothing to the sum.
   */
  configReloads: Counter<'result'>;
  /** airlock_build_info{version}: always 1, labelled with the package version. */
  buildInfo: Gauge<'version'>;
}

/** Metrics of the authenticator instance as a whole (its build, its configuration reloads); a cluster primary keeps its own. */
export interface InstanceMetrics {
  /** airlock_config_reloads_total{result}, both results at 0 from the start. */
  configReloads: Counter<'result'>;
  /** airlock_build_info{version} = 1. */
  buildInfo: Gauge<'version'>;
}

/**
 * Registers airlock_config_reloads_total (both results at 0) and airlock_build_info (1) in
 * `registry`. createMetrics does it for every authenticator; a cluster primary also does it
 * in its own registry, the one whose reload counter moves.
 */
export function instanceMetrics(registry: Registry): InstanceMetrics {
  const registers = [registry];
  const configReloads = new Counter({ name: 'airlock_config_reloads_total', help: 'Configuration reloads (SIGHUP) by result.', labelNames: ['result'], registers });
  // Every process of a cluster reports the same build: 'max' keeps it 1 instead of summing to N.
  const buildInfo = new Gauge({ name: 'airlock_build_info', help: 'Version of the running authenticator (always 1).', labelNames: ['version'], aggregator: 'max', registers });
  for (const result of RELOAD_RESULTS) configReloads.inc({ result }, 0);
  buildInfo.set({ version: AUTHENTICATOR_VERSION }, 1);
  return { configReloads, buildInfo };
}

/**
 * Why a connection was refused at accept, per listener (the `listener` and `reason` of
 * airlock_connections_refused_total): `connections`: the listener's connection cap (kept
 * below the open-file limit); `pending`: AgentLink connections not yet past their
 * handshake, in total; `source_pending`: the same, from one source address;
 * `source_connections`: HTTP connections from one source address.
 */
export const CONNECTION_REFUSALS = {
  agentlink: ['connections', 'pending', 'source_pending'],
  http: ['connections', 'source_connections'],
} as const;
/**
 * How an AgentLink connection failed before it was established
 * (`reason` of airlock_connection_handshake_failures_total): `timeout` (grpc.tls_handshake_timeout_s),
 * `tls` (the TLS handshake failed: no or a wrong client certificate, not TLS at all),
 * `preface` (plaintext: the first bytes were not the HTTP/2 client preface).
 */
export const HANDSHAKE_FAILURES = ['timeout', 'tls', 'preface'] as const;

/** Metrics of the connection gates (connection-gate.ts): admission before TLS, per listener. */
export interface ConnectionMetrics {
  /** airlock_connections_refused_total{listener,reason}: connections closed at accept by a cap. */
  refused: Counter<'listener' | 'reason'>;
  /** airlock_connections_pending: AgentLink connections accepted whose TLS handshake (plaintext: HTTP/2 preface) is not complete. */
  pending: Gauge;
  /** airlock_connections_open: AgentLink connections held, pending ones included. */
  open: Gauge;
  /** airlock_connections_limit: the AgentLink connection cap in force (grpc.max_connections, or derived from the open-file limit). */
  limit: Gauge;
  /** airlock_connection_handshake_failures_total{reason}: AgentLink connections closed before they were established. */
  handshakeFailures: Counter<'reason'>;
}

/**
 * Registers the connection gates' metrics in `registry`, every label value at 0. Each
 * process that accepts or serves AgentLink connections has them; in a cluster the primary's
 * (refusals at accept) and the workers' (pending, open, limit, failures) are summed.
 */
export function connectionMetrics(registry: Registry): ConnectionMetrics {
  const registers = [registry];
  const m: ConnectionMetrics = {
    refused: new Counter({ name: 'airlock_connections_refused_total', help: 'Connections closed at accept by a connection cap, by listener and reason.', labelNames: ['listener', 'reason'], registers }),
    pending: new Gauge({ name: 'airlock_connections_pending', help: 'AgentLink connections accepted whose TLS handshake (plaintext: HTTP/2 preface) is not complete.', registers }),
    open: new Gauge({ name: 'airlock_connections_open', help: 'AgentLink connections held, pending ones included.', registers }),
    limit: new Gauge({ name: 'airlock_connections_limit', help: 'AgentLink connection cap in force (grpc.max_connections or the open-file limit less grpc.fd_headroom).', registers }),
    handshakeFailures: new Counter({ name: 'airlock_connection_handshake_failures_total', help: 'AgentLink connections closed before they were established, by reason.', labelNames: ['reason'], registers }),
  };
  for (const [listener, reasons] of Object.entries(CONNECTION_REFUSALS)) for (const reason of reasons) m.refused.inc({ listener, reason }, 0);
  for (const reason of HANDSHAKE_FAILURES) m.handshakeFailures.inc({ reason }, 0);
  return m;
}

/** Options of createMetrics. */
export interface MetricsOptions {
  /** Also collect prom-client's process_* and nodejs_* metrics (CPU, RSS, event loop lag) in this registry. */
  processMetrics?: boolean;
}

/**
 * Creates the metrics in a fresh registry, with every known label value of stations,
 * handshakes, EAP and reloads set to 0, and airlock_build_info at 1. airlock_radius_server_up
 * has no series until the service sets one per configured server.
 */
export function createMetrics(opts: MetricsOptions = {}): AirlockMetrics {
  const registry = new Registry();
  const registers = [registry];
  const stationDeltas = { associated: 0, authenticating: 0, authorized: 0 };
  const m: AirlockMetrics = {
    registry,
    agentsConnected: new Gauge({ name: 'airlock_agents_connected', help: 'Edge agents with an open AgentLink stream.', registers }),
    stations: new Gauge({
      name: 'airlock_stations', help: 'Stations by state.', labelNames: ['state'], registers,
      collect() {
        for (const state of STATION_STATES) {
          if (stationDeltas[state] === 0) continue;
          this.inc({ state }, stationDeltas[state]);
          stationDeltas[state] = 0;
        }
      },
    }),
    stationDeltas,
    handshakes: new Counter({ name: 'airlock_handshakes_total', help: '4-way handshakes by result.', labelNames: ['result'], registers }),
    eapAuthentications: new Counter({ name: 'airlock_eap_authentications_total', help: '802.1X EAP authentications by result.', labelNames: ['result'], registers }),
    saeAuthentications: new Counter({ name: 'airlock_sae_authentications_total', help: 'WPA3 SAE exchanges by result (wrong_password: the Confirm did not verify).', labelNames: ['result'], registers }),
    joinDuration: new Histogram({
      name: 'airlock_join_duration_seconds', help: 'Time from association to port authorized, by AKM.',
      labelNames: ['akm'], buckets: [...JOIN_DURATION_BUCKETS], registers,
    }),
    framesDropped: new Counter({ name: 'airlock_frames_dropped_total', help: 'Frames dropped, by reason.', labelNames: ['reason'], registers }),
    radiusRequests: new Counter({ name: 'airlock_radius_requests_total', help: 'RADIUS requests by server and response code.', labelNames: ['server', 'code'], registers }),
    radiusRtt: new Histogram({
      name: 'airlock_radius_rtt_seconds', help: 'RADIUS round-trip time, by server.',
      labelNames: ['server'], buckets: [...RADIUS_RTT_BUCKETS], registers,
    }),
    micFailureDiagnoses: new Counter({ name: 'airlock_mic_failure_diagnoses_total', help: 'Msg 2/4 MIC failures by diagnosed cause.', labelNames: ['cause'], registers }),
    agentProtocolErrors: new Counter({ name: 'airlock_agent_protocol_errors_total', help: 'AgentLink protocol errors by reason.', labelNames: ['reason'], registers }),
    agentThrottled: new Counter({ name: 'airlock_agent_throttled_total', help: 'Times reading an agent stream paused: over limits.agent_messages_per_s, limits.agent_receive_queue of its messages waited.', registers }),
    bssClaims: new Gauge({ name: 'airlock_bss_claims', help: 'BSSID first-claims held (agents.bss_policy first-claim; bss_assignments not counted); with a shared store, all instances\' claims as this one last counted them.', aggregator: 'max', registers }),
    agentCommandFailures: new Counter({ name: 'airlock_agent_command_failures_total', help: 'Commands an agent reported it could not apply (CommandResult ok=false), by command.', labelNames: ['command'], registers }),
    radiusInvalidResponses: new Counter({ name: 'airlock_radius_invalid_responses_total', help: 'RADIUS datagrams dropped by the client, by server and reason.', labelNames: ['server', 'reason'], registers }),
    logLinesSuppressed: new Counter({ name: 'airlock_log_lines_suppressed_total', help: 'Log lines driven by remote input held back by the rate limit of their source, by kind of source.', labelNames: ['source'], registers }),
    // Each cluster worker runs its own RADIUS client, and only a worker that sent to a server
    // can find it dead: 'min' reports 0 as soon as one worker marked it dead (a worker with no
    // traffic would keep 'max' at 1), and 1 again once every worker's Status-Server probe
    // was answered. The default 'sum' would show 2 for a server that is up.
    storeUp: new Gauge({ name: 'airlock_store_up', help: 'The shared store (Redis, redis.url) answers: 1, or 0 while it does not (instances serve from memory and refuse takeovers). Stays 0 without a shared store.', registers }),
    storeOperations: new Counter({ name: 'airlock_store_operations_total', help: 'Operations on the shared store, by operation and result (ok, error, fenced: refused because another instance holds the lease).', labelNames: ['op', 'result'], registers }),
    storeTakeovers: new Counter({ name: 'airlock_store_takeovers_total', help: "Takeovers of an agent's BSSes from the shared store at its Hello, by result (ok, claimed, down, error).", labelNames: ['result'], registers }),
    radiusUnanswered: new Counter({ name: 'airlock_radius_unanswered_total', help: 'RADIUS requests no server answered (every server tried), by kind (access, accounting).', labelNames: ['kind'], registers }),
    dasRequests: new Counter({ name: 'airlock_das_requests_total', help: "Dynamic Authorization (RFC 5176) requests answered, by kind (disconnect, coa), result (ack, nak) and error_cause (RFC 5176 Error-Cause of a NAK, '' for an ACK).", labelNames: ['kind', 'result', 'error_cause'], registers }),
    dasDropped: new Counter({ name: 'airlock_das_dropped_total', help: 'Dynamic Authorization datagrams dropped without an answer, by reason (unknown-client, bad or missing Message-Authenticator, stale or missing Event-Timestamp, rate limits, ...).', labelNames: ['reason'], registers }),
    pskLookups: new Counter({ name: 'airlock_psk_lookups_total', help: "Per-station PSK lookups in RADIUS (psk_source: radius), by result: accept, cached (an earlier Accept within its Session-Timeout), reject, no_psk (an Accept without a usable Tunnel-Password), timeout.", labelNames: ['result'], registers }),
    radiusServerUp: new Gauge({ name: 'airlock_radius_server_up', help: 'RADIUS server state as the client sees it: 1 alive, 0 marked dead.', labelNames: ['server'], aggregator: 'min', registers }),
    ...instanceMetrics(registry),
  };
  for (const state of STATION_STATES) m.stations.set({ state }, 0);
  for (const result of HANDSHAKE_RESULTS) m.handshakes.inc({ result }, 0);
  for (const result of EAP_RESULTS) m.eapAuthentications.inc({ result }, 0);
  for (const result of SAE_RESULTS) m.saeAuthentications.inc({ result }, 0);
  for (const source of REMOTE_LOG_SOURCES) m.logLinesSuppressed.inc({ source }, 0);
  if (opts.processMetrics === true) collectDefaultMetrics({ register: registry });
  return m;
}

// ---------------------------------------------------------------------------------------
// Reading the text format.

/** Reads name, labels and value of one sample line; undefined for comments, blanks and garbage. */
function parseSampleLine(line: string): { key: string; name: string; labels: string; value: number } | undefined {
  const m = /^([a-zA-Z_:][a-zA-Z0-9_:]*)/.exec(line);
  if (m === null) return undefined;
  const name = m[1];
  let i = name.length;
  let labels = '';
  if (line[i] === '{') {
    // Scan to the closing brace; label values may contain '}' inside quotes and escaped quotes.
    let inQuote = false;
    let j = i + 1;
    for (; j < line.length; j++) {
      const c = line[j];
      if (inQuote) {
        if (c === '\\') j++;
        else if (c === '"') inQuote = false;
      } else if (c === '"') inQuote = true;
      else if (c === '}') break;
    }
    if (j >= line.length) return undefined;
    labels = line.slice(i, j + 1);
    i = j + 1;
  }
  const rest = line.slice(i).trim().split(/\s+/);
  const raw = rest[0];
  if (raw === undefined || raw === '') return undefined;
  const value = raw === '+Inf' ? Infinity : raw === '-Inf' ? -Infinity : Number(raw);
  if (Number.isNaN(value) && raw !== 'NaN') return undefined;
  return { key: name + labels, name, labels, value };
}

/** Parses Prometheus text into samples keyed by `name{label="v",...}` exactly as printed (no braces without labels). */
export function parsePrometheusText(text: string): Map<string, number> {
  const out = new Map<string, number>();
  for (const line of text.split('\n')) {
    if (line === '' || line.startsWith('#')) continue;
    const s = parseSampleLine(line);
    if (s !== undefined) out.set(s.key, s.value);
  }
  return out;
}

/** `{a="x",b="y"}` -> Map a->x, b->y (escapes \\ \" \n undone). */
function parseLabels(labels: string): Map<string, string> {
  const out = new Map<string, string>();
  const re = /([a-zA-Z_][a-zA-Z0-9_]*)="((?:[^"\\]|\\.)*)"/g;
  for (const m of labels.matchAll(re)) {
    out.set(m[1], m[2].replace(/\\(.)/g, (_x, c: string) => (c === 'n' ? '\n' : c)));
  }
  return out;
}

/**
 * Estimates quantile `q` of histogram `name` from its `_bucket` samples, as PromQL's
 * histogram_quantile does: linear interpolation inside the bucket holding the rank, the
 * lower bound of the first bucket taken as 0, and the highest finite bound returned when
 * the rank falls in the +Inf bucket. Series matching `labels` (a subset match) are summed
 * per bucket first, like `sum by (le)`. NaN when there are no observations.
 */
export function histogramQuantile(samples: Map<string, number>, name: string, q: number, labels: Record<string, string> = {}): number {
  const byLe = new Map<number, number>();
  const prefix = `${name}_bucket`;
  for (const [key, value] of samples) {
    if (!key.startsWith(prefix) || (key.length > prefix.length && key[prefix.length] !== '{')) continue;
    const ls = parseLabels(key.slice(prefix.length));
    const le = ls.get('le');
    if (le === undefined) continue;
    if (!Object.entries(labels).every(([k, v]) => ls.get(k) === v)) continue;
    const bound = le === '+Inf' ? Infinity : Number(le);
    if (Number.isNaN(bound)) continue;
    byLe.set(bound, (byLe.get(bound) ?? 0) + value);
  }
  const buckets = [...byLe.entries()].sort((a, b) => a[0] - b[0]);
  if (Number.isNaN(q)) return NaN;
  if (q < 0) return -Infinity;
  if (q > 1) return Infinity;
  const last = buckets[buckets.length - 1];
  if (buckets.length < 2 || last === undefined || last[0] !== Infinity) return NaN;
  // Counts are cumulative; enforce monotonicity as PromQL does (series scraped at different instants).
  for (let i = 1; i < buckets.length; i++) buckets[i][1] = Math.max(buckets[i][1], buckets[i - 1][1]);
  const total = last[1];
  if (total === 0) return NaN;
  const rank = q * total;
  let b = buckets.findIndex(([, count]) => count >= rank);
  if (b < 0) b = buckets.length - 1;
  if (b === buckets.length - 1) return buckets[buckets.length - 2][0];
  const [upper, count] = buckets[b];
  if (b === 0 && upper <= 0) return upper;
  const lower = b === 0 ? 0 : buckets[b - 1][0];
  const below = b === 0 ? 0 : buckets[b - 1][1];
  const inBucket = count - below;
  if (inBucket === 0) return upper;
  return lower + (upper - lower) * ((rank - below) / inBucket);
}
