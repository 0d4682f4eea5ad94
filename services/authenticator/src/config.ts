// Authenticator configuration: one YAML file, validated against a schema written as data.
// Every key has its type, range, default and one line of documentation in CONFIG_SCHEMA;
// config/example.yaml documents the same keys for operators (a test keeps the two in step).
// Defaults for EAPOL retries follow IEEE 802.11-2020 dot11RSNAConfigPairwiseUpdateCount /
// dot11RSNAConfigGroupUpdateCount and hostapd's timeouts (wpa_auth.c).
import { readFileSync } from 'node:fs';
import { isIP } from 'node:net';
import { readSecretFile } from '@airlock/pki';
import { parseDocument, type YAMLError } from 'yaml';
import { LOG_FORMATS, type LogFormat } from '@airlock/log-limit';
import { passphraseProblem } from '@airlock/rsn';

/** AKM names accepted in `networks[].akms` (AKM suites 2, 6, 1, 5 and 8 of IEEE 802.11-2020 Table 9-151). */
export type AkmName = 'psk' | 'psk-sha256' | '8021x' | '8021x-sha256' | 'sae';

/** Log levels accepted in `log.level` (pino's levels). */
export type LogLevelName = 'fatal' | 'error' | 'warn' | 'info' | 'debug' | 'trace' | 'silent';

/** One SSID served by the authenticator and how stations authenticate to it. */
export interface NetworkConfig {
  /** 1..32 octets of UTF-8. */
  ssid: string;
  /** Non-empty, no duplicates. */
  akms: AkmName[];
  /** Shared PSKs: 8..63 printable ASCII characters each, or 64 hex digits (a raw PSK). */
  passphrases: string[];
  /** Per-station PSKs (sta is a MAC, normalised to lower-case aa:bb:cc:dd:ee:ff), tried with the shared ones. */
  stationPsks: { sta: string; passphrase: string }[];
  /** GTK rekey interval in seconds, 0 = never. */
  groupRekeyS: number;
  /** Rekey the GTK when an authorized station leaves. */
  rekeyGtkOnLeave: boolean;
  /** WPA3-Personal, for the sae akm (the parser always fills it; absent means the defaults). */
  sae?: SaeConfig;
  /**
   * Where the PSKs of the psk akms come from: 'config' (passphrases, station_psks) or
   * 'radius' (a MAC-authentication Access-Request per join; the Accept's Tunnel-Password is
   * the station's passphrase, hostapd's wpa_psk_radius=2). Parsed value always set.
   */
  pskSource?: 'config' | 'radius';
}

/** How SAE runs on a network (akm sae). */
export interface SaeConfig {
  /** hostapd's sae_pwe: hash-to-element, hunting-and-pecking, or both. */
  pwe: 'both' | 'h2e' | 'hunting-and-pecking';
  /** SAE passwords (hostapd's sae_password); none: the network's passphrases and station PSKs serve. */
  passwords: { password: string; identifier: string; sta: string; vlan: number }[];
  /** Open SAE exchanges of a BSS from which a Commit needs an anti-clogging token. */
  antiCloggingThreshold: number;
}

/** The whole validated configuration, camelCase; the YAML file uses the snake_case of each key. */
export interface AuthenticatorConfig {
  grpc: { listen: string; plaintext: boolean; tls: { cert: string; key: string; ca: string; agentCa: string }; keepaliveTimeMs: number; keepaliveTimeoutMs: number; maxMessageBytes: number; tlsHandshakeTimeoutS: number; maxPendingHandshakes: number; maxPendingHandshakesPerSource: number; maxConnections: number; fdHeadroom: number };
  agents: AgentsConfig;
  http: { listen: string; maxConnections: number };
  /**
   * The Admin API (admin.proto, the `airlock` CLI): a local UNIX socket whose file mode and
   * group decide who may use it, and optionally TCP with mTLS (operator certificates).
   */
  admin: AdminConfig;
  /** Worker processes sharing the agents: 1 = this process alone, 0 = one per CPU. */
  cluster: { workers: number };
  /** The shared store of several authenticators (DESIGN.md "Several authenticators"); url "" = none. */
  redis: RedisConfig;
  log: { level: LogLevelName; format: LogFormat };
  eapol: {
    pairwiseUpdateCount: number;
    groupUpdateCount: number;
    firstTimeoutMs: number;
    firstTimeoutNoTxStatusMs: number;
    subsequentTimeoutMs: number;
    groupTimeoutMs: number;
    maxFrameBytes: number;
  };
  limits: { agentSendQueue: number; agentReceiveQueue: number; agentMessagesPerS: number; agentMessageBurst: number; maxStationsPerBss: number; maxStationsPerAgent: number; maxPendingStationsPerBss: number; macBackoffAfterFailures: number; macBackoffInitialS: number; macBackoffMaxS: number; eapolPerStationPerS: number; eapolBurstPerStation: number; maxHandshakesInFlight: number };
  radius: RadiusConfig;
  das: DasConfig;
  eap: { retransmitMs: number; maxTransmissions: number; quietPeriodS: number; pmksaLifetimeS: number };
  networks: NetworkConfig[];
}

/** Redis as the shared store: leases, group keys, security associations, the PMKSA cache. */
export interface RedisConfig {
  /** redis://[user@]host:port[/db] or rediss:// (TLS); "" = no shared store (one instance, as before). */
  url: string;
  /** Its password (never logged; also redis.password_file through AIRLOCK__REDIS__PASSWORD_FILE). */
  password: string;
  /** Prefix of every key and channel. */
  keyPrefix: string;
  /** Key-encryption key: 64 hex digits (never logged). */
  kek: string;
  /** The KEK before the last rotation, still opened (64 hex digits, or ""). */
  kekPrevious: string;
  leaseMs: number;
  commandTimeoutMs: number;
  connectTimeoutMs: number;
}

/** Where the Admin API is served, and to whom. */
export interface AdminConfig {
  /** Path of the local socket ("" = none). */
  socket: string;
  /** Its file mode, octal text ("0660"): never any access for others. */
  socketMode: string;
  /** Its group, a name or number ("" = the authenticator's own group). */
  socketGroup: string;
  /** TCP address with mTLS ("" = none). */
  listen: string;
  /** Client certificate CNs (operator role) allowed over TCP. */
  operators: string[];
  tls: { cert: string; key: string; ca: string; operatorCa: string };
}

/** The default admin.socket: used when its directory can be made; else the authenticator starts without it (logged). */
export const DEFAULT_ADMIN_SOCKET = '/run/airlock/admin.sock';

/** Which BSSIDs an agent may act for, and how long its stations outlive its stream. */
export interface AgentsConfig {
  /** first-claim: an unassigned BSSID belongs to the first agent that announces it; configured: only bssAssignments. */
  bssPolicy: 'first-claim' | 'configured';
  /** Agent identity (certificate CN) -> the BSSIDs (lower-case aa:bb:cc:dd:ee:ff) reserved for it. */
  bssAssignments: { agent: string; bssids: string[] }[];
  /** Seconds an agent's stations keep their keys and authorization after its stream ends. */
  reconnectGraceS: number;
  /** BSSes one Hello may announce, at most. */
  maxBssesPerHello: number;
  /** First-claims one agent may hold, at most (the BSSes it announces now and those it announced before). */
  maxBssesPerAgent: number;
  /** First-claims held at most, all agents together. */
  maxClaims: number;
  /** Seconds after which an absent agent's first-claims expire (bss_assignments never do). */
  claimExpiryS: number;
}

/** One RADIUS server (RFC 2865 / 2866). */
export interface RadiusServerConfig {
  name: string;
  host: string;
  /** udp (RFC 2865/2866), or tls: RadSec (RFC 6614), authentication and accounting on tlsPort. Parsed: always set (udp when absent). */
  transport?: 'udp' | 'tls';
  authPort: number;
  acctPort: number;
  /** RadSec: the one TLS port (RFC 6614: 2083). */
  tlsPort?: number;
  /** Shared secret (never logged); RadSec: "" = "radsec" (RFC 6614 §2.3). */
  secret: string;
  /** RadSec: the CA that issues the server's certificate, this client's certificate and key (PEM files), the name the server's certificate carries ("" = host). */
  tls?: { ca: string; cert: string; key: string; serverName: string };
}

