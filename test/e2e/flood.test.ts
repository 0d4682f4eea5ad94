/**
 * One station on one agent floods the authenticator (issue 5 item 3): the authenticator runs
 * as its own process (mTLS), the flooding agent as another (test/support/flood-agent.ts:
 * EAPOL frames of one station as fast as the stream takes them), and three healthy sim
 * agents join 40 stations each in this process. The same joins run once without the flood
 * and once under it, each against a fresh authenticator. The healthy agents' join p99
 * (the authenticator's airlock_join_duration_seconds) under the flood must stay within 2x
 * the unloaded one, and the authenticator's memory bounded. Defences at work: the
 * per-station EAPOL token bucket (eapol_rate_limited drops) and the per-agent message rate
 * (the flooder's stream is paused: airlock_agent_throttled_total).
 */
import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { spawn, type ChildProcess } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { EdgeAgent } from '@airlock/edge-agent';
import { startAuthenticatorProcess, type AuthenticatorProcess } from '../support/authenticator-process.js';
import { healthyJoins, type HealthyJoins } from '../support/healthy-agents.js';
import { serverTlsYaml, testPkiDir } from '../support/test-pki.js';
import { TEST_PASSPHRASE, TEST_SSID, waitFor } from '../support/topology.js';

const AGENTS = 3;
const STATIONS = 40;
const FLOOD_SCRIPT = new URL('../support/flood-agent.js', import.meta.url).pathname;

interface PhaseResult extends HealthyJoins {
  rssStartKb: number;
  rssMaxKb: number;
  flood?: { written: number; seconds: number };
}

/** Starts the flooding agent process; resolves once it writes. */
function startFlood(target: string): ChildProcess {
  return spawn(process.execPath, [FLOOD_SCRIPT, target, 'raw-1', '02ff00000001', '02ff000000aa'], {
    stdio: ['ignore', 'pipe', 'inherit'],
    env: { ...process.env, AIRLOCK_TEST_PKI: testPkiDir() },
  });
}

async function stopFlood(child: ChildProcess): Promise<{ written: number; seconds: number }> {
  let out = '';
  child.stdout?.on('data', (d: Buffer) => (out += d.toString()));
  const exited = new Promise<void>((resolve) => child.once('exit', () => resolve()));
  child.kill('SIGTERM');
  const t = setTimeout(() => child.kill('SIGKILL'), 5000);
  await exited;
  clearTimeout(t);
  return JSON.parse(out.trim().split('\n').at(-1) ?? '{}') as { written: number; seconds: number };
}

async function phase(workDir: string, name: string, flood: boolean): Promise<PhaseResult> {
  const tls = serverTlsYaml();
  const auth: AuthenticatorProcess = await startAuthenticatorProcess(name, workDir, {
    grpc: { plaintext: false, tls },
    log: { level: 'warn' },
    // A per-agent rate a quarter of the default: the flooder passes it on this machine even
    // when the other test files share its CPUs (a healthy agent here sends a few hundred).
    limits: { agent_messages_per_s: 500, agent_message_burst: 5000 },
    networks: [{ ssid: TEST_SSID, akms: ['psk'], passphrases: [TEST_PASSPHRASE], group_rekey_s: 0 }],
  });
  const agents: EdgeAgent[] = [];
  let flooder: ChildProcess | undefined;
  let joined: HealthyJoins | undefined;
  try {
    const rssStartKb = auth.rssKb();
    let rssMaxKb = rssStartKb;
    const sampler = setInterval(() => (rssMaxKb = Math.max(rssMaxKb, auth.rssKb())), 100);
    try {
      if (flood) {
        flooder = startFlood(auth.grpcTarget);
        // Past the flooder's burst allowance: from here on it is held to its rate.
        assert.ok(await waitFor(async () => ((await auth.metrics()).get('airlock_agent_throttled_total') ?? 0) > 0, 10_000), 'the flooder was throttled');
        await new Promise((r) => setTimeout(r, 1000));
      }
      joined = await healthyJoins(auth, AGENTS, STATIONS, agents);
    } finally {
      clearInterval(sampler);
    }
    const floodResult = flooder === undefined ? undefined : await stopFlood(flooder);
    flooder = undefined;
    return { ...joined, rssStartKb, rssMaxKb, flood: floodResult };
  } finally {
    if (flooder !== undefined) await stopFlood(flooder);
    await Promise.all(agents.map((a) => a.stop()));
    await auth.stop();
  }
}

