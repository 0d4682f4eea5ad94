#!/usr/bin/env node
/**
 * airlock-agent with the wired driver: IEEE 802.1X / WPA ports on Linux Ethernet
 * interfaces (libpcap through the optional `cap` package; run as root or with
 * CAP_NET_RAW + CAP_NET_ADMIN).
 *
 *   node main.js --driver wired --agent-id sw-1 [--authenticator 127.0.0.1:50051]
 *     --port eth1:ssid=corp-wired[,akm=8021x|8021x-sha256|psk|psk-sha256|none][,bssid=01:80:c2:00:00:03]
 *                 [,destination=station|pae-group][,static=02:00:00:00:00:01+02:00:00:00:00:02]
 *     [--port eth2:...] [--static-rejoin-ms 10000] [--log-level info]
 *     (--pki-dir DIR | --tls-ca F --tls-cert F --tls-key F [--tls-server-name N] | --plaintext)
 *
 * One --port per interface. `bssid` is the AA stations use (default the PAE group address,
 * as wpa_supplicant's wired driver does); `static` lists stations announced at start
 * (WPA-PSK: wpa_supplicant sends nothing first); `akm=none` announces no RSN element (IEEE
 * 802.1X without key management: the port opens after EAP success, no 4-way handshake).
 */
import { parsePortSpec, WiredDriver, wiredDriverUnavailable, type WiredPortSpec } from './drivers/wired/index.js';
import { parseAgentArgs } from './cli-args.js';
import { agentLinkOrFail, driverCliFail, DRIVER_CLI_OPTIONS, loggerOrFail, runAgent, targetOrFail, type CliFail } from './driver-cli.js';

// Typed explicitly: a call to it ends control flow (never).
const fail: CliFail = driverCliFail('wired');

async function main(): Promise<void> {
  const v = parseAgentArgs(
    {
      ...DRIVER_CLI_OPTIONS,
      port: { type: 'string', multiple: true, default: [] },
      'static-rejoin-ms': { type: 'string', default: '10000' },
    },
    fail,
  );
  if (v['agent-id'] === undefined) fail('--agent-id is required');
  if (v.port.length === 0) fail('at least one --port IFACE:ssid=... is required');
  const agentId = v['agent-id'];
  const target = targetOrFail(v.authenticator, fail);
  const logger = loggerOrFail(v, fail);
  const link = agentLinkOrFail(v, agentId, fail);
  const rejoin = Number(v['static-rejoin-ms']);
  if (!Number.isInteger(rejoin) || rejoin < 0 || rejoin > 3_600_000) fail(`--static-rejoin-ms: expected 0..3600000, got ${JSON.stringify(v['static-rejoin-ms'])}`);
  let ports: WiredPortSpec[] = [];
  try {
    ports = v.port.map(parsePortSpec);
  } catch (err) {
    fail(`--port: ${err instanceof Error ? err.message : String(err)}`);
  }
  const unavailable = await wiredDriverUnavailable();
  if (unavailable !== undefined) fail(unavailable, 1);
  let driver: WiredDriver;
  try {
    driver = new WiredDriver({ ports, staticRejoinMs: rejoin, logger });
  } catch (err) {
    fail(err instanceof Error ? err.message : String(err), 1);
  }
  await runAgent({ agentId, target, driver, logger, link, fail });
  logger.info({ agentId, ports: ports.map((p) => p.interfaceName), target: v.authenticator }, 'wired agent started');
}

await main();