/** The RADIUS client: servers in priority order, retransmission and failover, NAS attributes. */
export interface RadiusConfig {
  servers: RadiusServerConfig[];
  timeoutMs: number;
  maxRetransmits: number;
  deadAfterMs: number;
  probeIntervalMs: number;
  nasIdentifier: string;
  /** NAS-IP-Address, or '' for none. */
  nasIpAddress: string;
  accounting: boolean;
  /** Acct-Interim-Interval in seconds, 0 = no interim updates. */
  interimIntervalS: number;
  /** Access-Requests outstanding at once; more wait in a queue (bounded by the stations). */
  maxInFlight: number;
}

/**
 * The Dynamic Authorization Server (RFC 5176): Disconnect-Request and CoA-Request from
 * policy servers on the allowlist.
 */
export interface DasConfig {
  /** "host:port" (RFC 5176 port 3799), "" = off. */
  listen: string;
  clients: { name: string; address: string; secret: string }[];
  /** Event-Timestamp window (hostapd's radius_das_time_window). */
  timeWindowS: number;
  /** Requests without Event-Timestamp are dropped (hostapd's radius_das_require_event_timestamp). */
  requireEventTimestamp: boolean;
}

/** One problem found in a configuration file: the YAML key path (e.g. "networks[0].passphrases[1]") and what was expected. */
export interface ConfigError {
  path: string;
  message: string;
}

/** Result of parsing a configuration: the value, or every error found. */
export type ConfigResult = { ok: true; value: AuthenticatorConfig } | { ok: false; errors: ConfigError[] };

// ---------------------------------------------------------------------------------------
// The schema, as data.

/** Checks a value that already has the right YAML type; returns a message when it is wrong. */
type ValueCheck<T> = (value: T) => string | undefined;

/** Cross-field check of a mapping or list after its members were validated (invalid members are undefined). */
type GroupCheck = (value: Record<string, unknown> | unknown[], report: (relPath: string, message: string) => void) => void;

/** One key's rule. A key is optional exactly when its rule has a default (a mapping: when all its keys are optional). */
type Rule =
  | { type: 'string'; doc: string; expect: string; default?: string; check?: ValueCheck<string>; normalize?: (s: string) => string; secret?: boolean }
  | { type: 'integer'; doc: string; min: number; max: number; unit?: string; default?: number }
  | { type: 'boolean'; doc: string; default?: boolean }
  | { type: 'enum'; doc: string; values: readonly string[]; default?: string }
  | { type: 'list'; doc: string; expect: string; item: Rule; minItems?: number; maxItems?: number; default?: readonly string[]; check?: GroupCheck }
  | { type: 'map'; doc: string; fields: Readonly<Record<string, Rule>>; check?: GroupCheck };

const AKM_NAMES: readonly AkmName[] = ['psk', 'psk-sha256', '8021x', '8021x-sha256', 'sae'];
const PSK_AKMS: ReadonlySet<string> = new Set<AkmName>(['psk', 'psk-sha256']);
const LOG_LEVELS: readonly LogLevelName[] = ['fatal', 'error', 'warn', 'info', 'debug', 'trace', 'silent'];
/** Room for a TransmitEapol envelope around the largest EAPOL frame (seq, bssid, sta, flags). */
const ENVELOPE_OVERHEAD_BYTES = 256;

/** "host:port" with a port 0..65535; an IPv6 host goes in brackets. */
function checkListen(s: string): string | undefined {
  const m = /^(\[[0-9A-Fa-f:.]+\]|[^\s:[\]]+):(\d{1,5})$/.exec(s);
  if (m === null || Number(m[2]) > 65535) return `expected "host:port" with port 0..65535 (IPv6 host in brackets), got ${JSON.stringify(s)}`;
  return undefined;
}

/** IEEE 802.11-2020 §J.4.1: a passphrase is 8..63 printable ASCII characters (32..126); 64 hex digits is a raw PSK. Never echoes the value. */
const checkPassphrase = passphraseProblem;

function checkSsid(s: string): string | undefined {
  const n = Buffer.byteLength(s, 'utf8');
  if (n < 1 || n > 32) return `expected 1..32 octets of UTF-8, got ${n} octets`;
  return undefined;
}

const MAC_RE = /^(?:[0-9A-Fa-f]{2}([:-]))(?:[0-9A-Fa-f]{2}\1){4}[0-9A-Fa-f]{2}$|^[0-9A-Fa-f]{12}$/;

function checkStationMac(s: string): string | undefined {
  if (!MAC_RE.test(s)) return `expected a MAC address like 02:00:00:00:00:01, got ${JSON.stringify(s)}`;
  if ((parseInt(s.slice(0, 2), 16) & 1) === 1) return `expected a unicast MAC address (group bit clear), got ${JSON.stringify(s)}`;
  return undefined;
}

function normalizeMac(s: string): string {
  const hex = s.replace(/[:-]/g, '').toLowerCase();
  return hex.match(/../g)?.join(':') ?? hex;
}

/** Per network: PSK keys need a PSK AKM and vice versa. */
function checkNetwork(value: Record<string, unknown> | unknown[], report: (relPath: string, message: string) => void): void {
  if (Array.isArray(value)) return;
  const akms = value['akms'];
  if (!Array.isArray(akms) || akms.length === 0) return; // already reported
  const hasSae = akms.includes('sae');
  const hasPsk = akms.some((a) => typeof a === 'string' && PSK_AKMS.has(a));
  const passphraseList = Array.isArray(value['passphrases']) ? value['passphrases'] : [];
  const passphrases = passphraseList.length;
  const stationPsks = Array.isArray(value['stationPsks']) ? value['stationPsks'].length : 0;
  const fromRadius = value['pskSource'] === 'radius';
  if (hasPsk && !fromRadius && passphrases === 0 && stationPsks === 0) {
    report('passphrases', 'expected at least one passphrase (or a station_psks entry, or psk_source: radius) because akms include a psk akm');
  }
  if (fromRadius && !hasPsk) report('psk_source', 'radius, but only the psk and psk-sha256 akms take a PSK from RADIUS; add one to akms or remove this key');
  if (fromRadius && stationPsks > 0) report('station_psks', 'set, but psk_source is radius: each station\'s PSK comes from RADIUS; remove this key');
  if (!hasPsk && !hasSae && passphrases > 0) report('passphrases', 'set, but only the psk, psk-sha256 and sae akms use passphrases; add one to akms or remove this key');
  if (!hasPsk && !hasSae && stationPsks > 0) report('station_psks', 'set, but only the psk, psk-sha256 and sae akms use station PSKs; add one to akms or remove this key');
  const sae = value['sae'] as Record<string, unknown> | undefined;
  const saePasswords = sae !== undefined && Array.isArray(sae['passwords']) ? sae['passwords'].length : 0;
  if (hasSae && saePasswords === 0) {
    // hostapd: without sae_password, the passphrase is the SAE password; a raw PSK (64 hex digits) cannot be one.
    const usable = passphraseList.filter((p) => typeof p === 'string' && !/^[0-9a-fA-F]{64}$/.test(p)).length;
    if (usable === 0 && stationPsks === 0) report('sae.passwords', 'expected at least one SAE password (or a passphrase that is not a raw PSK) because akms include sae');
  }
  if (!hasSae && saePasswords > 0) report('sae.passwords', 'set, but only the sae akm uses SAE passwords; add it to akms or remove this key');
}

/** An SAE password: any non-empty string of at most 256 octets (SAE has no length rule; hostapd takes any). Never echoes the value. */
function checkSaePassword(s: string): string | undefined {
  const n = Buffer.byteLength(s, 'utf8');
  if (n < 1 || n > 256) return `expected 1..256 octets, got ${n}`;
  return undefined;
}

function checkUniqueAkms(value: Record<string, unknown> | unknown[], report: (relPath: string, message: string) => void): void {
  if (!Array.isArray(value)) return;
  const seen = new Map<unknown, number>();
  value.forEach((a, i) => {
    if (a === undefined) return; // invalid, already reported
    const first = seen.get(a);
    if (first !== undefined) report(`[${i}]`, `duplicate akm ${JSON.stringify(a)} (already at akms[${first}])`);
    else seen.set(a, i);
  });
}

function checkUniqueSsids(value: Record<string, unknown> | unknown[], report: (relPath: string, message: string) => void): void {
  if (!Array.isArray(value)) return;
  const seen = new Map<string, number>();
  value.forEach((n, i) => {
    if (n === null || typeof n !== 'object') return;
    const ssid = (n as Record<string, unknown>)['ssid'];
    if (typeof ssid !== 'string') return;
    const first = seen.get(ssid);
    if (first !== undefined) report(`[${i}].ssid`, `duplicate ssid ${JSON.stringify(ssid)} (already used by networks[${first}])`);
    else seen.set(ssid, i);
  });
}

