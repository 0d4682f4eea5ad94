import { test } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync, writeFileSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { configKeyPaths, defaultConfig, formatConfigErrors, loadConfigFile, parseConfig, type ConfigError } from './config.js';

const EXAMPLE_PATH = new URL('../config/example.yaml', import.meta.url);

const MINIMAL = `
networks:
  - ssid: home
    akms: [psk]
    passphrases: ["password"]
`;

void test('minimal file gets every default', () => {
  const r = parseConfig(MINIMAL);
  assert.ok(r.ok, JSON.stringify(r));
  assert.deepEqual(r.value, {
    grpc: { listen: '0.0.0.0:50051', plaintext: false, tls: { cert: '/etc/airlock/pki/authenticator.pem', key: '/etc/airlock/pki/authenticator.key', ca: '/etc/airlock/pki/ca.pem', agentCa: '/etc/airlock/pki/ca-agent.pem' }, keepaliveTimeMs: 20000, keepaliveTimeoutMs: 10000, maxMessageBytes: 65536, tlsHandshakeTimeoutS: 10, maxPendingHandshakes: 1024, maxPendingHandshakesPerSource: 64, maxConnections: 0, fdHeadroom: 256 },
    agents: { bssPolicy: 'first-claim', bssAssignments: [], reconnectGraceS: 30, maxBssesPerHello: 64, maxBssesPerAgent: 256, maxClaims: 65536, claimExpiryS: 86400 },
    admin: { socket: '/run/airlock/admin.sock', socketMode: '0660', socketGroup: '', listen: '', plaintext: false, operators: ['operator'], tls: { cert: '/etc/airlock/pki/authenticator.pem', key: '/etc/airlock/pki/authenticator.key', ca: '/etc/airlock/pki/ca.pem', operatorCa: '/etc/airlock/pki/ca-operator.pem' } },
    cluster: { workers: 1 },
    redis: { url: '', password: '', keyPrefix: 'airlock:', kek: '', kekPrevious: '', leaseMs: 10_000, commandTimeoutMs: 1000, connectTimeoutMs: 3000 },
    http: { listen: '0.0.0.0:9464', maxConnections: 64 },
    log: { level: 'info', format: 'json' },
    eapol: { pairwiseUpdateCount: 4, groupUpdateCount: 4, firstTimeoutMs: 100, firstTimeoutNoTxStatusMs: 1000, subsequentTimeoutMs: 1000, groupTimeoutMs: 500, maxFrameBytes: 4096 },
    limits: { agentSendQueue: 4096, agentReceiveQueue: 1024, agentMessagesPerS: 2000, agentMessageBurst: 20000, maxStationsPerBss: 2048, maxStationsPerAgent: 16384, maxPendingStationsPerBss: 256, macBackoffAfterFailures: 3, macBackoffInitialS: 2, macBackoffMaxS: 60, eapolPerStationPerS: 20, eapolBurstPerStation: 40, maxHandshakesInFlight: 1024 },
    radius: { servers: [], timeoutMs: 1000, maxRetransmits: 2, deadAfterMs: 5000, probeIntervalMs: 5000, nasIdentifier: 'airlock', nasIpAddress: '', accounting: true, interimIntervalS: 600, maxInFlight: 1024 },
    das: { listen: '', clients: [], timeWindowS: 300, requireEventTimestamp: true },
    eap: { retransmitMs: 3000, maxTransmissions: 4, quietPeriodS: 60, pmksaLifetimeS: 43200 },
    networks: [{ ssid: 'home', akms: ['psk'], passphrases: ['password'], stationPsks: [], groupRekeyS: 3600, rekeyGtkOnLeave: false, pskSource: 'config', sae: { pwe: 'both', passwords: [], antiCloggingThreshold: 5 } }],
  });
});

void test('defaultConfig equals the parsed minimal file', () => {
  const r = parseConfig(MINIMAL);
  assert.ok(r.ok);
  assert.deepEqual(defaultConfig(r.value.networks), r.value);
});

void test('defaultConfig returns fresh objects each call', () => {
  const a = defaultConfig([]);
  a.grpc.listen = 'changed:1';
  assert.equal(defaultConfig([]).grpc.listen, '0.0.0.0:50051');
});

