/**
 * Runs inside the VM test host: builds the Wi-Fi world and runs the scenarios in order,
 * writing one JSON line per scenario to OUTDIR/results.jsonl as it finishes (so a VM that
 * is killed still leaves what finished), and the world's logs under OUTDIR/world.
 *
 *   node test/dist/wifi/vm-suite.js OUTDIR [SCENARIO...]
 */
import { appendFileSync, mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { SCENARIOS } from './scenarios.js';
import { startWorld } from './world.js';

/** One line of results.jsonl. */
export interface ScenarioResult {
  name: string;
  ok: boolean;
  error?: string;
  ms: number;
  notes: Record<string, unknown>;
}

const SCENARIO_TIMEOUT_MS = 300_000;

async function main(): Promise<number> {
  const [out, ...only] = process.argv.slice(2);
  if (out === undefined) {
    console.error('usage: vm-suite.js OUTDIR [SCENARIO...]');
    return 2;
  }
  mkdirSync(out, { recursive: true });
  const results = join(out, 'results.jsonl');
  writeFileSync(results, '');
  const record = (r: ScenarioResult): void => {
    appendFileSync(results, `${JSON.stringify(r)}\n`);
    console.log(`airlock-wifi: ${r.ok ? 'ok' : 'FAILED'} ${r.name} (${r.ms} ms)${r.ok ? '' : `: ${r.error}`}`);
  };
  const chosen = only.length === 0 ? SCENARIOS : SCENARIOS.filter((s) => only.includes(s.name));
  const t0 = Date.now();
  let world;
  try {
    world = await startWorld(join(out, 'world'), { stations: 6 });
  } catch (err) {
    record({ name: 'world', ok: false, error: err instanceof Error ? (err.stack ?? err.message) : String(err), ms: Date.now() - t0, notes: {} });
    return 1;
  }
  record({ name: 'world', ok: true, ms: Date.now() - t0, notes: {} });
  let failed = 0;
  /** Why the agent is gone (exit status and its log's tail), once it is: every later scenario would only time out. */
  const agentGone = (): string | undefined => {
    const c = world.agent.child;
    if (c.exitCode === null && c.signalCode === null) return undefined;
    return `the nl80211 agent exited (${c.exitCode !== null ? `code ${c.exitCode}` : `signal ${c.signalCode}`}); its log ends:\n${world.agent.log().split('\n').filter((l) => !l.includes('"radio counters"')).slice(-12).join('\n')}`;
  };
  for (const s of chosen) {
    const notes: Record<string, unknown> = {};
    const started = Date.now();
    const gone = agentGone();
    if (gone !== undefined) {
      failed++;
      record({ name: s.name, ok: false, error: `not run: ${gone}`, ms: 0, notes });
      continue;
    }
    let timer: NodeJS.Timeout | undefined;
    try {
      await Promise.race([
        s.run(world, (k, v) => {
          notes[k] = v;
        }),
        new Promise((_r, reject) => {
          timer = setTimeout(() => reject(new Error(`timed out after ${SCENARIO_TIMEOUT_MS} ms`)), SCENARIO_TIMEOUT_MS);
        }),
      ]);
      record({ name: s.name, ok: true, ms: Date.now() - started, notes });
    } catch (err) {
      failed++;
      const gone = agentGone();
      const error = err instanceof Error ? (err.stack ?? err.message) : String(err);
      record({ name: s.name, ok: false, error: gone === undefined ? error : `${gone}\n\n${error}`, ms: Date.now() - started, notes });
    } finally {
      clearTimeout(timer);
    }
  }
  // Supplicant logs, for a failure's post-mortem.
  for (const st of world.stations) if (st.supplicant !== undefined) writeFileSync(join(out, 'world', `${st.name}-wpa_supplicant.log`), st.supplicant.log());
  await world.close();
  return failed === 0 ? 0 : 1;
}

process.exitCode = await main();
