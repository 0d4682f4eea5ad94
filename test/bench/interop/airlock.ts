/**
 * The airlock path's edge: the wired agent as its own process
 * (`services/edge-agent/dist/main.js --driver wired`) on the host end of the veth pair, one port
 * without key management (`akm=none`: IEEE 802.1X only, as hostapd's ieee8021x=1 without
 * wpa), connected over gRPC with mTLS (the default, as deployed) to the authenticator process,
 * with a wired agent's certificate from the test PKI (test/support/test-pki.ts).
 * AIRLOCK_BENCH_AGENT_NODE_ARGS adds node flags to it (profiling: "--cpu-prof --cpu-prof-dir=DIR").
 */
import { join } from 'node:path';
import { REPO_ROOT } from '../../support/authenticator-process.js';
import { startChild, type Child } from './child.js';

const AGENT_MAIN = join(REPO_ROOT, 'services/edge-agent/dist/main.js');

/** What the agent is started with. */
export interface WiredAgentOptions {
  name: string;
  workDir: string;
  interfaceName: string;
  ssid: string;
  /** The authenticator's gRPC address, host:port (a name its certificate carries: localhost). */
  target: string;
  /** Its identity: the CN of its certificate in `pkiDir` (agent-<id>.pem, agent-<id>.key, ca.pem). */
  agentId: string;
  pkiDir: string;
}

/** Starts the wired agent (log level info: a line per port event, none per frame); resolves once the authenticator has welcomed it. */
export async function startWiredAgent(o: WiredAgentOptions): Promise<Child> {
  const nodeArgs = (process.env.AIRLOCK_BENCH_AGENT_NODE_ARGS ?? '').split(' ').filter((a) => a !== '');
  const argv = [process.execPath, ...nodeArgs, AGENT_MAIN, '--driver', 'wired', '--agent-id', o.agentId, '--pki-dir', o.pkiDir, '--authenticator', o.target, '--port', `${o.interfaceName}:ssid=${o.ssid},akm=none`, '--log-level', 'info'];
  const child = startChild('airlock wired agent', argv, join(o.workDir, `${o.name}.log`));
  try {
    await child.waitForLine(/welcomed by the authenticator/, 10_000);
  } catch (err) {
    await child.stop();
    throw err;
  }
  return child;
}
