/**
 * One agent must not stop every agent's joins (issue 13 item 1). The authenticator runs as
 * its own process (mTLS); a hostile agent as another (test/support/stall-agent.ts) mounts
 * each attack of the issue; three healthy sim agents join 40 stations each in this process.
 * The same joins run once without an attack and once under each, each against a fresh
 * authenticator:
 * - stalled: 1,100 stations (over 8 BSSes) that never answer, then the agent's stream drops
 *   (its BSSes in reconnect grace, 30 s by default);
 * - spoof: 100 new MACs per second on one BSS, while the healthy agents join;
 * - table: 20,000 stations over 64 BSSes, then the stream drops.
 * The healthy agents' join p99 (airlock_join_duration_seconds) under each must stay within
 * 2x the unloaded one. Defences at work: admission shared out per agent and per BSS with a
 * reserve (fair-admission.ts), slots released when the stream ends, the per-BSS cap on
 * stations not yet authorized (pending_limit), the per-agent station cap.
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
const STALL_SCRIPT = new URL('../support/stall-agent.js', import.meta.url).pathname;

type Attack = 'none' | 'stalled' | 'spoof' | 'table';

interface PhaseResult extends HealthyJoins {  /** The attacker's own account: associations written. */
  associations: number;
  /** Stations the authenticator held when the healthy agents started. */
  heldAtStart: number;
}

function startAttacker(target: string, attack: Exclude<Attack, 'none'>): ChildProcess {
  // Stalled: over 8 BSSes, so that every station is taken (fewer than
  // limits.max_pending_stations_per_bss each) and admission alone must keep the others going.
  const args = attack === 'stalled' ? ['stalled', '1100', '8'] : attack === 'spoof' ? ['spoof', '100', '1'] : ['stalled', '20000', '64'];
  return spawn(process.execPath, [STALL_SCRIPT, target, 'raw-1', ...args], { stdio: ['ignore', 'pipe', 'inherit'], env: { ...process.env, AIRLOCK_TEST_PKI: testPkiDir() } });
}

/** Stops the attacker (SIGTERM: its stream drops) and waits for its JSON line. */
async function attackerResult(child: ChildProcess): Promise<{ associations: number }> {
  let out = '';
  child.stdout?.on('data', (d: Buffer) => (out += d.toString()));
  const exited = new Promise<void>((resolve) => child.once('exit', () => resolve()));
  child.kill('SIGTERM');
  const t = setTimeout(() => child.kill('SIGKILL'), 60_000);
  await exited;
  clearTimeout(t);
  return JSON.parse(out.trim().split('\n').at(-1) ?? '{"associations":0}') as { associations: number };
}

function held(m: Map<string, number>): number {
  let n = 0;
  for (const [k, v] of m) if (k.startsWith('airlock_stations{')) n += v;
  return n;
}

async function phase(workDir: string, attack: Attack): Promise<PhaseResult> {
  const auth: AuthenticatorProcess = await startAuthenticatorProcess(`fairness-${attack}`, workDir, {
    grpc: { plaintext: false, tls: serverTlsYaml() },
    log: { level: 'warn' },
    networks: [{ ssid: TEST_SSID, akms: ['psk'], passphrases: [TEST_PASSPHRASE], group_rekey_s: 0 }],
  });
  const agents: EdgeAgent[] = [];
  let attacker: ChildProcess | undefined;
  let associations = 0;
  try {
    if (attack !== 'none') {
      attacker = startAttacker(auth.grpcTarget, attack);
      if (attack === 'spoof') {
        // The spoofer keeps going while the healthy agents join; its first MACs have timed out by then.
        assert.ok(await waitFor(async () => held(await auth.metrics()) >= 200, 20_000), 'the spoofed MACs arrive');
        await new Promise((r) => setTimeout(r, 3000));
      } else {
        // Every station written and handled (held, or refused past a limit); then the stream
        // drops (its BSSes wait in reconnect grace).
        const n = attack === 'stalled' ? 1100 : 20_000;
        const handled = async (): Promise<number> => {
          const m = await auth.metrics();
          return held(m) + (m.get('airlock_frames_dropped_total{reason="pending_limit"}') ?? 0) + (m.get('airlock_frames_dropped_total{reason="station_limit"}') ?? 0);
        };
        assert.ok(await waitFor(async () => (await handled()) >= n, 60_000), `the authenticator handled the ${n} associations (${await handled()})`);
        associations = (await attackerResult(attacker)).associations;
        attacker = undefined;
        assert.ok(await waitFor(async () => (await auth.metrics()).get('airlock_agents_connected') === 0, 10_000), 'the attacker is gone');
      }
    }
    const heldAtStart = held(await auth.metrics());
    const joined = await healthyJoins(auth, AGENTS, STATIONS, agents, attack);
    if (attacker !== undefined) {
      associations = (await attackerResult(attacker)).associations;
      attacker = undefined;
    }
    return { ...joined, associations, heldAtStart };
  } finally {
    if (attacker !== undefined) await attackerResult(attacker);
    await Promise.all(agents.map((a) => a.stop()));
    await auth.stop();
  }
}