void test('every key is read: snake_case in YAML, camelCase out; MACs normalised', () => {
  const r = parseConfig(`
grpc: { listen: "127.0.0.1:0", plaintext: false, tls: { cert: /pki/a.pem, key: /pki/a.key, ca: /pki/ca.pem, agent_ca: /pki/ca-agent.pem }, keepalive_time_ms: 30000, keepalive_timeout_ms: 5000, max_message_bytes: 131072, tls_handshake_timeout_s: 7, max_pending_handshakes: 100, max_pending_handshakes_per_source: 10, max_connections: 500, fd_headroom: 64 }
admin: { socket: /run/x/admin.sock, socket_mode: "0640", socket_group: netadmin, listen: "[::1]:5052", operators: [alice], tls: { cert: /pki/b.pem, key: /pki/b.key, ca: /pki/ca.pem, operator_ca: /pki/ca-operator.pem } }
agents: { bss_policy: configured, bss_assignments: [{ agent: ap-7, bssids: ["02-00-00-00-07-0A", "020000000709"] }], reconnect_grace_s: 5, max_bsses_per_hello: 3, max_bsses_per_agent: 4, max_claims: 5, claim_expiry_s: 6 }
http: { listen: "[::1]:0", max_connections: 32 }
log: { level: debug }
eapol: { pairwise_update_count: 3, group_update_count: 2, first_timeout_ms: 50, first_timeout_no_tx_status_ms: 900, subsequent_timeout_ms: 800, group_timeout_ms: 400, max_frame_bytes: 2048 }
limits: { agent_send_queue: 100, agent_messages_per_s: 300, agent_message_burst: 600, max_stations_per_bss: 10, max_stations_per_agent: 20, max_pending_stations_per_bss: 8, mac_backoff_after_failures: 2, mac_backoff_initial_s: 3, mac_backoff_max_s: 30, eapol_per_station_per_s: 5, eapol_burst_per_station: 7, max_handshakes_in_flight: 9 }
radius:
  servers: [{ name: primary, host: 192.0.2.10, auth_port: 11812, acct_port: 11813, secret: "radius secret" }, { name: radsec, host: radius.example, transport: tls, tls_port: 12083, tls: { ca: /pki/ca.pem, cert: /pki/c.pem, key: /pki/c.key, server_name: radius-server } }]
  timeout_ms: 500
  max_retransmits: 3
  dead_after_ms: 2000
  probe_interval_ms: 1000
  nas_identifier: ap-hall
  nas_ip_address: 192.0.2.1
  accounting: false
  interim_interval_s: 300
  max_in_flight: 16
eap: { retransmit_ms: 1500, max_transmissions: 3, quiet_period_s: 5, pmksa_lifetime_s: 3600 }
das: { listen: "127.0.0.1:13799", clients: [{ name: pf, address: "::1", secret: "das secret" }], time_window_s: 60, require_event_timestamp: false }
networks:
  - ssid: "café"
    akms: [psk-sha256, 8021x]
    passphrases: ["${'ab'.repeat(32)}"]
    station_psks: [{ sta: "02-AA-BB-CC-DD-EE", passphrase: "stationpass" }]
    group_rekey_s: 0
    rekey_gtk_on_leave: true
    psk_source: config
`);
  assert.ok(r.ok, JSON.stringify(r));
  assert.deepEqual(r.value.grpc, { listen: '127.0.0.1:0', plaintext: false, tls: { cert: '/pki/a.pem', key: '/pki/a.key', ca: '/pki/ca.pem', agentCa: '/pki/ca-agent.pem' }, keepaliveTimeMs: 30000, keepaliveTimeoutMs: 5000, maxMessageBytes: 131072, tlsHandshakeTimeoutS: 7, maxPendingHandshakes: 100, maxPendingHandshakesPerSource: 10, maxConnections: 500, fdHeadroom: 64 });
  assert.deepEqual(r.value.admin, { socket: '/run/x/admin.sock', socketMode: '0640', socketGroup: 'netadmin', listen: '[::1]:5052', plaintext: false, operators: ['alice'], tls: { cert: '/pki/b.pem', key: '/pki/b.key', ca: '/pki/ca.pem', operatorCa: '/pki/ca-operator.pem' } });
  assert.equal(r.value.http.listen, '[::1]:0');
  assert.equal(r.value.http.maxConnections, 32);
  assert.equal(r.value.log.level, 'debug');
  assert.deepEqual(r.value.eapol, { pairwiseUpdateCount: 3, groupUpdateCount: 2, firstTimeoutMs: 50, firstTimeoutNoTxStatusMs: 900, subsequentTimeoutMs: 800, groupTimeoutMs: 400, maxFrameBytes: 2048 });
  assert.deepEqual(r.value.agents, { bssPolicy: 'configured', bssAssignments: [{ agent: 'ap-7', bssids: ['02:00:00:00:07:0a', '02:00:00:00:07:09'] }], reconnectGraceS: 5, maxBssesPerHello: 3, maxBssesPerAgent: 4, maxClaims: 5, claimExpiryS: 6 });
  assert.deepEqual(r.value.limits, { agentSendQueue: 100, agentReceiveQueue: 1024, agentMessagesPerS: 300, agentMessageBurst: 600, maxStationsPerBss: 10, maxStationsPerAgent: 20, maxPendingStationsPerBss: 8, macBackoffAfterFailures: 2, macBackoffInitialS: 3, macBackoffMaxS: 30, eapolPerStationPerS: 5, eapolBurstPerStation: 7, maxHandshakesInFlight: 9 });
  assert.deepEqual(r.value.radius, {
    servers: [
      { name: 'primary', host: '192.0.2.10', transport: 'udp', authPort: 11812, acctPort: 11813, tlsPort: 2083, secret: 'radius secret', tls: { ca: '', cert: '', key: '', serverName: '' } },
      { name: 'radsec', host: 'radius.example', transport: 'tls', authPort: 1812, acctPort: 1813, tlsPort: 12083, secret: '', tls: { ca: '/pki/ca.pem', cert: '/pki/c.pem', key: '/pki/c.key', serverName: 'radius-server' } },
    ],
    timeoutMs: 500, maxRetransmits: 3, deadAfterMs: 2000, probeIntervalMs: 1000, nasIdentifier: 'ap-hall', nasIpAddress: '192.0.2.1', accounting: false, interimIntervalS: 300, maxInFlight: 16,
  });
  assert.deepEqual(r.value.eap, { retransmitMs: 1500, maxTransmissions: 3, quietPeriodS: 5, pmksaLifetimeS: 3600 });
  assert.deepEqual(r.value.das, { listen: '127.0.0.1:13799', clients: [{ name: 'pf', address: '::1', secret: 'das secret' }], timeWindowS: 60, requireEventTimestamp: false });
  assert.deepEqual(r.value.networks[0], {
    ssid: 'café', akms: ['psk-sha256', '8021x'], passphrases: ['ab'.repeat(32)],
    stationPsks: [{ sta: '02:aa:bb:cc:dd:ee', passphrase: 'stationpass' }], groupRekeyS: 0, rekeyGtkOnLeave: true, pskSource: 'config', sae: { pwe: 'both', passwords: [], antiCloggingThreshold: 5 },
  });
});