function checkIpv4OrEmpty(s: string): string | undefined {
  if (s === '') return undefined;
  const parts = s.split('.');
  if (parts.length !== 4 || parts.some((p) => !/^\d{1,3}$/.test(p) || Number(p) > 255)) return `expected an IPv4 address like 192.0.2.1 (or "" for none), got ${JSON.stringify(s)}`;
  return undefined;
}

function checkPath(s: string): string | undefined {
  if (s.includes('\0')) return 'expected a file path';
  return undefined;
}

/** admin.socket: an absolute path that fits a sockaddr_un (108 bytes with its NUL), or "". */
function checkSocketPath(s: string): string | undefined {
  if (s === '') return undefined;
  if (!s.startsWith('/') || s.includes('\0')) return `expected an absolute path or "", got ${JSON.stringify(s)}`;
  if (Buffer.byteLength(s) > 107) return `expected a path of at most 107 bytes (a UNIX socket address), got ${Buffer.byteLength(s)}`;
  return undefined;
}

/** admin.socket_group: a group name (POSIX portable, as useradd takes it) or number, or "". */
function checkGroup(s: string): string | undefined {
  return s === '' || /^\d{1,10}$/.test(s) || /^[A-Za-z_][A-Za-z0-9_.-]{0,31}$/.test(s) ? undefined : `expected a group name or number, got ${JSON.stringify(s)}`;
}

/** Agent identities: the CN of their certificate (the dev PKI's alphabet). */
function checkAgentId(s: string): string | undefined {
  return /^[A-Za-z0-9][A-Za-z0-9._-]{0,63}$/.test(s) ? undefined : `expected an agent id of 1..64 characters A-Z a-z 0-9 . _ -, got ${JSON.stringify(s)}`;
}

function checkBssid(s: string): string | undefined {
  if (!MAC_RE.test(s)) return `expected a BSSID like 02:00:00:00:01:00, got ${JSON.stringify(s)}`;
  return undefined;
}

/** No BSSID assigned to two agents, no agent listed twice. */
function checkAssignments(value: Record<string, unknown> | unknown[], report: (relPath: string, message: string) => void): void {
  if (!Array.isArray(value)) return;
  const owner = new Map<string, number>();
  const agents = new Map<string, number>();
  value.forEach((a, i) => {
    if (a === null || typeof a !== 'object') return;
    const entry = a as Record<string, unknown>;
    if (typeof entry['agent'] === 'string') {
      const first = agents.get(entry['agent']);
      if (first !== undefined) report(`[${i}].agent`, `agent ${JSON.stringify(entry['agent'])} is already listed at bss_assignments[${first}]`);
      else agents.set(entry['agent'], i);
    }
    if (!Array.isArray(entry['bssids'])) return;
    entry['bssids'].forEach((b, j) => {
      if (typeof b !== 'string') return;
      const first = owner.get(b);
      if (first !== undefined && first !== i) report(`[${i}].bssids[${j}]`, `BSSID ${b} is already assigned at bss_assignments[${first}]`);
      else owner.set(b, i);
    });
  });
}

function checkRedisUrl(s: string): string | undefined {
  if (s === '') return undefined;
  try {
    const u = new URL(s);
    if (u.protocol !== 'redis:' && u.protocol !== 'rediss:') return `expected a redis:// or rediss:// URL, got the scheme ${u.protocol}`;
    if (u.hostname === '') return 'expected a host in the URL';
  } catch {
    return 'expected a redis:// or rediss:// URL';
  }
  return undefined;
}

/** A KEK: 64 hex digits or "" (never echoes the value). */
function checkKek(s: string): string | undefined {
  if (s === '' || /^[0-9A-Fa-f]{64}$/.test(s)) return undefined;
  return `expected 64 hex digits (32 octets), got ${s.length} characters`;
}

function checkHost(s: string): string | undefined {
  if (s.length === 0 || /\s/.test(s)) return `expected a host name or IP address, got ${JSON.stringify(s)}`;
  return undefined;
}

function checkTop(value: Record<string, unknown> | unknown[], report: (relPath: string, message: string) => void): void {
  if (Array.isArray(value)) return;
  const redis = value['redis'] as Record<string, unknown> | undefined;
  if (typeof redis?.['url'] === 'string' && redis['url'] !== '' && redis['kek'] === '') {
    report('redis.kek', 'expected 64 hex digits because redis.url is set: the key-encryption key seals every key written to Redis (make one with `openssl rand -hex 32`)');
  }
  const cluster = value['cluster'] as Record<string, unknown> | undefined;
  if (typeof cluster?.['workers'] === 'number' && cluster['workers'] !== 1 && (redis?.['url'] ?? '') === '') {
    report('cluster.workers', 'expected 1 without redis.url: worker processes share their state (PMKSA cache, BSS leases, stations) through the shared store, as separate authenticators do');
  }
  if (typeof redis?.['kek'] === 'string' && redis['kek'] !== '' && redis['kek'] === redis['kekPrevious']) {
    report('redis.kek_previous', 'expected a KEK other than redis.kek (the one before the last rotation)');
  }
  const networks = value['networks'];
  const radius = value['radius'] as Record<string, unknown> | undefined;
  const servers = Array.isArray(radius?.['servers']) ? (radius['servers'] as unknown[]).length : 0;
  if (Array.isArray(networks) && servers === 0) {
    networks.forEach((n, i) => {
      const akms = n !== null && typeof n === 'object' ? (n as Record<string, unknown>)['akms'] : undefined;
      if (Array.isArray(akms) && akms.some((a) => a === '8021x' || a === '8021x-sha256')) {
        report('radius.servers', `expected at least one RADIUS server because networks[${i}] offers an 802.1X akm`);
      } else if (n !== null && typeof n === 'object' && (n as Record<string, unknown>)['pskSource'] === 'radius') {
        report('radius.servers', `expected at least one RADIUS server because networks[${i}] takes its PSKs from RADIUS (psk_source: radius)`);
      }
    });
  }
  if (Array.isArray(radius?.['servers'])) {
    (radius['servers'] as Record<string, unknown>[]).forEach((s, i) => {
      if (s === null || typeof s !== 'object') return;
      if (s['transport'] !== 'tls' && s['secret'] === '') report(`radius.servers[${i}].secret`, 'expected a shared secret (1..128 characters) for a udp server');
      const tls = s['tls'] as Record<string, unknown> | undefined;
      if (s['transport'] === 'tls') {
        for (const k of ['ca', 'cert', 'key']) if (tls?.[k] === '' || tls?.[k] === undefined) report(`radius.servers[${i}].tls.${k}`, 'expected a file path: RadSec verifies the server against its CA and presents a client certificate (mutual TLS)');
      }
    });
  }
  const das = value['das'] as Record<string, unknown> | undefined;
  const dasClients = Array.isArray(das?.['clients']) ? (das['clients'] as Record<string, unknown>[]) : [];
  if (typeof das?.['listen'] === 'string' && das['listen'] !== '' && dasClients.length === 0) {
    report('das.clients', 'expected at least one client: das.listen is set, and requests from addresses not listed are dropped');
  }
  const dasAddresses = new Set<string>();
  dasClients.forEach((c, i) => {
    const a = typeof c?.['address'] === 'string' ? c['address'] : undefined;
    if (a === undefined) return;
    if (dasAddresses.has(a)) report(`das.clients[${i}].address`, `${a} is listed twice (a request is matched to its client by source address)`);
    dasAddresses.add(a);
  });
  const grpc = value['grpc'] as Record<string, unknown> | undefined;
  const tls = grpc?.['tls'] as Record<string, unknown> | undefined;
  if (grpc?.['plaintext'] === false && tls !== undefined) {
    for (const k of ['cert', 'key', 'ca']) {
      if (tls[k] === '') report(`grpc.tls.${k}`, 'expected a file path: mTLS needs the authenticator certificate, its key and the CA that issues agent certificates (or set grpc.plaintext: true, for a trusted network only)');
    }
  }
  const admin = value['admin'] as Record<string, unknown> | undefined;
  if (admin?.['plaintext'] === true) {
    report('admin.plaintext', 'removed: any local user could reach a plaintext TCP port. Local administration without TLS is the UNIX socket admin.socket (default /run/airlock/admin.sock; its file mode admin.socket_mode and group admin.socket_group decide who may use it: `airlock stations --socket PATH`); admin.listen (TCP) needs mTLS with operator certificates');
  }
  if (admin?.['socket'] === '' && admin['listen'] === '') {
    report('admin', 'expected admin.socket or admin.listen: with neither, no one can use the Admin API (the airlock CLI)');
  }
  const agents = value['agents'] as Record<string, unknown> | undefined;
  if (agents?.['bssPolicy'] === 'configured' && Array.isArray(agents['bssAssignments']) && agents['bssAssignments'].length === 0) {
    report('agents.bss_assignments', 'expected at least one { agent, bssids } entry because bss_policy is configured (no agent could serve any BSS)');
  }
  const eapol = value['eapol'] as Record<string, unknown> | undefined;
  const maxMessage = grpc?.['maxMessageBytes'];
  const maxFrame = eapol?.['maxFrameBytes'];
  if (typeof maxMessage === 'number' && typeof maxFrame === 'number' && maxMessage < maxFrame + ENVELOPE_OVERHEAD_BYTES) {
    report('grpc.max_message_bytes', `expected at least eapol.max_frame_bytes + ${ENVELOPE_OVERHEAD_BYTES} = ${maxFrame + ENVELOPE_OVERHEAD_BYTES} so the largest frame fits in a message, got ${maxMessage}`);
  }
}