void describe('flood from one station on one agent', () => {
  let workDir: string;
  let unloaded: PhaseResult;
  let loaded: PhaseResult;
  before(async () => {
    workDir = mkdtempSync(join(tmpdir(), 'airlock-flood-'));
    unloaded = await phase(workDir, 'unloaded', false);
    loaded = await phase(workDir, 'flooded', true);
  });
  after(() => rmSync(workDir, { recursive: true, force: true }));

  void it("the other agents' join p99 stays within 2x its unloaded value", () => {
    const f = loaded.flood!;
    console.log(
      `flood: ${f.written} messages from one station in ${f.seconds.toFixed(1)} s (${Math.round(f.written / f.seconds)}/s offered); ` +
        `join p50/p99 unloaded ${unloaded.p50Ms.toFixed(1)}/${unloaded.p99Ms.toFixed(1)} ms, under flood ${loaded.p50Ms.toFixed(1)}/${loaded.p99Ms.toFixed(1)} ms ` +
        `(ratio ${(loaded.p99Ms / unloaded.p99Ms).toFixed(2)}); rate-limited ${loaded.metrics.get('airlock_frames_dropped_total{reason="eapol_rate_limited"}') ?? 0}, ` +
        `stream pauses ${loaded.metrics.get('airlock_agent_throttled_total') ?? 0}; authenticator RSS ${Math.round(loaded.rssStartKb / 1024)} -> max ${Math.round(loaded.rssMaxKb / 1024)} MiB`,
    );
    assert.equal(unloaded.joins, AGENTS * STATIONS);
    assert.equal(loaded.joins, AGENTS * STATIONS, 'every healthy station joined under the flood');
    assert.ok(loaded.p99Ms <= 2 * unloaded.p99Ms, `join p99 under flood ${loaded.p99Ms.toFixed(1)} ms > 2 x ${unloaded.p99Ms.toFixed(1)} ms`);
  });

  void it('the flood was real and was held back by both limits', () => {
    const f = loaded.flood!;
    assert.ok(f.written > 20_000, `the flooder wrote ${f.written} messages`);
    // While the station is associated its bucket drops the excess; once its unanswered
    // handshake times out it is gone, and its frames are dropped as from an unknown station.
    assert.ok((loaded.metrics.get('airlock_frames_dropped_total{reason="eapol_rate_limited"}') ?? 0) > 1000, 'the station bucket dropped the excess');
    let dropped = 0;
    for (const [k, v] of loaded.metrics) if (k.startsWith('airlock_frames_dropped_total{')) dropped += v;
    // Read: the agent's burst (5000) and 500/s after it; all but a station bucket's worth dropped.
    assert.ok(dropped > 5000, `every flood frame read was dropped and counted (${dropped})`);
    assert.ok((loaded.metrics.get('airlock_agent_throttled_total') ?? 0) > 0, "the agent's stream was paused");
    assert.equal(loaded.metrics.get('airlock_handshakes_total{result="mic_failure"}') ?? 0, 0);
  });

  void it("the authenticator's memory stays bounded", () => {
    const growthMb = (loaded.rssMaxKb - loaded.rssStartKb) / 1024;
    const unloadedGrowthMb = (unloaded.rssMaxKb - unloaded.rssStartKb) / 1024;
    assert.ok(growthMb < unloadedGrowthMb + 64, `RSS grew ${growthMb.toFixed(1)} MiB under the flood vs ${unloadedGrowthMb.toFixed(1)} MiB without`);
  });
});
