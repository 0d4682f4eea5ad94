#!/usr/bin/env node
/**
 * airlock-agent with the sim driver (a virtual radio; see drivers/sim).
 *   node main.js --agent-id ap-1 --agent-number 1 [--authenticator 127.0.0.1:50051]
 *     [--bsses 2] [--stations 20] [--ssid airlock-demo] [--passphrase ...] [--akm psk|sae|psk+sae] [--churn]
 *     [--loss 0] [--delay-ms 0-2] [--duplicate 0] [--reorder 0] [--seed N] [--log-level info]
 *     [--eap ttls-pap --eap-user NAME --eap-password PW --eap-ca FILE [--eap-server-name radius-server]]
 *     [--health-file PATH]  (exists, fresh, while the agent holds a stream: health-file.ts)
 *     (--pki-dir DIR | --tls-ca F --tls-cert F --tls-key F [--tls-server-name N] | --plaintext)
 * With --eap the BSSes are WPA2-Enterprise (AKM 802.1X) and every station authenticates
 * with EAP-TTLS/PAP as that user (the password also from AIRLOCK_SIM_EAP_PASSWORD or the
 * file AIRLOCK_SIM_EAP_PASSWORD_FILE names; the passphrase likewise AIRLOCK_SIM_PASSPHRASE[_FILE]),
 * checking the RADIUS server's certificate against --eap-ca and --eap-server-name.
 * --akm sae: WPA3-Personal BSSes (SAE with H2E, PMF required), every station runs SAE with
 * the passphrase as its password; psk+sae: transition mode (PMF capable), every second
 * station is a WPA3 station, the others WPA2-PSK.
 * The passphrase is checked before anything starts (IEEE 802.11-2020 §J.4.1: 8..63
 * printable ASCII characters, or 64 hex digits), and the authenticator is awaited before
 * the radio starts (driver-cli.ts awaitAuthenticator).
 */
import { readFileSync } from 'node:fs';
import { AKM, passphraseProblem } from '@airlock/rsn';
import { agentTargets, awaitAuthenticator, exitUnlessAgentLink, loggerOrFail, targetOrFail } from './driver-cli.js';
import { EdgeAgent } from './agent.js';
import { parseAgentArgs } from './cli-args.js';
import { keepHealthFile } from './health-file.js';
import { SimDriver, type SimBssSpec } from './drivers/sim/sim-driver.js';
import { simBsses, simStations } from './sim-topology.js';
import { LINK_CLI_OPTIONS, linkSecurity, type AgentLinkSecurity } from './link-credentials.js';
import { secretFromEnv } from './secret-env.js';

/** One line on stderr and exit 2 (a usage error). */
function usageFail(text: string, code = 2): never {
  console.error(`airlock-agent: ${text}`);
  process.exit(code);
}

/** A secret from NAME or NAME_FILE (container secrets); an unreadable file is a usage error. */
function envSecret(name: string): string | undefined {
  try {
    return secretFromEnv(name);
  } catch (e) {
    return usageFail(e instanceof Error ? e.message : String(e));
  }
}

const v = parseAgentArgs(
  {
    'agent-id': { type: 'string' },
    'agent-number': { type: 'string', default: '1' },
    authenticator: { type: 'string', default: '127.0.0.1:50051' },
    driver: { type: 'string', default: 'sim' },
    bsses: { type: 'string', default: '2' },
    stations: { type: 'string', default: '20' },
    ssid: { type: 'string', default: 'airlock-demo' },
    passphrase: { type: 'string', default: envSecret('AIRLOCK_SIM_PASSPHRASE') ?? 'correct horse battery staple' },
    akm: { type: 'string', default: 'psk' },
    churn: { type: 'boolean', default: false },
    loss: { type: 'string', default: '0' },
    'delay-ms': { type: 'string', default: '0-2' },
    duplicate: { type: 'string', default: '0' },
    reorder: { type: 'string', default: '0' },
    seed: { type: 'string' },
    'log-level': { type: 'string', default: 'info' },
    'log-format': { type: 'string', default: 'json' },
    eap: { type: 'string' },
    'eap-user': { type: 'string' },
    'eap-password': { type: 'string', default: envSecret('AIRLOCK_SIM_EAP_PASSWORD') },
    'eap-ca': { type: 'string' },
    'eap-server-name': { type: 'string', default: 'radius-server' },
    'health-file': { type: 'string' },
    ...LINK_CLI_OPTIONS,
  },
  usageFail,
);

function num(name: string, s: string | undefined, lo: number, hi: number): number {
  const x = Number(s);
  if (s === undefined || s.trim() === '' || !Number.isFinite(x) || x < lo || x > hi) usageFail(`--${name}: expected a number in ${lo}..${hi}, got ${JSON.stringify(s)}`);
  return x;
}