const NETWORK_RULE: Rule = {
  type: 'map',
  doc: 'one SSID served by the authenticator',
  check: checkNetwork,
  fields: {
    ssid: { type: 'string', doc: 'the SSID, 1..32 octets of UTF-8', expect: 'an SSID of 1..32 octets', check: checkSsid },
    akms: {
      type: 'list', doc: 'AKMs offered', expect: `a list of at least one of ${AKM_NAMES.join(', ')}`, minItems: 1, check: checkUniqueAkms,
      item: { type: 'enum', doc: 'an AKM name', values: AKM_NAMES },
    },
    passphrases: {
      type: 'list', doc: 'shared PSKs for psk akms', expect: 'a list of passphrases', default: [],
      item: { type: 'string', doc: 'a passphrase or raw PSK', expect: 'a passphrase', check: checkPassphrase, secret: true },
    },
    station_psks: {
      type: 'list', doc: 'per-station PSKs, tried together with the shared ones', expect: 'a list of { sta, passphrase } mappings', default: [],
      item: {
        type: 'map', doc: 'one station PSK',
        fields: {
          sta: { type: 'string', doc: "the station's MAC address", expect: 'a MAC address', check: checkStationMac, normalize: normalizeMac },
          passphrase: { type: 'string', doc: 'its passphrase or raw PSK', expect: 'a passphrase', check: checkPassphrase, secret: true },
        },
      },
    },
    group_rekey_s: { type: 'integer', doc: 'GTK rekey interval', min: 0, max: 604_800, unit: 'seconds; 0 = never', default: 3600 },
    rekey_gtk_on_leave: { type: 'boolean', doc: 'rekey the GTK when an authorized station leaves', default: false },
    psk_source: { type: 'enum', doc: "where the psk akms' PSKs come from: config (passphrases, station_psks) or radius (per station, from the Tunnel-Password of a MAC-authentication Access-Accept, with its VLAN; cached for its Session-Timeout; a Reject refuses the station)", values: ['config', 'radius'], default: 'config' },
    sae: {
      type: 'map', doc: 'WPA3-Personal (akm sae): SAE at the authenticator',
      fields: {
        pwe: { type: 'enum', doc: "how the password element is made (hostapd's sae_pwe): h2e (hash-to-element, required on 6 GHz), hunting-and-pecking (older stations), or both", values: ['both', 'h2e', 'hunting-and-pecking'], default: 'both' },
        passwords: {
          type: 'list', doc: "SAE passwords (hostapd's sae_password); when empty, the passphrases and station PSKs serve", expect: 'a list of { password, identifier, sta, vlan } mappings', default: [],
          item: {
            type: 'map', doc: 'one SAE password',
            fields: {
              password: { type: 'string', doc: 'the password', expect: 'a password of 1..256 octets', check: checkSaePassword, secret: true },
              identifier: { type: 'string', doc: 'password identifier the station names (empty: none)', expect: 'an identifier', default: '' },
              sta: { type: 'string', doc: "only for this station's MAC address (empty: any station)", expect: 'a MAC address', default: '', check: (v) => (v === '' ? undefined : checkStationMac(v)), normalize: (v) => (v === '' ? v : normalizeMac(v)) },
              vlan: { type: 'integer', doc: 'VLAN of the stations using this password', min: 0, max: 4094, unit: '0 = none', default: 0 },
            },
          },
        },
        anti_clogging_threshold: { type: 'integer', doc: 'open SAE exchanges of a BSS from which a Commit must carry an anti-clogging token (hostapd: 5)', min: 0, max: 65_535, unit: '0 = always', default: 5 },
      },
    },
  },
};

/**
 * A server's mTLS files: its certificate and key (the authenticator's, by default), the
 * root CA its clients' chains lead to, and the intermediate CA that issues the one client
 * role it accepts (DESIGN.md "Security", "Roles"), under the key `roleKey`.
 */
function mtlsFiles(doc: string, caDoc: string, roleKey: string, role: string): Rule {
  return {
    type: 'map', doc,
    fields: {
      cert: { type: 'string', doc: "the authenticator's certificate (PEM; followed by its intermediate CA)", expect: 'a file path', default: '/etc/airlock/pki/authenticator.pem', check: checkPath },
      key: { type: 'string', doc: 'its private key (PEM)', expect: 'a file path', default: '/etc/airlock/pki/authenticator.key', check: checkPath },
      ca: { type: 'string', doc: caDoc, expect: 'a file path', default: '/etc/airlock/pki/ca.pem', check: checkPath },
      [roleKey]: { type: 'string', doc: `the intermediate CA that issues ${role} certificates (PEM): a client certificate must be issued by it and marked urn:airlock:${role}:<its CN>`, expect: 'a file path', default: `/etc/airlock/pki/ca-${role}.pem`, check: checkPath },
    },
  };
}

/** admin.socket_mode: octal permission bits with nothing for others. */
function checkSocketMode(s: string): string | undefined {
  if (!/^0?[0-7]{3}$/.test(s)) return `expected octal permission bits such as "0660" (quote it in YAML), got ${JSON.stringify(s)}`;
  if ((parseInt(s, 8) & 0o007) !== 0) return `${s} gives others access to the Admin API: use admin.socket_group for the users who may administer`;
  return undefined;
}