void describe("one agent cannot stop the other agents' joins", () => {
  let workDir: string;
  const results = new Map<Attack, PhaseResult>();
  before(async () => {
    workDir = mkdtempSync(join(tmpdir(), 'airlock-fairness-'));
    // A first run warms this process up (JIT, TLS): the baseline is the second.
    await phase(workDir, 'none');
    const only = process.env.FAIRNESS_PHASES?.split(',');
    for (const a of ['none', 'stalled', 'spoof', 'table'] as const) if (only === undefined || only.includes(a)) results.set(a, await phase(workDir, a));
    const u = results.get('none')!;
    for (const [a, r] of results) {
      console.log(
        `${a}: attacker associations ${r.associations}, stations held at the healthy start ${r.heldAtStart}; healthy join p50/p99 ${r.p50Ms.toFixed(1)}/${r.p99Ms.toFixed(1)} ms (p99 ratio ${(r.p99Ms / u.p99Ms).toFixed(2)}); ` +
          `pending_limit ${r.metrics.get('airlock_frames_dropped_total{reason="pending_limit"}') ?? 0}, station_limit ${r.metrics.get('airlock_frames_dropped_total{reason="station_limit"}') ?? 0}`,
      );
      if (process.env.FAIRNESS_DEBUG) console.log([...r.metrics].filter(([k, v]) => v !== 0 && /join_duration_seconds_bucket|retrans|dropped|handshakes_total|throttled/.test(k)).map(([k, v]) => `${k} ${v}`).join('\n'));
    }
  });
  after(() => rmSync(workDir, { recursive: true, force: true }));

  for (const attack of ['stalled', 'spoof', 'table'] as const) {
    void it(`${attack}: every healthy station joins and the join p99 stays within 2x the unloaded one`, () => {
      const u = results.get('none')!;
      const r = results.get(attack)!;
      assert.equal(u.joins, AGENTS * STATIONS);
      assert.equal(r.joins, AGENTS * STATIONS, 'every healthy station joined');
      assert.ok(r.p99Ms <= 2 * u.p99Ms, `join p99 under ${attack} ${r.p99Ms.toFixed(1)} ms > 2 x ${u.p99Ms.toFixed(1)} ms`);
    });
  }

  void it('the attacks were real and each met its bound', () => {
    const stalled = results.get('stalled')!;
    assert.equal(stalled.associations, 1100);
    assert.equal(stalled.heldAtStart, 1100, 'the stalled stations wait in reconnect grace');
    const spoof = results.get('spoof')!;
    assert.ok(spoof.associations >= 500, `the spoofer sent ${spoof.associations} MACs`);
    // 100/s with a 4 s handshake timeout: more than limits.max_pending_stations_per_bss (256) wait at once.
    assert.ok((spoof.metrics.get('airlock_frames_dropped_total{reason="pending_limit"}') ?? 0) > 0, 'the per-BSS cap on stations not yet authorized refused some');
    const table = results.get('table')!;
    assert.equal(table.associations, 20_000);
    assert.ok(table.heldAtStart <= 16_384, `the agent's station cap held (${table.heldAtStart})`);
    assert.ok((table.metrics.get('airlock_frames_dropped_total{reason="pending_limit"}') ?? 0) + (table.metrics.get('airlock_frames_dropped_total{reason="station_limit"}') ?? 0) >= 20_000 - 16_384);
  });
});