void test('empty mappings ("grpc:") take the defaults', () => {
  const r = parseConfig(`grpc:\nlog:\n${MINIMAL}`);
  assert.ok(r.ok, JSON.stringify(r));
  assert.equal(r.value.grpc.listen, '0.0.0.0:50051');
});

/** Invalid files: each expects these errors (path exact, message substring), and no others. */
const INVALID: { desc: string; yaml: string; errors: [path: string, message: string][] }[] = [
  { desc: 'empty file', yaml: '', errors: [['networks', 'missing required key; expected a list of at least one network']] },
  { desc: 'top level is a list', yaml: '- a\n- b\n', errors: [['', 'expected a mapping with keys grpc, agents, http, admin, cluster, redis, log, eapol, limits, radius, das, eap, networks, got a list']] },
  { desc: 'passphrase too short', yaml: 'networks: [{ ssid: a, akms: [psk], passphrases: ["password", "abcde"] }]', errors: [['networks[0].passphrases[1]', 'expected 8..63 printable ASCII characters or 64 hex digits, got 5 characters']] },
  { desc: 'passphrase too long', yaml: `networks: [{ ssid: a, akms: [psk], passphrases: ["${'x'.repeat(65)}"] }]`, errors: [['networks[0].passphrases[0]', 'got 65 characters']] },
  { desc: 'passphrase of 64 non-hex characters', yaml: `networks: [{ ssid: a, akms: [psk], passphrases: ["${'g'.repeat(64)}"] }]`, errors: [['networks[0].passphrases[0]', 'got 64 characters that are not all hex digits']] },
  { desc: 'passphrase with a control character', yaml: 'networks: [{ ssid: a, akms: [psk], passphrases: ["pass\\tword"] }]', errors: [['networks[0].passphrases[0]', 'non-printable or non-ASCII']] },
  { desc: 'passphrase written as a number', yaml: 'networks: [{ ssid: a, akms: [psk], passphrases: [12345678] }]', errors: [['networks[0].passphrases[0]', 'expected a passphrase (quote it in YAML), got a number']] },
  { desc: 'unknown key at top level', yaml: `grcp: {}\n${MINIMAL}`, errors: [['grcp', 'unknown key; did you mean "grpc"?; expected one of grpc, agents, http, admin, cluster, redis, log, eapol, limits, radius, das, eap, networks']] },
  { desc: 'unknown nested key', yaml: `eapol: { retries: 3 }\n${MINIMAL}`, errors: [['eapol.retries', 'unknown key; expected one of pairwise_update_count, group_update_count']] },
  { desc: 'camelCase key is unknown', yaml: `grpc: { keepaliveTimeMs: 3 }\n${MINIMAL}`, errors: [['grpc.keepaliveTimeMs', 'unknown key; expected one of listen, plaintext, tls, keepalive_time_ms']] },
  { desc: 'wrong type: string for integer', yaml: `eapol: { first_timeout_ms: "100" }\n${MINIMAL}`, errors: [['eapol.first_timeout_ms', 'expected an integer 10..60000 (ms), got the string "100"']] },
  { desc: 'wrong type: string for boolean', yaml: `grpc: { plaintext: "yes" }\n${MINIMAL}`, errors: [['grpc.plaintext', 'expected true or false, got the string "yes"']] },
  { desc: 'wrong type: scalar for mapping', yaml: `grpc: 5\n${MINIMAL}`, errors: [['grpc', 'expected a mapping with keys listen, plaintext']] },
  { desc: 'wrong type: scalar for list', yaml: 'radius: { servers: [{ name: r1, host: 127.0.0.1, secret: s3cret }] }\nnetworks: [{ ssid: a, akms: psk, passphrases: ["password"] }]', errors: [['networks[0].akms', 'expected a list of at least one of psk, psk-sha256, 8021x, 8021x-sha256, sae, got a string']] },
  { desc: 'fractional integer', yaml: `eapol: { pairwise_update_count: 2.5 }\n${MINIMAL}`, errors: [['eapol.pairwise_update_count', 'expected an integer 1..16, got 2.5']] },
  { desc: 'empty akms', yaml: 'networks: [{ ssid: a, akms: [] }]', errors: [['networks[0].akms', 'expected at least 1 item, got an empty list']] },
  { desc: 'unknown akm', yaml: 'radius: { servers: [{ name: r1, host: 127.0.0.1, secret: s3cret }] }\nnetworks: [{ ssid: a, akms: [owe] }]', errors: [['networks[0].akms[0]', 'expected one of psk, psk-sha256, 8021x, 8021x-sha256, sae, got the string "owe"']] },
  { desc: 'sae without any usable password', yaml: 'networks: [{ ssid: a, akms: [sae], passphrases: ["abababababababababababababababababababababababababababababababab"] }]', errors: [['networks[0].sae.passwords', 'expected at least one SAE password (or a passphrase that is not a raw PSK) because akms include sae']] },
  { desc: 'sae passwords without the sae akm', yaml: 'networks: [{ ssid: a, akms: [psk], passphrases: ["password"], sae: { passwords: [{ password: x }] } }]', errors: [['networks[0].sae.passwords', 'only the sae akm uses SAE passwords']] },
  { desc: 'sae password bound to a bad MAC', yaml: 'networks: [{ ssid: a, akms: [sae], sae: { passwords: [{ password: x, sta: "01:00:00:00:00:01" }] } }]', errors: [['networks[0].sae.passwords[0].sta', 'unicast']] },
  { desc: 'sae pwe unknown', yaml: 'networks: [{ ssid: a, akms: [sae], passphrases: ["password"], sae: { pwe: h2e-only } }]', errors: [['networks[0].sae.pwe', 'expected one of both, h2e, hunting-and-pecking']] },
  { desc: 'duplicate akm', yaml: 'radius: { servers: [{ name: r1, host: 127.0.0.1, secret: s3cret }] }\nnetworks: [{ ssid: a, akms: [8021x, 8021x] }]', errors: [['networks[0].akms[1]', 'duplicate akm "8021x" (already at akms[0])']] },
  { desc: 'duplicate ssid', yaml: 'radius: { servers: [{ name: r1, host: 127.0.0.1, secret: s3cret }] }\nnetworks: [{ ssid: a, akms: [8021x] }, { ssid: b, akms: [8021x] }, { ssid: a, akms: [8021x] }]', errors: [['networks[2].ssid', 'duplicate ssid "a" (already used by networks[0])']] },
  { desc: 'mTLS without files', yaml: `grpc: { tls: { cert: "", key: "", ca: "/pki/ca.pem" } }\n${MINIMAL}`, errors: [['grpc.tls.cert', 'expected a file path: mTLS needs'], ['grpc.tls.key', 'expected a file path: mTLS needs']] },
  { desc: 'configured policy without assignments', yaml: `agents: { bss_policy: configured }\n${MINIMAL}`, errors: [['agents.bss_assignments', 'expected at least one { agent, bssids } entry because bss_policy is configured']] },
  { desc: 'a BSSID assigned twice', yaml: `agents: { bss_assignments: [{ agent: a, bssids: ["02:00:00:00:00:01"] }, { agent: b, bssids: ["02-00-00-00-00-01"] }] }\n${MINIMAL}`, errors: [['agents.bss_assignments[1].bssids[0]', 'BSSID 02:00:00:00:00:01 is already assigned at bss_assignments[0]']] },
  { desc: 'an agent listed twice', yaml: `agents: { bss_assignments: [{ agent: a, bssids: ["02:00:00:00:00:01"] }, { agent: a, bssids: ["02:00:00:00:00:02"] }] }\n${MINIMAL}`, errors: [['agents.bss_assignments[1].agent', 'agent "a" is already listed at bss_assignments[0]']] },
  { desc: 'a bad BSSID', yaml: `agents: { bss_assignments: [{ agent: a, bssids: ["02:00:00:00:00"] }] }\n${MINIMAL}`, errors: [['agents.bss_assignments[0].bssids[0]', 'expected a BSSID like 02:00:00:00:01:00']] },
  { desc: 'no networks', yaml: 'networks: []', errors: [['networks', 'expected at least 1 item, got an empty list']] },
  { desc: 'ssid too long', yaml: `radius: { servers: [{ name: r1, host: 127.0.0.1, secret: s3cret }] }\nnetworks: [{ ssid: "${'é'.repeat(17)}", akms: [8021x] }]`, errors: [['networks[0].ssid', 'expected 1..32 octets of UTF-8, got 34 octets']] },
  { desc: 'empty ssid', yaml: 'radius: { servers: [{ name: r1, host: 127.0.0.1, secret: s3cret }] }\nnetworks: [{ ssid: "", akms: [8021x] }]', errors: [['networks[0].ssid', 'got 0 octets']] },
  { desc: 'missing ssid', yaml: 'radius: { servers: [{ name: r1, host: 127.0.0.1, secret: s3cret }] }\nnetworks: [{ akms: [8021x] }]', errors: [['networks[0].ssid', 'missing required key; expected an SSID of 1..32 octets']] },
  { desc: 'out-of-range number', yaml: `grpc: { keepalive_time_ms: 999 }\n${MINIMAL}`, errors: [['grpc.keepalive_time_ms', 'expected an integer 1000..3600000 (ms), got 999']] },
  { desc: 'negative rekey interval', yaml: 'radius: { servers: [{ name: r1, host: 127.0.0.1, secret: s3cret }] }\nnetworks: [{ ssid: a, akms: [8021x], group_rekey_s: -1 }]', errors: [['networks[0].group_rekey_s', 'expected an integer 0..604800 (seconds; 0 = never), got -1']] },
  { desc: 'bad MAC in station_psks', yaml: 'networks: [{ ssid: a, akms: [psk], station_psks: [{ sta: "02:00:00:00:00", passphrase: "password" }] }]', errors: [['networks[0].station_psks[0].sta', 'expected a MAC address like 02:00:00:00:00:01, got "02:00:00:00:00"']] },
  { desc: 'multicast MAC in station_psks', yaml: 'networks: [{ ssid: a, akms: [psk], station_psks: [{ sta: "01:00:5e:00:00:01", passphrase: "password" }] }]', errors: [['networks[0].station_psks[0].sta', 'expected a unicast MAC address']] },
  { desc: 'mixed MAC separators', yaml: 'networks: [{ ssid: a, akms: [psk], station_psks: [{ sta: "02:00-00:00:00:01", passphrase: "password" }] }]', errors: [['networks[0].station_psks[0].sta', 'expected a MAC address']] },
  { desc: 'station_psks entry without passphrase', yaml: 'networks: [{ ssid: a, akms: [psk], station_psks: [{ sta: "02:00:00:00:00:01" }] }]', errors: [['networks[0].station_psks[0].passphrase', 'missing required key']] },
  { desc: 'psk akm without any PSK', yaml: 'radius: { servers: [{ name: r1, host: 127.0.0.1, secret: s3cret }] }\nnetworks: [{ ssid: a, akms: [8021x, psk] }]', errors: [['networks[0].passphrases', 'expected at least one passphrase (or a station_psks entry, or psk_source: radius) because akms include a psk akm']] },
  { desc: 'udp RADIUS server without a secret', yaml: `radius: { servers: [{ name: r1, host: 127.0.0.1 }] }\n${MINIMAL}`, errors: [['radius.servers[0].secret', 'expected a shared secret (1..128 characters) for a udp server']] },
  { desc: 'RadSec server without its certificates', yaml: `radius: { servers: [{ name: r1, host: 127.0.0.1, transport: tls, tls: { ca: /pki/ca.pem } }] }\n${MINIMAL}`, errors: [['radius.servers[0].tls.cert', 'expected a file path'], ['radius.servers[0].tls.key', 'expected a file path']] },
  { desc: 'das.listen without clients', yaml: `das: { listen: "127.0.0.1:3799" }\n${MINIMAL}`, errors: [['das.clients', 'expected at least one client']] },
  { desc: 'das client listed twice', yaml: `das: { listen: "127.0.0.1:3799", clients: [{ name: a, address: 192.0.2.1, secret: x }, { name: b, address: 192.0.2.1, secret: y }] }\n${MINIMAL}`, errors: [['das.clients[1].address', 'listed twice']] },
  { desc: 'das client address not an IP', yaml: `das: { listen: "127.0.0.1:3799", clients: [{ name: a, address: pf.example, secret: x }] }\n${MINIMAL}`, errors: [['das.clients[0].address', 'expected an IP address']] },
  { desc: 'psk_source radius without a RADIUS server', yaml: 'networks: [{ ssid: a, akms: [psk], psk_source: radius }]', errors: [['radius.servers', 'takes its PSKs from RADIUS (psk_source: radius)']] },
  { desc: 'psk_source radius with station PSKs', yaml: 'radius: { servers: [{ name: r1, host: 127.0.0.1, secret: s3cret }] }\nnetworks: [{ ssid: a, akms: [psk], psk_source: radius, station_psks: [{ sta: "02:00:00:00:00:01", passphrase: "password" }] }]', errors: [['networks[0].station_psks', "each station's PSK comes from RADIUS"]] },
  { desc: 'psk_source radius without a psk akm', yaml: 'radius: { servers: [{ name: r1, host: 127.0.0.1, secret: s3cret }] }\nnetworks: [{ ssid: a, akms: [8021x], psk_source: radius }]', errors: [['networks[0].psk_source', 'only the psk and psk-sha256 akms take a PSK from RADIUS']] },
  { desc: 'passphrases without a psk akm', yaml: 'radius: { servers: [{ name: r1, host: 127.0.0.1, secret: s3cret }] }\nnetworks: [{ ssid: a, akms: [8021x], passphrases: ["password"] }]', errors: [['networks[0].passphrases', 'only the psk, psk-sha256 and sae akms use passphrases']] },
  { desc: 'bad listen address', yaml: `http: { listen: "9464" }\n${MINIMAL}`, errors: [['http.listen', 'expected "host:port" with port 0..65535 (IPv6 host in brackets), got "9464"']] },
  { desc: 'listen port too large', yaml: `grpc: { listen: "0.0.0.0:70000" }\n${MINIMAL}`, errors: [['grpc.listen', 'got "0.0.0.0:70000"']] },
  { desc: 'bad log level', yaml: `log: { level: verbose }\n${MINIMAL}`, errors: [['log.level', 'expected one of fatal, error, warn, info, debug, trace, silent, got the string "verbose"']] },
  { desc: 'admin.plaintext (removed)', yaml: `admin: { plaintext: true, listen: "127.0.0.1:50052" }\n${MINIMAL}`, errors: [['admin.plaintext', 'removed: any local user could reach a plaintext TCP port. Local administration without TLS is the UNIX socket admin.socket']] },
  { desc: 'admin socket mode for others', yaml: `admin: { socket_mode: "0666" }\n${MINIMAL}`, errors: [['admin.socket_mode', '0666 gives others access to the Admin API: use admin.socket_group']] },
  { desc: 'admin socket mode as a YAML number', yaml: `admin: { socket_mode: 0660 }\n${MINIMAL}`, errors: [['admin.socket_mode', 'expected octal permission bits such as "0660" (quote it in YAML), got 660']] },
  { desc: 'admin socket mode not octal', yaml: `admin: { socket_mode: "0690" }\n${MINIMAL}`, errors: [['admin.socket_mode', 'expected octal permission bits such as "0660"']] },
  { desc: 'relative admin socket', yaml: `admin: { socket: run/admin.sock }\n${MINIMAL}`, errors: [['admin.socket', 'expected an absolute path or ""']] },
  { desc: 'admin socket path too long', yaml: `admin: { socket: "/${'d'.repeat(110)}" }\n${MINIMAL}`, errors: [['admin.socket', 'expected a path of at most 107 bytes (a UNIX socket address), got 111']] },
  { desc: 'bad admin socket group', yaml: `admin: { socket_group: "net admin" }\n${MINIMAL}`, errors: [['admin.socket_group', 'expected a group name or number']] },
  { desc: 'no admin socket and no admin listen', yaml: `admin: { socket: "", listen: "" }\n${MINIMAL}`, errors: [['admin', 'expected admin.socket or admin.listen']] },
  { desc: 'message size below frame size', yaml: `grpc: { max_message_bytes: 4096 }\n${MINIMAL}`, errors: [['grpc.max_message_bytes', 'expected at least eapol.max_frame_bytes + 256 = 4352']] },
  { desc: 'YAML syntax error', yaml: 'networks:\n  - ssid: a\n   akms: [psk]\n', errors: [['', 'YAML syntax error at line 3, column 1: Sequence item without - indicator (MISSING_CHAR)']] },
  { desc: 'YAML tab indentation', yaml: 'log:\n\tlevel: info\n', errors: [['', 'YAML syntax error at line 2, column 1: Tabs are not allowed as indentation']] },
  { desc: 'YAML duplicate key', yaml: `log: { level: info }\nlog: { level: debug }\n${MINIMAL}`, errors: [['', 'YAML syntax error at line 2, column 1: Map keys must be unique (DUPLICATE_KEY)']] },
  { desc: 'YAML unresolved alias', yaml: `log: *nope\n${MINIMAL}`, errors: [['', 'YAML error: Unresolved alias']] },
  {
    desc: 'several errors at once are reported together',
    yaml: `
grpc: { listen: nowhere, keepalive_time_ms: 0 }
loggin: {}
networks:
  - ssid: a
    akms: []
  - ssid: a
    akms: [psk]
    passphrases: ["short"]
    station_psks: [{ sta: zz, passphrase: "password" }]
`,
    errors: [
      ['grpc.listen', 'expected "host:port"'],
      ['grpc.keepalive_time_ms', 'got 0'],
      ['loggin', 'unknown key; did you mean "log"?'],
      ['networks[0].akms', 'expected at least 1 item'],
      ['networks[1].passphrases[0]', 'got 5 characters'],
      ['networks[1].station_psks[0].sta', 'expected a MAC address'],
      ['networks[1].ssid', 'duplicate ssid "a" (already used by networks[0])'],
    ],
  },
];