/** The configuration schema: every YAML key with its type, range, default and documentation. */
const CONFIG_SCHEMA: Rule = {
  type: 'map',
  doc: 'authenticator configuration',
  check: checkTop,
  fields: {
    grpc: {
      type: 'map', doc: 'the AgentLink gRPC server',
      fields: {
        listen: { type: 'string', doc: 'address to listen on', expect: '"host:port"', check: checkListen, default: '0.0.0.0:50051' },
        plaintext: { type: 'boolean', doc: 'serve without TLS: agents are not authenticated (a warning is logged)', default: false },
        tls: mtlsFiles('mTLS: the server certificate, the root CA, and the agent CA whose client certificates identify agents (CN = agent id)', 'the root CA that agent certificate chains lead to (PEM)', 'agent_ca', 'agent'),
        keepalive_time_ms: { type: 'integer', doc: 'HTTP/2 keepalive ping interval', min: 1000, max: 3_600_000, unit: 'ms', default: 20_000 },
        keepalive_timeout_ms: { type: 'integer', doc: 'time to wait for a ping ack', min: 1000, max: 600_000, unit: 'ms', default: 10_000 },
        max_message_bytes: { type: 'integer', doc: 'largest gRPC message accepted or sent', min: 1024, max: 64 * 1024 * 1024, unit: 'bytes', default: 65_536 },
        tls_handshake_timeout_s: { type: 'integer', doc: 'a connection not through its TLS handshake (plaintext: the HTTP/2 preface) this long after it was accepted is closed', min: 1, max: 300, unit: 'seconds', default: 10 },
        max_pending_handshakes: { type: 'integer', doc: 'connections accepted and not yet through their handshake, at once; more are closed at accept', min: 1, max: 1_000_000, default: 1024 },
        max_pending_handshakes_per_source: { type: 'integer', doc: 'the same, from one source address (IPv6: one /64)', min: 1, max: 1_000_000, default: 64 },
        max_connections: { type: 'integer', doc: 'AgentLink connections held at once, pending ones included; more are closed at accept', min: 0, max: 10_000_000, unit: '0 = the open-file limit less fd_headroom', default: 0 },
        fd_headroom: { type: 'integer', doc: 'file descriptors kept out of reach of AgentLink connections when max_connections is 0: for the HTTP endpoints, the Admin API, RADIUS and logs', min: 16, max: 1_000_000, default: 256 },
      },
    },
    agents: {
      type: 'map', doc: 'edge agents: which BSSes each may act for, and reconnection',
      fields: {
        bss_policy: { type: 'enum', doc: 'first-claim: a BSSID not assigned belongs to the first agent announcing it; configured: only bss_assignments', values: ['first-claim', 'configured'], default: 'first-claim' },
        bss_assignments: {
          type: 'list', doc: 'BSSIDs reserved for an agent (its certificate CN)', expect: 'a list of { agent, bssids } mappings', default: [], check: checkAssignments,
          item: {
            type: 'map', doc: 'one agent and its BSSIDs',
            fields: {
              agent: { type: 'string', doc: 'the agent id (CN of its certificate)', expect: 'an agent id', check: checkAgentId },
              bssids: {
                type: 'list', doc: 'its BSSIDs', expect: 'a list of BSSIDs', minItems: 1,
                item: { type: 'string', doc: 'a BSSID', expect: 'a BSSID', check: checkBssid, normalize: normalizeMac },
              },
            },
          },
        },
        reconnect_grace_s: { type: 'integer', doc: "how long an agent's stations keep keys and authorization after its stream ends", min: 0, max: 86_400, unit: 'seconds', default: 30 },
        max_bsses_per_hello: { type: 'integer', doc: 'BSSes one Hello may announce; a Hello with more is refused', min: 1, max: 65_536, default: 64 },
        max_bsses_per_agent: { type: 'integer', doc: "first-claims one agent may hold (announced now or before); past it the agent's oldest claims it no longer announces go, and a Hello that still does not fit is refused", min: 1, max: 1_000_000, default: 256 },
        max_claims: { type: 'integer', doc: 'first-claims held, all agents together; past it a Hello claiming new BSSIDs is refused (bss_assignments do not count)', min: 1, max: 10_000_000, default: 65_536 },
        claim_expiry_s: { type: 'integer', doc: "how long an agent may stay away (after its reconnect grace) before its first-claims expire and another agent may claim those BSSIDs; bss_assignments never expire", min: 1, max: 31_536_000, unit: 'seconds', default: 86_400 },
      },
    },
    http: {
      type: 'map', doc: 'the /metrics, /healthz, /readyz HTTP server',
      fields: {
        listen: { type: 'string', doc: 'address to listen on', expect: '"host:port"', check: checkListen, default: '0.0.0.0:9464' },
        max_connections: { type: 'integer', doc: 'connections at once, a quarter of them from one source address; more are closed at accept', min: 4, max: 100_000, default: 64 },
      },
    },
    admin: {
      type: 'map', doc: 'the Admin API (the airlock CLI): a local UNIX socket, and optionally TCP with mTLS',
      fields: {
        socket: { type: 'string', doc: 'path of the local socket (file permissions decide who may administer); "" = none', expect: 'an absolute path or ""', check: checkSocketPath, default: DEFAULT_ADMIN_SOCKET },
        socket_mode: { type: 'string', doc: 'file mode of the socket, octal; never any access for others', expect: 'octal permission bits such as "0660"', check: checkSocketMode, default: '0660' },
        socket_group: { type: 'string', doc: 'group of the socket (a name or number) whose members may administer; "" = the authenticator\'s group', expect: 'a group name or number, or ""', check: checkGroup, default: '' },
        listen: { type: 'string', doc: 'TCP address with mTLS (operator certificates), "" = none; keep it on a management network', expect: '"host:port" or ""', check: (x) => (x === '' ? undefined : checkListen(x)), default: '' },
        plaintext: { type: 'boolean', doc: 'removed: must be false (the local socket is the Admin API without TLS)', default: false },
        operators: {
          type: 'list', doc: 'client certificate CNs allowed to call it over TCP (mTLS)', expect: 'a list of certificate CNs', minItems: 1, default: ['operator'],
          item: { type: 'string', doc: 'an operator certificate CN', expect: 'a CN', check: checkAgentId },
        },
        tls: mtlsFiles('admin.listen: the Admin server certificate, the root CA, and the operator CA whose client certificates it accepts', 'the root CA that operator certificate chains lead to (PEM)', 'operator_ca', 'operator'),
      },
    },
    cluster: {
      type: 'map', doc: 'using more than one CPU core',
      fields: {
        workers: { type: 'integer', doc: 'worker processes sharing the agents through the shared store (redis.url is required); the primary owns the ports; 1 = one process', min: 0, max: 64, unit: '0 = one per CPU', default: 1 },
      },
    },
    redis: {
      type: 'map', doc: 'the shared store of several authenticators (and of cluster workers): BSS leases with fencing tokens, group keys and security associations sealed with the KEK, the PMKSA cache',
      fields: {
        url: { type: 'string', doc: 'redis://[user@]host:port[/db], or rediss:// for TLS; "" = no shared store (one instance)', expect: 'a redis:// or rediss:// URL, or ""', check: checkRedisUrl, default: '' },
        password: { type: 'string', doc: 'the password (AUTH); "" = none or in the URL', expect: 'a password', default: '', secret: true },
        key_prefix: { type: 'string', doc: 'prefix of every key and channel (several deployments on one Redis)', expect: 'a prefix such as "airlock:"', check: (x) => (/^[A-Za-z0-9_.:-]{1,64}$/.test(x) ? undefined : `expected 1..64 characters of A-Z a-z 0-9 _ . : -, got ${JSON.stringify(x)}`), default: 'airlock:' },
        kek: { type: 'string', doc: 'key-encryption key, 64 hex digits: every key written to Redis is sealed with it (AES-256-GCM)', expect: '64 hex digits', check: checkKek, default: '', secret: true },
        kek_previous: { type: 'string', doc: 'the KEK before the last rotation: values sealed with it are still opened (64 hex digits, or "")', expect: '64 hex digits', check: checkKek, default: '', secret: true },
        lease_ms: { type: 'integer', doc: 'BSS lease time to live, renewed every quarter of it; an instance paused longer loses its BSSes to the instance their agents moved to', min: 1000, max: 600_000, unit: 'ms', default: 10_000 },
        command_timeout_ms: { type: 'integer', doc: 'a Redis command not answered in this time fails (the instance serves from memory)', min: 50, max: 60_000, unit: 'ms', default: 1000 },
        connect_timeout_ms: { type: 'integer', doc: 'how long startup waits for Redis before serving without it', min: 100, max: 60_000, unit: 'ms', default: 3000 },
      },
    },
    log: {
      type: 'map', doc: 'logging',
      fields: {
        level: { type: 'enum', doc: 'pino log level', values: LOG_LEVELS, default: 'info' },
        format: { type: 'enum', doc: 'json (pino JSON lines) or pretty (HH:MM:SS.mmm LEVEL message key=value, for a terminal; --log-format overrides it)', values: LOG_FORMATS, default: 'json' },
      },
    },
    eapol: {
      type: 'map', doc: 'EAPOL-Key retries and limits (IEEE 802.11-2020 §12.7.6, hostapd wpa_auth.c)',
      fields: {
        pairwise_update_count: { type: 'integer', doc: 'transmissions of msg 1/4 and 3/4 (dot11RSNAConfigPairwiseUpdateCount)', min: 1, max: 16, default: 4 },
        group_update_count: { type: 'integer', doc: 'transmissions of group msg 1/2 (dot11RSNAConfigGroupUpdateCount)', min: 1, max: 16, default: 4 },
        first_timeout_ms: { type: 'integer', doc: 'first retransmission timeout when the agent reports TX status', min: 10, max: 60_000, unit: 'ms', default: 100 },
        first_timeout_no_tx_status_ms: { type: 'integer', doc: 'first retransmission timeout without TX status', min: 10, max: 60_000, unit: 'ms', default: 1000 },
        subsequent_timeout_ms: { type: 'integer', doc: 'later retransmission timeouts', min: 10, max: 60_000, unit: 'ms', default: 1000 },
        group_timeout_ms: { type: 'integer', doc: 'group key handshake retransmission timeout', min: 10, max: 60_000, unit: 'ms', default: 500 },
        max_frame_bytes: { type: 'integer', doc: 'largest EAPOL frame accepted from an agent', min: 128, max: 65_535, unit: 'bytes', default: 4096 },
      },
    },
    limits: {
      type: 'map', doc: 'resource bounds',
      fields: {
        agent_send_queue: { type: 'integer', doc: 'commands queued per agent stream while it pushes back before droppable ones are dropped; at 4 times this the stream is ended (the agent reads nothing)', min: 16, max: 1_048_576, default: 4096 },
        agent_receive_queue: { type: 'integer', doc: 'messages received on an agent stream and not yet handled (an agent over its rate) at which reading it pauses, so flow control holds the agent back; reading resumes at half', min: 16, max: 1_048_576, unit: 'messages', default: 1024 },
        agent_messages_per_s: { type: 'integer', doc: 'messages read per agent stream per second, sustained; beyond it the stream is paused (flow control)', min: 10, max: 10_000_000, unit: 'messages/s', default: 2000 },
        agent_message_burst: { type: 'integer', doc: 'messages an agent may send at once before its rate applies', min: 10, max: 10_000_000, unit: 'messages', default: 20_000 },
        max_stations_per_bss: { type: 'integer', doc: 'stations per BSS', min: 1, max: 1_000_000, default: 2048 },
        max_stations_per_agent: { type: 'integer', doc: 'stations per agent', min: 1, max: 10_000_000, default: 16_384 },
        max_pending_stations_per_bss: { type: 'integer', doc: 'stations per BSS not yet authorized (in EAP or the 4-way handshake); past it an association is refused with status 17, as hostapd past max_num_sta', min: 1, max: 1_000_000, default: 256 },
        mac_backoff_after_failures: { type: 'integer', doc: 'handshakes of a station on a BSS that fail in a row (timeout, MIC failure, reject) before its associations there are refused for a while; 0 = never', min: 0, max: 1000, default: 3 },
        mac_backoff_initial_s: { type: 'integer', doc: 'first refusal period of a failing station, doubled with each further failure', min: 1, max: 3600, unit: 's', default: 2 },
        mac_backoff_max_s: { type: 'integer', doc: 'longest refusal period of a failing station', min: 1, max: 86_400, unit: 's', default: 60 },
        eapol_per_station_per_s: { type: 'integer', doc: 'EAPOL frames accepted per station per second, sustained (token bucket)', min: 1, max: 100_000, unit: 'frames/s', default: 20 },
        eapol_burst_per_station: { type: 'integer', doc: 'EAPOL frames a station may send at once before the rate applies', min: 1, max: 100_000, unit: 'frames', default: 40 },
        max_handshakes_in_flight: { type: 'integer', doc: '4-way handshakes running at once, at most (fewer while answers come back slowly), shared out per agent and per BSS; more stations wait before msg 1/4, in arrival order per BSS', min: 1, max: 10_000_000, default: 1024 },
      },
    },
    radius: {
      type: 'map', doc: 'the RADIUS client (RFC 2865, 2866, 3579, 5080, 5997)',
      fields: {
        servers: {
          type: 'list', doc: 'RADIUS servers in priority order (the first is the primary)', expect: 'a list of { name, host, secret } mappings', default: [],
          item: {
            type: 'map', doc: 'one RADIUS server',
            fields: {
              name: { type: 'string', doc: 'name used in logs and metric labels', expect: 'a short name', check: (x) => (/^[A-Za-z0-9_.-]{1,32}$/.test(x) ? undefined : `expected 1..32 characters of A-Z a-z 0-9 _ . -, got ${JSON.stringify(x)}`) },
              host: { type: 'string', doc: 'host name or IP address', expect: 'a host', check: checkHost },
              transport: { type: 'enum', doc: 'udp (RFC 2865, 2866), or tls: RadSec (RFC 6614), authentication, accounting and Status-Server over one mutually authenticated TLS connection', values: ['udp', 'tls'], default: 'udp' },
              auth_port: { type: 'integer', doc: 'authentication port (udp)', min: 1, max: 65535, default: 1812 },
              acct_port: { type: 'integer', doc: 'accounting port (udp)', min: 1, max: 65535, default: 1813 },
              tls_port: { type: 'integer', doc: 'RadSec port of authentication and accounting (tls)', min: 1, max: 65535, default: 2083 },
              secret: { type: 'string', doc: 'shared secret; required for udp; for tls "" is RFC 6614\'s "radsec"', expect: 'a shared secret', check: (x) => (x.length <= 128 ? undefined : `expected at most 128 characters, got ${x.length}`), secret: true, default: '' },
              tls: {
                type: 'map', doc: 'RadSec (transport: tls): the server is verified against ca and server_name, and this client presents cert',
                fields: {
                  ca: { type: 'string', doc: "the CA certificate(s) that issue the server's certificate (PEM file); the system store is not used", expect: 'a file path', default: '' },
                  cert: { type: 'string', doc: "this client's certificate, followed by its intermediate CAs (PEM file)", expect: 'a file path', default: '' },
                  key: { type: 'string', doc: 'its private key (PEM file)', expect: 'a file path', default: '' },
                  server_name: { type: 'string', doc: 'the name the server\'s certificate must carry (DNS name or IP address), "" = host', expect: 'a name or ""', default: '' },
                },
              },
            },
          },
        },
        timeout_ms: { type: 'integer', doc: 'first retransmission timeout', min: 50, max: 60_000, unit: 'ms', default: 1000 },
        max_retransmits: { type: 'integer', doc: 'retransmissions per server before failing over', min: 0, max: 10, default: 2 },
        dead_after_ms: { type: 'integer', doc: 'an unanswered server is marked dead after this long', min: 100, max: 600_000, unit: 'ms', default: 5000 },
        probe_interval_ms: { type: 'integer', doc: 'Status-Server probe interval for dead servers', min: 100, max: 600_000, unit: 'ms', default: 5000 },
        nas_identifier: { type: 'string', doc: 'NAS-Identifier sent in every request', expect: 'a NAS identifier', default: 'airlock', check: (x) => (x.length >= 1 && x.length <= 253 ? undefined : 'expected 1..253 characters') },
        nas_ip_address: { type: 'string', doc: 'NAS-IP-Address, or "" for none', expect: 'an IPv4 address or ""', default: '', check: checkIpv4OrEmpty },
        accounting: { type: 'boolean', doc: 'send Accounting Start/Interim/Stop (RFC 2866)', default: true },
        interim_interval_s: { type: 'integer', doc: 'Interim-Update interval', min: 0, max: 86_400, unit: 'seconds; 0 = none', default: 600 },
        max_in_flight: { type: 'integer', doc: 'Access-Requests outstanding at once, shared out per agent and per BSS; more wait their turn', min: 1, max: 65_536, default: 1024 },
      },
    },
    das: {
      type: 'map', doc: 'the Dynamic Authorization Server (RFC 5176): Disconnect-Request and CoA-Request from policy servers',
      fields: {
        listen: { type: 'string', doc: 'UDP address to listen on (RFC 5176: port 3799), "" = off', expect: '"host:port" or ""', check: (x) => (x === '' ? undefined : checkListen(x)), default: '' },
        clients: {
          type: 'list', doc: 'the policy servers allowed to send requests, each with its own secret; requests from any other address are dropped', expect: 'a list of { name, address, secret } mappings', default: [],
          item: {
            type: 'map', doc: 'one DAS client',
            fields: {
              name: { type: 'string', doc: 'name used in logs and metric labels', expect: 'a short name', check: (x) => (/^[A-Za-z0-9_.-]{1,32}$/.test(x) ? undefined : `expected 1..32 characters of A-Z a-z 0-9 _ . -, got ${JSON.stringify(x)}`) },
              address: { type: 'string', doc: 'the IP address its requests come from', expect: 'an IPv4 or IPv6 address', check: (x) => (isIP(x) !== 0 ? undefined : `expected an IP address, got ${JSON.stringify(x)}`) },
              secret: { type: 'string', doc: 'shared secret with it', expect: 'a shared secret', check: (x) => (x.length >= 1 && x.length <= 128 ? undefined : `expected 1..128 characters, got ${x.length}`), secret: true },
            },
          },
        },
        time_window_s: { type: 'integer', doc: 'Event-Timestamp window: a request whose Event-Timestamp is further from now is dropped (replay protection)', min: 1, max: 86_400, unit: 's', default: 300 },
        require_event_timestamp: { type: 'boolean', doc: 'drop requests without Event-Timestamp', default: true },
      },
    },
    eap: {
      type: 'map', doc: 'IEEE 802.1X authenticator timers',
      fields: {
        retransmit_ms: { type: 'integer', doc: 'EAP-Request retransmission timeout towards the station', min: 100, max: 60_000, unit: 'ms', default: 3000 },
        max_transmissions: { type: 'integer', doc: 'EAP-Request transmissions before giving up', min: 1, max: 10, default: 4 },
        quiet_period_s: { type: 'integer', doc: 'quietPeriod after a failed authentication', min: 0, max: 65_535, unit: 'seconds', default: 60 },
        pmksa_lifetime_s: { type: 'integer', doc: 'PMKSA cache lifetime (dot11RSNAConfigPMKLifetime)', min: 60, max: 4_294_967, unit: 'seconds', default: 43_200 },
      },
    },
    networks: { type: 'list', doc: 'the SSIDs served', expect: 'a list of at least one network ({ ssid, akms, ... })', minItems: 1, item: NETWORK_RULE, check: checkUniqueSsids },
  },
};

