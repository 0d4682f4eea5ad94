#!/usr/bin/env node
/**
 * The load generator as its own process (issue 6 item 1): simulated agents (EdgeAgent +
 * SimDriver, whose stations run packages/supplicant) speaking AgentLink over real gRPC to
 * the authenticator. The bench runner drives it over IPC (load-process.ts): create, connect,
 * joinAll (closed loop), joinAtRate (open loop), leaveAll, check, saeStats, stop. Keeping
 * the load in its own process keeps the runner's own work (metrics scraping, bookkeeping)
 * off the load's event loop.
 */
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import * as grpc from '@grpc/grpc-js';
import { AKM } from '@airlock/rsn';
import { SimLoad } from '../support/sim-load.js';

/** What the runner asks for. */
export type LoadRequest =
  | { id: number; op: 'create'; options: LoadSpec }
  | { id: number; op: 'connect'; timeoutMs: number }
  | { id: number; op: 'joinAll'; concurrency: number; timeoutMs: number }
  | { id: number; op: 'joinAtRate'; ratePerS: number; timeoutMs: number }
  | { id: number; op: 'leaveAll' }
  | { id: number; op: 'check' }
  | { id: number; op: 'saeStats' }
  | { id: number; op: 'watchJoins' }
  | { id: number; op: 'joinLatencies' }
  | { id: number; op: 'watchFailovers' }
  | { id: number; op: 'failovers' }
  | { id: number; op: 'stop' };

/** The shape of the load (serializable). */
export interface LoadSpec {
  target: string;
  /** Other instances of the authenticator (SimLoadOptions.alternates). */
  alternates?: string[];
  agents: number;
  stationsPerAgent: number;
  bssesPerAgent: number;
  ssid: string;
  passphrase: string;
  firstAgentNumber: number;
  /** mTLS with the certificates in this dev-PKI directory (agent ids ap-N); absent: plaintext (ids bench-N). */
  pkiDir?: string;
  /** Each agent on its own TCP connection, as real APs are (grpc-js would otherwise share one per target). */
  ownConnections?: boolean;
  /** Stations disconnected by the authenticator associate again after this many ms (default: they stay away). */
  rejoinAfterDisconnectMs?: number;
  /** WPA3-Personal: SAE-only BSSes (AKM 8, PMF required, H2E) and stations that run SAE on every join; default WPA2-PSK. */
  wpa3?: boolean;
}

let load: SimLoad | undefined;

function credentialsFrom(dir: string): (id: string) => grpc.ChannelCredentials {
  const ca = readFileSync(join(dir, 'ca.pem'));
  return (id) => grpc.credentials.createSsl(ca, readFileSync(join(dir, `agent-${id}.key`)), readFileSync(join(dir, `agent-${id}.pem`)));
}

async function handle(r: LoadRequest): Promise<unknown> {
  switch (r.op) {
    case 'create': {
      const o = r.options;
      const pki = o.pkiDir;
      load = new SimLoad({
        target: o.target,
        alternates: o.alternates,
        agents: o.agents,
        stationsPerAgent: o.stationsPerAgent,
        bssesPerAgent: o.bssesPerAgent,
        ssid: o.ssid,
        akm: o.wpa3 === true ? AKM.SAE : AKM.PSK,
        wpa3: o.wpa3 === true,
        firstAgentNumber: o.firstAgentNumber,
        passphrase: o.passphrase,
        ...(pki === undefined ? {} : { agentId: (n: number) => `ap-${n}`, credentials: credentialsFrom(pki) }),
        ...(o.ownConnections === true ? { channelOptions: { 'grpc.use_local_subchannel_pool': 1 } } : {}),
        ...(o.rejoinAfterDisconnectMs === undefined ? {} : { rejoinAfterDisconnectMs: o.rejoinAfterDisconnectMs }),
      });
      return { stations: load.stations };
    }
    case 'connect':
      await need().connect(r.timeoutMs);
      return {};
    case 'joinAll': {
      const cpu0 = process.cpuUsage();
      const run = await need().joinAll(r.concurrency, r.timeoutMs);
      return { ...run, loadCpuUs: cpuSince(cpu0) };
    }
    case 'joinAtRate': {
      const cpu0 = process.cpuUsage();
      const run = await need().joinAtRate(r.ratePerS, r.timeoutMs);
      return { ...run, loadCpuUs: cpuSince(cpu0) };
    }
    case 'leaveAll':
      need().leaveAll();
      return {};
    case 'check':
      return { keyMismatches: need().keyMismatches(), violations: need().violations() };
    case 'saeStats':
      return need().saeStats();
    case 'watchJoins':
      need().watchJoins();
      return {};
    case 'joinLatencies':
      return { latenciesMs: need().joinLatencies() };
    case 'watchFailovers':
      need().watchFailovers();
      return {};
    case 'failovers':
      return need().failovers();
    case 'stop':
      await load?.stop();
      load = undefined;
      return {};
    default: {
      const never: never = r;
      throw new Error(`unknown request ${JSON.stringify(never)}`);
    }
  }
}

function cpuSince(c0: NodeJS.CpuUsage): number {
  const c = process.cpuUsage(c0);
  return c.user + c.system;
}

function need(): SimLoad {
  if (load === undefined) throw new Error('no load: send create first');
  return load;
}

process.on('message', (r: LoadRequest) => {
  handle(r).then(
    (result) => process.send?.({ id: r.id, ok: true, result }),
    (err: unknown) => process.send?.({ id: r.id, ok: false, error: err instanceof Error ? err.message : String(err) }),
  );
});
process.on('disconnect', () => {
  void load?.stop().finally(() => process.exit(0));
  if (load === undefined) process.exit(0);
});
