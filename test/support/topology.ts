/**
 * Test topology on loopback: a real authenticator (gRPC + HTTP on 127.0.0.1:0) and sim
 * agents connected over real gRPC, in this process. Everything is torn down by `close()`.
 */
import pino, { type Logger } from 'pino';
import { defaultConfig, parsePrometheusText, startAuthenticator, type AuthenticatorConfig, type NetworkConfig, type RunningAuthenticator } from '@airlock/authenticator';
import { EdgeAgent, SimDriver, simBsses, simStations, type SimBehaviour, type SimDriverOptions, type SimStationSpec } from '@airlock/edge-agent';
import { adminTls, agentCredentials, serverTls } from './test-pki.js';

/** The demo network used by tests. */
export const TEST_SSID = 'airlock-test';
export const TEST_PASSPHRASE = 'test passphrase 123';

/** A PSK network with the given passphrases. */
export function pskNetwork(over: Partial<NetworkConfig> = {}): NetworkConfig {
  return { ssid: TEST_SSID, akms: ['psk'], passphrases: [TEST_PASSPHRASE], stationPsks: [], groupRekeyS: 0, rekeyGtkOnLeave: false, ...over };
}

/** An authenticator config on ephemeral loopback ports, with mTLS from the test PKI. */
export function testConfig(networks: NetworkConfig[] = [pskNetwork()], tweak?: (c: AuthenticatorConfig) => void): AuthenticatorConfig {
  const c = defaultConfig(networks);
  c.grpc.listen = '127.0.0.1:0';
  c.grpc.tls = serverTls();
  c.http.listen = '127.0.0.1:0';
  // The Admin API over TCP with mTLS (the test PKI's operator certificate); no local socket:
  // tests run in parallel, and the default path is one for the whole machine.
  c.admin.socket = '';
  c.admin.listen = '127.0.0.1:0';
  c.admin.tls = adminTls();
  c.log.level = 'silent';
  tweak?.(c);
  return c;
}

/** A running authenticator plus agents. */
export interface Topology {
  auth: RunningAuthenticator;
  agents: EdgeAgent[];
  drivers: SimDriver[];
  /** Fetches and parses /metrics. */
  metrics(): Promise<Map<string, number>>;
  close(): Promise<void>;
}

/** Starts an authenticator. */
export async function startTestAuthenticator(config = testConfig(), logger = pino({ level: 'silent' })): Promise<RunningAuthenticator> {
  return startAuthenticator({ config, logger });
}

/** Starts `n` sim agents with `stations` each against `auth`. */
export async function startSimAgents(
  auth: RunningAuthenticator,
  n: number,
  stations: number,
  over: (i: number) => Partial<SimDriverOptions> = () => ({}),
  o: { first?: number; logger?: Logger } = {},
): Promise<{ agents: EdgeAgent[]; drivers: SimDriver[] }> {
  const agents: EdgeAgent[] = [];
  const drivers: SimDriver[] = [];
  const first = o.first ?? 1;
  for (let i = first; i < first + n; i++) {
    const t = { agentNumber: i, bsses: 2, stations, ssid: TEST_SSID, passphrase: TEST_PASSPHRASE };
    const driver = new SimDriver({ bsses: simBsses(t), stations: simStations(t), behaviour: { joinSpreadMs: 200 }, seed: i, ...over(i) });
    const agentId = `ap-${i}`;
    const agent = new EdgeAgent({ agentId, target: `127.0.0.1:${auth.grpcPort}`, driver, logger: o.logger ?? pino({ level: 'silent' }), credentials: agentCredentials(agentId) });
    agents.push(agent);
    drivers.push(driver);
  }
  await Promise.all(agents.map((a) => a.start()));
  return { agents, drivers };
}

/** One sim agent ('ap-1', mTLS) with one BSS and the given stations, started against `auth`. */
export async function startOneBssAgent(auth: RunningAuthenticator, o: { bssid: Buffer; ssid: string; stations: SimStationSpec[]; behaviour?: Partial<SimBehaviour>; seed?: number }): Promise<{ agent: EdgeAgent; driver: SimDriver }> {
  const driver = new SimDriver({ bsses: [{ bssid: o.bssid, ssid: o.ssid }], stations: o.stations, behaviour: { joinSpreadMs: 100, ...o.behaviour }, seed: o.seed ?? 1 });
  const agent = new EdgeAgent({ agentId: 'ap-1', target: `127.0.0.1:${auth.grpcPort}`, driver, logger: pino({ level: 'silent' }), credentials: agentCredentials('ap-1') });
  await agent.start();
  return { agent, driver };
}

/** Fetches /metrics of a running authenticator. */
export async function fetchMetrics(auth: RunningAuthenticator): Promise<Map<string, number>> {
  const res = await fetch(`http://127.0.0.1:${auth.httpPort}/metrics`);
  return parsePrometheusText(await res.text());
}

/** Polls `cond` every 20 ms until it holds or `ms` pass; returns whether it held. */
export async function waitFor(cond: () => boolean | Promise<boolean>, ms: number): Promise<boolean> {
  const end = Date.now() + ms;
  while (Date.now() < end) {
    if (await cond()) return true;
    await new Promise((r) => setTimeout(r, 20));
  }
  return cond();
}