// ---------------------------------------------------------------------------------------
// The validator.

function camel(key: string): string {
  return key.replace(/_([a-z0-9])/g, (_m, c: string) => c.toUpperCase());
}

function joinPath(base: string, rel: string): string {
  if (base === '') return rel;
  return rel.startsWith('[') ? base + rel : `${base}.${rel}`;
}

function isPlainObject(v: unknown): v is Record<string, unknown> {
  return v !== null && typeof v === 'object' && !Array.isArray(v);
}

function isOptional(rule: Rule): boolean {
  if (rule.type === 'map') return Object.values(rule.fields).every(isOptional);
  return rule.default !== undefined;
}

function describe(rule: Rule): string {
  switch (rule.type) {
    case 'string': return rule.expect;
    case 'integer': return `an integer ${rule.min}..${rule.max}${rule.unit === undefined ? '' : ` (${rule.unit})`}`;
    case 'boolean': return 'true or false';
    case 'enum': return `one of ${rule.values.join(', ')}`;
    case 'list': return rule.expect;
    case 'map': return `a mapping with keys ${Object.keys(rule.fields).join(', ')}`;
    default: {
      const never: never = rule;
      return never;
    }
  }
}

/** What a value is, for "got ..." — never the value itself when it may be a secret or is long. */
function got(v: unknown, secret: boolean): string {
  if (v === null || v === undefined) return 'an empty value';
  if (Array.isArray(v)) return 'a list';
  if (typeof v === 'object') return 'a mapping';
  if (secret) return `a ${typeof v}`;
  if (typeof v === 'string') return v.length <= 64 ? `the string ${JSON.stringify(v)}` : `a string of ${v.length} characters`;
  if (typeof v === 'number' || typeof v === 'boolean' || typeof v === 'bigint') return String(v);
  return `a ${typeof v}`;
}

