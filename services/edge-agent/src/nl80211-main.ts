#!/usr/bin/env node
/**
 * airlock-agent with the nl80211 driver: the agent is the MLME of access points on Linux
 * mac80211 interfaces (no hostapd on them). Needs CAP_NET_ADMIN (run as root, or grant it)
 * and the optional package @airlock/raw-netlink (this project's N-API addon, built at install).
 *
 *   node main.js --driver nl80211 --agent-id ap-1 [--authenticator 127.0.0.1:50051]
 *     --radio wlan0:ssid=corp,akm=8021x,channel=6 [--radio wlan0:ssid=guest,akm=psk] [--radio wlan1:...]
 *     [--log-level info] [--counters-log-s 60] (--pki-dir DIR | --tls-ca F --tls-cert F --tls-key F [--tls-server-name N] | --plaintext)
 *
 * One --radio per BSS; see drivers/nl80211/radio-spec.ts for the options (akm, cipher,
 * channel, bssid, max_sta, beacon_int, dtim, max_inactivity, and for WPA3 ieee80211w,
 * sae_pwe, beacon_prot: e.g. `--radio wlan0:ssid=home,akm=sae` or `akm=psk+sae` for
 * transition mode). A second --radio on the same interface adds a BSS on the same radio. The radio's counters (frames, refusals by status
 * code, drops by reason) are logged every --counters-log-s seconds when they changed.
 */
import { loadNetlinkBinding, NETLINK_MISSING, Nl80211Driver, parseRadioSpec, type RadioBssSpec } from './drivers/nl80211/index.js';
import { parseAgentArgs } from './cli-args.js';
import { agentLinkOrFail, driverCliFail, DRIVER_CLI_OPTIONS, loggerOrFail, runAgent, targetOrFail, type CliFail } from './driver-cli.js';

// Typed explicitly: a call to it ends control flow (never).
const fail: CliFail = driverCliFail('nl80211');

async function main(): Promise<void> {
  const v = parseAgentArgs(
    {
      ...DRIVER_CLI_OPTIONS,
      radio: { type: 'string', multiple: true, default: [] },
      'counters-log-s': { type: 'string', default: '60' },
    },
    fail,
  );
  if (v['agent-id'] === undefined) fail('--agent-id is required');
  if (v.radio.length === 0) fail('at least one --radio IFACE:ssid=... is required');
  const agentId = v['agent-id'];
  const target = targetOrFail(v.authenticator, fail);
  const logger = loggerOrFail(v, fail);
  const link = agentLinkOrFail(v, agentId, fail);
  let radios: RadioBssSpec[] = [];
  try {
    radios = v.radio.map(parseRadioSpec);
  } catch (err) {
    fail(`--radio: ${err instanceof Error ? err.message : String(err)}`);
  }
  const countersLogS = Number(v['counters-log-s']);
  if (!Number.isInteger(countersLogS) || countersLogS < 0 || countersLogS > 86400) fail(`--counters-log-s: expected 0..86400, got ${JSON.stringify(v['counters-log-s'])}`);
  if (process.platform !== 'linux') fail('the nl80211 driver runs on Linux only', 1);
  if (loadNetlinkBinding() === undefined) fail(NETLINK_MISSING, 1);
  let driver: Nl80211Driver;
  try {
    driver = new Nl80211Driver({ bsses: radios, logger, countersLogMs: countersLogS * 1000 });
  } catch (err) {
    fail(err instanceof Error ? err.message : String(err), 1);
  }
  await runAgent({ agentId, target, driver, logger, link, fail });
  logger.info({ agentId, bsses: driver.bsses().length, target: v.authenticator }, 'nl80211 agent started');
}

await main();
