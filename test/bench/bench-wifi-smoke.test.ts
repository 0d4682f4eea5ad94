/**
 * `npm run bench:wifi` smoke-run in the VM test host (one round, one station, each scenario),
 * apart from bench-smoke.test.ts: scripts/run-tests.mjs runs it beside the other VM test.
 */
import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { REPO_ROOT } from '../support/authenticator-process.js';
import { npmScript, positive, runJsonLines } from './smoke-support.js';

void describe('npm run bench:wifi, smoke-run in the VM test host', { timeout: 960_000 }, () => {
  void it('every npm run bench* script has a smoke run: here or in bench-smoke.test.ts (bench:report, which runs nothing, in report.test.ts)', () => {
    const scripts = Object.keys((JSON.parse(readFileSync(join(REPO_ROOT, 'package.json'), 'utf8')) as { scripts: Record<string, string> }).scripts);
    assert.deepEqual(scripts.filter((s) => s.startsWith('bench')).sort(), ['bench', 'bench:interop', 'bench:report', 'bench:wifi']);
  });

  void it('npm run bench:wifi (WPA2-PSK, PEAP and WPA3-SAE, hostapd and airlock taking turns, one station)', { timeout: 940_000 }, async () => {
    const lines = await runJsonLines([...npmScript('bench:wifi'), '--rounds', '1', '--stations', '1', '--breakdown'], 900_000);
    assert.deepEqual(lines.map((l) => l.scenario), ['wifi-psk', 'wifi-peap', 'wifi-sae']);
    for (const l of lines) {
      assert.equal(l.joins, 2, 'one measured join per path');
      assert.equal(l.connected, 2, 'both joins connected');
      assert.equal(l.failed, 0);
      positive(l, 'hostapd_join_ms_p50', 'airlock_join_ms_p50', 'ratio', 'hostapd_station_rtt_ms_p50', 'airlock_station_rtt_ms_p50', 'airlock_agent_authenticator_rtt_ms_p50');
      assert.equal(l.target_ratio, 1.2);
    }
    positive(lines[2], 'hostapd_sae_ms_p50', 'airlock_sae_ms_p50');
  });
});