function editDistance(a: string, b: string): number {
  const row = Array.from({ length: b.length + 1 }, (_v, i) => i);
  for (let i = 1; i <= a.length; i++) {
    let prev = row[0];
    row[0] = i;
    for (let j = 1; j <= b.length; j++) {
      const cur = row[j];
      row[j] = Math.min(row[j] + 1, row[j - 1] + 1, prev + (a[i - 1] === b[j - 1] ? 0 : 1));
      prev = cur;
    }
  }
  return row[b.length];
}

/** The known key a typo most likely meant: within edit distance 2, or one a prefix of the other. */
function nearestKey(key: string, known: readonly string[]): string | undefined {
  let best: string | undefined;
  let bestDistance = Infinity;
  for (const k of known) {
    const d = editDistance(k, key);
    const prefix = Math.min(k.length, key.length) >= 3 && (k.startsWith(key) || key.startsWith(k));
    if ((d <= 2 || prefix) && d < bestDistance) { best = k; bestDistance = d; }
  }
  return best;
}

/**
 * Validates `value` against `rule`, pushing errors, and returns the camelCase value. An invalid
 * scalar becomes undefined; mappings and lists are returned with their valid parts, so the
 * cross-field checks still run and every error of the file is reported in one pass.
 */
function validate(rule: Rule, value: unknown, path: string, errors: ConfigError[]): unknown {
  const err = (message: string, at = path): void => { errors.push({ path: at, message }); };
  switch (rule.type) {
    case 'string': {
      if (typeof value !== 'string') {
        const hint = typeof value === 'number' || typeof value === 'boolean' ? ' (quote it in YAML)' : '';
        err(`expected ${rule.expect}${hint}, got ${got(value, rule.secret === true)}`);
        return undefined;
      }
      const problem = rule.check?.(value);
      if (problem !== undefined) { err(problem); return undefined; }
      return rule.normalize ? rule.normalize(value) : value;
    }
    case 'integer': {
      if (typeof value !== 'number' || !Number.isInteger(value) || value < rule.min || value > rule.max) {
        err(`expected ${describe(rule)}, got ${got(value, false)}`);
        return undefined;
      }
      return value;
    }
    case 'boolean': {
      if (typeof value !== 'boolean') { err(`expected true or false, got ${got(value, false)}`); return undefined; }
      return value;
    }
    case 'enum': {
      if (typeof value !== 'string' || !rule.values.includes(value)) { err(`expected ${describe(rule)}, got ${got(value, false)}`); return undefined; }
      return value;
    }
    case 'list': {
      if (!Array.isArray(value)) { err(`expected ${describe(rule)}, got ${got(value, true)}`); return undefined; }
      if (rule.minItems !== undefined && value.length < rule.minItems) {
        err(`expected at least ${rule.minItems} item${rule.minItems === 1 ? '' : 's'}, got ${value.length === 0 ? 'an empty list' : value.length}`);
      }
      if (rule.maxItems !== undefined && value.length > rule.maxItems) err(`expected at most ${rule.maxItems} items, got ${value.length}`);
      const out = value.map((item, i) => validate(rule.item, item, `${path}[${i}]`, errors));
      rule.check?.(out, (rel, message) => err(message, joinPath(path, rel)));
      return out;
    }
    case 'map': {
      // An empty mapping in YAML ("grpc:") reads as null: treat it as {} so defaults apply.
      const obj = value === null ? {} : value;
      if (!isPlainObject(obj)) { err(`expected ${describe(rule)}, got ${got(value, true)}`); return undefined; }
      const known = Object.keys(rule.fields);
      for (const key of Object.keys(obj)) {
        if (Object.hasOwn(rule.fields, key)) continue;
        const near = nearestKey(key, known);
        err(`unknown key${near === undefined ? '' : `; did you mean "${near}"?`}; expected one of ${known.join(', ')}`, joinPath(path, key));
      }
      const out: Record<string, unknown> = {};
      for (const [key, sub] of Object.entries(rule.fields)) {
        const at = joinPath(path, key);
        if (!Object.hasOwn(obj, key) || (obj[key] === null && sub.type === 'map')) {
          if (isOptional(sub)) out[camel(key)] = defaultOf(sub);
          else err(`missing required key; expected ${describe(sub)}`, at);
          continue;
        }
        out[camel(key)] = validate(sub, obj[key], at, errors);
      }
      rule.check?.(out, (rel, message) => err(message, joinPath(path, rel)));
      return out;
    }
    default: {
      const never: never = rule;
      return never;
    }
  }
}

/** The default of a rule: a mapping's is the defaults of its keys, a list without one is empty. */
function defaultOf(rule: Rule): unknown {
  if (rule.type === 'map') {
    const out: Record<string, unknown> = {};
    for (const [key, sub] of Object.entries(rule.fields)) out[camel(key)] = defaultOf(sub);
    return out;
  }
  if (rule.type === 'list') return [...(rule.default ?? [])];
  return rule.default;
}

/** "Flow sequence ... at line 2, column 1:\n\n<source>" -> one line that quotes no source text (it may hold a secret). */
function yamlErrorMessage(e: YAMLError): string {
  let msg = e.message.split('\n')[0] ?? '';
  msg = msg.replace(/ at line \d+, column \d+:?$/, '').replace(/: "[^\n]*"$/, '');
  const pos = e.linePos?.[0];
  const where = pos === undefined ? '' : ` at line ${pos.line}, column ${pos.col}`;
  return `YAML syntax error${where}: ${msg} (${e.code})`;
}

// ---------------------------------------------------------------------------------------
// Public API.