if (v.driver !== 'sim') usageFail(`--driver: expected sim, wired or nl80211, got ${JSON.stringify(v.driver)}`);
const target = targetOrFail(v.authenticator, usageFail);
const logger = loggerOrFail(v, usageFail);
// Before connecting: a passphrase no station could use is the operator's mistake, told
// without the value (a secret). The default is a valid one, so a bad one came from the
// flag or the environment.
const badPassphrase = v.eap === undefined ? passphraseProblem(v.passphrase) : undefined;
if (badPassphrase !== undefined) {
  const from = process.argv.some((a) => a === '--passphrase' || a.startsWith('--passphrase=')) ? '--passphrase' : 'AIRLOCK_SIM_PASSPHRASE';
  usageFail(`${from}: ${badPassphrase} (IEEE 802.11 §J.4.1), the same as the network's passphrase at the authenticator`);
}
const agentNumber = num('agent-number', v['agent-number'], 0, 65535);
const agentId = v['agent-id'] ?? `ap-${agentNumber}`;
let link: AgentLinkSecurity;
try {
  link = linkSecurity(v, agentId);
} catch (err) {
  usageFail(err instanceof Error ? err.message : String(err));
}
if (link.identity !== undefined && link.identity !== agentId) usageFail(`--agent-id ${agentId} differs from the certificate's CN ${link.identity}; the authenticator would refuse it`);
const [dmin, dmax] = (v['delay-ms'] ?? '0-0').split('-').map((x) => num('delay-ms', x, 0, 60000));
const topology = { agentNumber, bsses: num('bsses', v.bsses, 1, 64), stations: num('stations', v.stations, 0, 100000), ssid: v.ssid, passphrase: v.passphrase };
let eap: { user: string; password: string; ca: string; serverName: string } | undefined;
if (v.eap !== undefined) {
  if (v.eap !== 'ttls-pap') usageFail(`--eap: expected "ttls-pap", got ${JSON.stringify(v.eap)}`);
  const need = (name: string, x: string | undefined): string => {
    if (x === undefined || x === '') usageFail(`--eap ttls-pap needs --${name}`);
    return x;
  };
  const caPath = need('eap-ca', v['eap-ca']);
  let ca = '';
  try {
    ca = readFileSync(caPath, 'utf8');
  } catch (err) {
    usageFail(`--eap-ca: cannot read the RADIUS server's CA certificate ${caPath} (${(err as NodeJS.ErrnoException).code ?? 'error'}); \`airlock pki init --dir DIR\` writes DIR/ca.pem`);
  }
  eap = { user: need('eap-user', v['eap-user']), password: need('eap-password', v['eap-password']), ca, serverName: v['eap-server-name'] ?? 'radius-server' };
}
const e = eap;
if (v.akm !== 'psk' && v.akm !== 'sae' && v.akm !== 'psk+sae') usageFail(`--akm: expected psk, sae or psk+sae, got ${JSON.stringify(v.akm)}`);
if (e !== undefined && v.akm !== 'psk') usageFail('--akm sae or psk+sae cannot go with --eap (WPA3-Personal is a password network)');
const personal = (b: SimBssSpec): SimBssSpec => (v.akm === 'sae' ? { ...b, akm: AKM.SAE } : v.akm === 'psk+sae' ? { ...b, sae: true } : b);
const driver = new SimDriver({
  bsses: simBsses(topology).map((b) => (e === undefined ? personal(b) : { ...b, akm: AKM.IEEE8021X })),
  stations: simStations(topology).map((s, i) => (e === undefined ? { ...s, wpa3: v.akm === 'sae' || (v.akm === 'psk+sae' && i % 2 === 1) } : { ...s, passphrase: '', eap: { identity: e.user, config: { method: 'ttls-pap' as const, username: e.user, password: e.password, anonymousIdentity: 'anonymous', ca: e.ca, serverName: e.serverName } } })),
  air: { lossRate: num('loss', v.loss, 0, 1), minDelayMs: dmin ?? 0, maxDelayMs: dmax ?? dmin ?? 0, duplicateRate: num('duplicate', v.duplicate, 0, 1), reorderRate: num('reorder', v.reorder, 0, 1), reorderDelayMs: 5 },
  behaviour: v.churn ? { joinSpreadMs: 3000, dwellMs: [15000, 45000], awayMs: [2000, 8000], roamProbability: 0.4 } : { joinSpreadMs: 2000 },
  seed: v.seed !== undefined ? num('seed', v.seed, 0, 2 ** 32) : agentNumber,
});
driver.on('violation', (text: string) => logger.error({ violation: text }, 'ordering violation seen by the radio'));
if (link.plaintext) logger.warn('AgentLink without TLS (--plaintext): the authenticator cannot verify this agent; use it on a trusted network only');
await awaitAuthenticator(target, link, logger, usageFail);
const agent = new EdgeAgent({ agentId, ...agentTargets(target), driver, logger, credentials: link.credentials, channelOptions: link.channelOptions });
exitUnlessAgentLink(agent, usageFail);
const releaseHealth = v['health-file'] !== undefined ? keepHealthFile(agent, v['health-file']) : undefined;
await agent.start();
logger.info({ agentId, bsses: topology.bsses, stations: topology.stations, target: v.authenticator }, 'sim agent started');
const stop = (): void => {
  releaseHealth?.();
  void agent.stop().then(() => process.exit(0));
};
process.on('SIGINT', stop);
process.on('SIGTERM', stop);