for (const c of INVALID) {
  void test(`invalid: ${c.desc}`, () => {
    const r = parseConfig(c.yaml);
    assert.equal(r.ok, false, 'expected the file to be rejected');
    if (r.ok) return;
    const describeErrors = (errs: ConfigError[]): string => errs.map((e) => `${e.path}: ${e.message}`).join('\n');
    assert.equal(r.errors.length, c.errors.length, `got:\n${describeErrors(r.errors)}`);
    for (const [path, message] of c.errors) {
      assert.ok(
        r.errors.some((e) => e.path === path && e.message.includes(message)),
        `expected ${JSON.stringify(path)}: ...${message}...\ngot:\n${describeErrors(r.errors)}`,
      );
    }
  });
}

void test('error messages never contain a secret value', () => {
  const secrets = ['s3cr3t!', 'x'.repeat(70), 'hunter2hunter2\u0001', '12345', '9876543210987'];
  const yaml = `radius: { servers: [{ name: r1, host: 127.0.0.1, secret: "${secrets[2]}" }] }
networks:
  - ssid: a
    akms: [psk]
    passphrases: ["${secrets[0]}", "${secrets[1]}", "hunter2hunter2\\u0001", ${secrets[3]}]
    station_psks: [{ sta: "02:00:00:00:00:01", passphrase: ${secrets[4]} }]
  - ssid: b
    akms: [8021x]
    passphrases: "${secrets[0]}"
`;
  const r = parseConfig(yaml);
  assert.ok(!r.ok);
  const text = formatConfigErrors(r.errors, 'cfg.yaml');
  for (const s of secrets) assert.ok(!text.includes(s), `secret ${JSON.stringify(s)} leaked:\n${text}`);
  assert.equal(r.errors.length, 6, text);
});