/** Parses and validates a YAML configuration, reporting every error (paths are YAML key paths). */
/** Environment variables that override configuration keys start with this. */
export const ENV_PREFIX = 'AIRLOCK__';

/** A `..._FILE` variable's secret (readSecretFile); an error names the variable and the file, never the content. */
function readEnvFile(name: string, path: string, errors: ConfigError[]): string | undefined {
  try {
    return readSecretFile(path, 'the authenticator');
  } catch (e) {
    errors.push({ path: '', message: `environment variable ${name}: ${e instanceof Error ? e.message : String(e)}` });
    return undefined;
  }
}

/**
 * Applies environment overrides to the parsed document (before validation): a variable
 * AIRLOCK__<KEY>__<KEY>... sets that key path, upper-case snake_case keys joined by "__",
 * list items by index (AIRLOCK__RADIUS__SERVERS__0__SECRET). A string key takes the value
 * as it is; an integer or boolean key its text; a list or mapping key a YAML flow value
 * ("[psk, 8021x]"). An unknown key is an error naming the variable.
 *
 * A string key may instead take the content of a file, the way container secrets arrive:
 * AIRLOCK__RADIUS__SERVERS__0__SECRET_FILE=/run/secrets/radius_secret (the file is read at
 * every load, so a reload picks up a rotated secret). Both forms of one key is an error.
 */
export function applyEnvOverrides(raw: unknown, env: Readonly<Record<string, string | undefined>>, errors: ConfigError[]): unknown {
  let root: unknown = raw ?? {};
  for (const [name, envValue] of Object.entries(env).sort(([a], [b]) => a.localeCompare(b))) {
    if (!name.startsWith(ENV_PREFIX) || envValue === undefined) continue;
    let value = envValue;
    const segments = name.slice(ENV_PREFIX.length).split('__').map((x) => x.toLowerCase());
    // NAME_FILE: the content of a file, for a string key (a key of its own name wins).
    const last = segments[segments.length - 1];
    if (last.endsWith('_file') && last.length > '_file'.length && !keyExists(segments)) {
      const direct = name.slice(0, -'_FILE'.length);
      segments[segments.length - 1] = last.slice(0, -'_file'.length);
      const target = ruleAt(segments);
      if (target === undefined || target.type !== 'string') {
        errors.push({ path: '', message: `environment variable ${name}: ${target === undefined ? `no configuration key ${JSON.stringify(segments.join('.'))}` : `${JSON.stringify(segments.join('.'))} is not a string key`}; _FILE takes a string key's value from a file` });
        continue;
      }
      if (env[direct] !== undefined) {
        errors.push({ path: '', message: `environment variables ${direct} and ${name} both set ${JSON.stringify(segments.join('.'))}: keep one` });
        continue;
      }
      const fromFile = readEnvFile(name, envValue, errors);
      if (fromFile === undefined) continue;
      value = fromFile;
    }
    let rule: Rule = CONFIG_SCHEMA;
    const steps: (string | number)[] = [];
    let bad: string | undefined;
    for (const seg of segments) {
      if (rule.type === 'map' && Object.hasOwn(rule.fields, seg)) {
        steps.push(seg);
        rule = rule.fields[seg];
      } else if (rule.type === 'list' && /^\d{1,4}$/.test(seg)) {
        steps.push(Number(seg));
        rule = rule.item;
      } else {
        bad = seg;
        break;
      }
    }
    if (bad !== undefined || steps.length === 0) {
      errors.push({ path: '', message: `environment variable ${name}: no configuration key ${JSON.stringify(segments.join('.'))} (${ENV_PREFIX} then upper-case keys joined by "__", list items by index)` });
      continue;
    }
    let parsed: unknown = value;
    if (rule.type === 'integer') parsed = /^-?\d+$/.test(value.trim()) ? Number(value.trim()) : value;
    else if (rule.type === 'boolean') parsed = value.trim() === 'true' ? true : value.trim() === 'false' ? false : value;
    else if (rule.type === 'list' || rule.type === 'map') {
      const d = parseDocument(value, { uniqueKeys: true });
      if (d.errors.length > 0) {
        errors.push({ path: '', message: `environment variable ${name}: not a YAML ${rule.type === 'list' ? 'list' : 'mapping'}: ${yamlErrorMessage(d.errors[0])}` });
        continue;
      }
      parsed = d.toJS({ maxAliasCount: 0 });
    }
    root = setPath(root, steps, parsed);
  }
  return root;
}

/** The schema rule at a key path of lower-case segments (list items by index), if there is one. */
function ruleAt(segments: string[]): Rule | undefined {
  let rule: Rule = CONFIG_SCHEMA;
  for (const seg of segments) {
    if (rule.type === 'map' && Object.hasOwn(rule.fields, seg)) rule = rule.fields[seg];
    else if (rule.type === 'list' && /^\d{1,4}$/.test(seg)) rule = rule.item;
    else return undefined;
  }
  return rule;
}

function keyExists(segments: string[]): boolean {
  return ruleAt(segments) !== undefined;
}

/** `obj` with `value` at `steps` (maps and lists made on the way; a scalar in the way is replaced). */
function setPath(obj: unknown, steps: (string | number)[], value: unknown): unknown {
  if (steps.length === 0) return value;
  const [head, ...rest] = steps;
  if (typeof head === 'number') {
    const list = Array.isArray(obj) ? [...(obj as unknown[])] : [];
    while (list.length <= head) list.push({});
    list[head] = setPath(list[head], rest, value);
    return list;
  }
  const map = typeof obj === 'object' && obj !== null && !Array.isArray(obj) ? { ...(obj as Record<string, unknown>) } : {};
  map[head] = setPath(map[head], rest, value);
  return map;
}

/** Parses and validates a configuration; `env` may override keys (applyEnvOverrides). */
export function parseConfig(yamlText: string, env: Readonly<Record<string, string | undefined>> = {}): ConfigResult {
  const doc = parseDocument(yamlText, { prettyErrors: true, uniqueKeys: true });
  if (doc.errors.length > 0) return { ok: false, errors: doc.errors.map((e) => ({ path: '', message: yamlErrorMessage(e) })) };
  let raw: unknown;
  try {
    raw = doc.toJS({ maxAliasCount: 100 });
  } catch (e) {
    // Unresolved aliases and alias bombs surface only here.
    return { ok: false, errors: [{ path: '', message: `YAML error: ${e instanceof Error ? e.message : String(e)}` }] };
  }
  const errors: ConfigError[] = [];
  raw = applyEnvOverrides(raw, env, errors);
  if (errors.length > 0) return { ok: false, errors };
  const value = validate(CONFIG_SCHEMA, raw ?? {}, '', errors);
  if (errors.length > 0 || value === undefined) return { ok: false, errors };
  return { ok: true, value: value as AuthenticatorConfig };
}

/** Reads and parses a configuration file with the environment's overrides; a read failure is one error with path "". */
export function loadConfigFile(path: string, env: Readonly<Record<string, string | undefined>> = process.env): ConfigResult {
  let text: string;
  try {
    text = readFileSync(path, 'utf8');
  } catch (e) {
    const code = (e as NodeJS.ErrnoException).code;
    return { ok: false, errors: [{ path: '', message: `cannot read file${code === undefined ? '' : ` (${code})`}: ${e instanceof Error ? e.message : String(e)}` }] };
  }
  return parseConfig(text, env);
}

/** One line per error, "<source>: <path>: <message>" (the path part is left out when empty). */
export function formatConfigErrors(errors: ConfigError[], source: string): string {
  return errors
    .map((e) => `${source}: ${e.path === '' ? '' : `${e.path}: `}${e.message.replace(/\s*\n\s*/g, ' ')}`)
    .join('\n');
}

/** The configuration with every default applied and the given networks. */
export function defaultConfig(networks: NetworkConfig[]): AuthenticatorConfig {
  return { ...(defaultOf(CONFIG_SCHEMA) as AuthenticatorConfig), networks };
}

/** Every YAML key path of the schema, lists written as "[]" (e.g. "networks[].station_psks[].sta"). */
export function configKeyPaths(): string[] {
  const out: string[] = [];
  const walk = (rule: Rule, path: string): void => {
    if (rule.type === 'map') {
      for (const [key, sub] of Object.entries(rule.fields)) {
        const at = path === '' ? key : `${path}.${key}`;
        out.push(at);
        walk(sub, at);
      }
    } else if (rule.type === 'list') {
      walk(rule.item, `${path}[]`);
    }
  };
  walk(CONFIG_SCHEMA, '');
  return out;
}