void test('YAML syntax errors do not quote source text', () => {
  const r = parseConfig('networks:\n  - passphrases: [topsecretvalue\n  b: "c\n');
  assert.ok(!r.ok);
  const text = formatConfigErrors(r.errors, 'x');
  assert.ok(!text.includes('topsecretvalue'), text);
  for (const e of r.errors) assert.equal(e.path, '');
});

void test('formatConfigErrors: one line per error, source then path then message', () => {
  const text = formatConfigErrors([
    { path: 'networks[0].ssid', message: 'expected 1..32 octets of UTF-8, got 0 octets' },
    { path: '', message: 'YAML syntax error at line 1, column 2: x\ny' },
  ], '/etc/airlock.yaml');
  assert.equal(text, '/etc/airlock.yaml: networks[0].ssid: expected 1..32 octets of UTF-8, got 0 octets\n/etc/airlock.yaml: YAML syntax error at line 1, column 2: x y');
});

void test('loadConfigFile reads a file; a missing file is one error with path ""', () => {
  const dir = mkdtempSync(join(tmpdir(), 'airlock-config-'));
  try {
    const file = join(dir, 'a.yaml');
    writeFileSync(file, MINIMAL);
    const r = loadConfigFile(file);
    assert.ok(r.ok);
    const missing = loadConfigFile(join(dir, 'missing.yaml'));
    assert.ok(!missing.ok);
    assert.equal(missing.errors.length, 1);
    assert.equal(missing.errors[0].path, '');
    assert.match(missing.errors[0].message, /cannot read file \(ENOENT\)/);
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});

void test('config/example.yaml parses and sets three networks', () => {
  const r = loadConfigFile(EXAMPLE_PATH.pathname);
  assert.ok(r.ok, r.ok ? '' : formatConfigErrors(r.errors, 'example.yaml'));
  assert.deepEqual(r.value.networks.map((n) => n.ssid), ['airlock-psk', 'airlock-wpa3', 'airlock-corp']);
  assert.deepEqual(r.value.networks[1].sae, { pwe: 'both', passwords: [{ password: 'guest password', identifier: 'guest', sta: '', vlan: 30 }], antiCloggingThreshold: 5 });
  // Apart from networks, the example RADIUS server, DAS client and BSS assignment, the example shows the defaults.
  assert.deepEqual(r.value.radius.servers, [{ name: 'primary', host: '127.0.0.1', transport: 'udp', authPort: 1812, acctPort: 1813, tlsPort: 2083, secret: 'testing123', tls: { ca: '', cert: '', key: '', serverName: '' } }]);
  assert.deepEqual(r.value.agents.bssAssignments, [{ agent: 'ap-1', bssids: ['02:00:00:00:01:00', '02:00:00:00:01:01'] }]);
  assert.deepEqual(r.value.das.clients, [{ name: 'packetfence', address: '192.0.2.20', secret: 'das shared secret' }]);
  assert.deepEqual({ ...r.value, networks: [], radius: { ...r.value.radius, servers: [] }, agents: { ...r.value.agents, bssAssignments: [] }, das: { ...r.value.das, clients: [] } }, defaultConfig([]));
});

void test('config/example.yaml documents every key of the schema', () => {
  const text = readFileSync(EXAMPLE_PATH, 'utf8');
  const paths = configKeyPaths();
  assert.ok(paths.includes('networks[].station_psks[].sta'));
  assert.ok(paths.includes('eapol.first_timeout_no_tx_status_ms'));
  for (const p of paths) {
    const leaf = p.split('.').pop()!.replace('[]', '');
    assert.match(text, new RegExp(`^\\s*(- )?${leaf}:`, 'm'), `example.yaml lacks ${p}`);
  }
});

void test('environment overrides: AIRLOCK__<KEY>__<KEY> sets a key of the file, typed by the schema', () => {
  const r = parseConfig(MINIMAL, {
    AIRLOCK__GRPC__LISTEN: '0.0.0.0:6000',
    AIRLOCK__CLUSTER__WORKERS: '2',
    AIRLOCK__REDIS__URL: 'redis://redis:6379',
    AIRLOCK__REDIS__KEK: 'ab'.repeat(32),
    AIRLOCK__GRPC__PLAINTEXT: 'true',
    AIRLOCK__RADIUS__SERVERS__0__NAME: 'fr',
    AIRLOCK__RADIUS__SERVERS__0__HOST: 'freeradius',
    AIRLOCK__RADIUS__SERVERS__0__SECRET: '12345 # not a comment',
    AIRLOCK__NETWORKS__0__AKMS: '[psk, psk-sha256]',
    PATH: '/usr/bin',
  });
  assert.ok(r.ok, r.ok ? '' : formatConfigErrors(r.errors, 'env'));
  assert.equal(r.value.grpc.listen, '0.0.0.0:6000');
  assert.equal(r.value.cluster.workers, 2);
  assert.equal(r.value.grpc.plaintext, true);
  assert.deepEqual(r.value.radius.servers, [{ name: 'fr', host: 'freeradius', transport: 'udp', authPort: 1812, acctPort: 1813, tlsPort: 2083, secret: '12345 # not a comment', tls: { ca: '', cert: '', key: '', serverName: '' } }]);
  assert.deepEqual(r.value.networks[0].akms, ['psk', 'psk-sha256']);
});

void test('environment overrides: NAME_FILE takes a string key from a file, the way container secrets arrive', () => {
  const dir = mkdtempSync(join(tmpdir(), 'airlock-env-file-'));
  try {
    const secret = join(dir, 'radius_secret');
    writeFileSync(secret, 'S3cret-in-a-file # not a comment\n');
    const psk = join(dir, 'psk');
    writeFileSync(psk, 'a passphrase in a file\r\n');
    const r = parseConfig(MINIMAL, {
      AIRLOCK__RADIUS__SERVERS__0__NAME: 'fr',
      AIRLOCK__RADIUS__SERVERS__0__HOST: 'freeradius',
      AIRLOCK__RADIUS__SERVERS__0__SECRET_FILE: secret,
      AIRLOCK__NETWORKS__0__PASSPHRASES__0_FILE: psk,
    });
    assert.ok(r.ok, r.ok ? '' : formatConfigErrors(r.errors, 'env'));
    assert.equal(r.value.radius.servers[0].secret, 'S3cret-in-a-file # not a comment', 'one trailing newline is dropped');
    assert.equal(r.value.networks[0].passphrases[0], 'a passphrase in a file');

    const missing = parseConfig(MINIMAL, { AIRLOCK__RADIUS__SERVERS__0__SECRET_FILE: join(dir, 'absent') });
    assert.ok(!missing.ok);
    assert.match(missing.errors[0].message, /AIRLOCK__RADIUS__SERVERS__0__SECRET_FILE: cannot read .*absent \(ENOENT\)/);
    const both = parseConfig(MINIMAL, { AIRLOCK__RADIUS__SERVERS__0__SECRET_FILE: secret, AIRLOCK__RADIUS__SERVERS__0__SECRET: 'x' });
    assert.ok(!both.ok);
    assert.match(both.errors[0].message, /both set "radius.servers.0.secret": keep one/);
    const notString = parseConfig(MINIMAL, { AIRLOCK__CLUSTER__WORKERS_FILE: secret });
    assert.ok(!notString.ok);
    assert.match(notString.errors[0].message, /"cluster.workers" is not a string key/);
    for (const e of [...missing.errors, ...both.errors, ...notString.errors]) assert.doesNotMatch(e.message, /S3cret/, 'an error never quotes the secret');
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});

void test('the shared store: workers need redis.url, a url needs a KEK of 64 hex digits, and the previous KEK differs', () => {
  const errors = (yaml: string): string[] => {
    const r = parseConfig(`${yaml}\n${MINIMAL}`);
    return r.ok ? [] : r.errors.map((e) => `${e.path}: ${e.message}`);
  };
  assert.match(errors('cluster: { workers: 2 }').join('\n'), /^cluster\.workers: expected 1 without redis\.url/m);
  assert.match(errors('redis: { url: "redis://10.0.0.5:6379" }').join('\n'), /^redis\.kek: expected 64 hex digits because redis\.url is set/m);
  assert.match(errors('redis: { url: "http://x" , kek: "' + 'ab'.repeat(32) + '" }').join('\n'), /^redis\.url: expected a redis:\/\/ or rediss:\/\/ URL/m);
  assert.match(errors('redis: { kek: "abc" }').join('\n'), /^redis\.kek: expected 64 hex digits \(32 octets\), got 3 characters/m);
  assert.match(errors(`redis: { url: "redis://r", kek: "${'ab'.repeat(32)}", kek_previous: "${'ab'.repeat(32)}" }`).join('\n'), /^redis\.kek_previous: expected a KEK other than redis\.kek/m);
  assert.deepEqual(errors(`cluster: { workers: 2 }\nredis: { url: "rediss://user@r:6380/1", kek: "${'ab'.repeat(32)}" }`), []);
});

void test('environment overrides: an unknown key or a bad value is an error naming the variable or the key', () => {
  const unknown = parseConfig(MINIMAL, { AIRLOCK__GRPC__LISTN: 'x' });
  assert.ok(!unknown.ok);
  assert.match(unknown.errors[0].message, /environment variable AIRLOCK__GRPC__LISTN: no configuration key "grpc.listn"/);
  const bad = parseConfig(MINIMAL, { AIRLOCK__CLUSTER__WORKERS: 'many' });
  assert.ok(!bad.ok);
  assert.equal(bad.errors[0].path, 'cluster.workers');
});
