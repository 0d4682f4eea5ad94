/**
 * Real Wi-Fi (issue 12 §3): boots the VM test host once (test/support/vm/vm.ts), runs every
 * scenario of scenarios.ts inside it (vm-suite.ts) and reports each as a test here, with
 * its assertion message and the evidence it noted. Fails, never skips, when the VM cannot
 * boot here (the message names the Debian packages; `npm test`'s pretest installs them).
 */
import assert from 'node:assert/strict';
import { existsSync, mkdtempSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { testPkiDir } from '../support/test-pki.js';
import { bootVm, vmUnavailable, type VmResult } from '../support/vm/vm.js';
import { SCENARIOS } from './scenarios.js';
import type { ScenarioResult } from './vm-suite.js';

const VM_TIMEOUT_MS = 25 * 60_000;

void describe('real Wi-Fi: wpa_supplicant on mac80211_hwsim through the nl80211 agent (VM test host)', { timeout: VM_TIMEOUT_MS + 60_000 }, () => {
  let vm: VmResult | undefined;
  let results = new Map<string, ScenarioResult>();
  let out = '';

  before(async () => {
    const why = vmUnavailable();
    if (why !== undefined) throw new Error(why);
    out = mkdtempSync(join(process.env.AIRLOCK_WIFI_OUT ?? tmpdir(), 'airlock-wifi-'));
    const echo = process.env.AIRLOCK_VM_CONSOLE === '1';
    vm = await bootVm({
      workDir: out,
      command: [process.execPath, 'test/dist/wifi/vm-suite.js', join(out, 'results')],
      env: { AIRLOCK_TEST_PKI: testPkiDir() },
      radios: 10,
      timeoutMs: VM_TIMEOUT_MS,
      onConsole: (l) => {
        if (echo || l.startsWith('airlock-wifi:')) process.stderr.write(`[vm] ${l}\n`);
      },
    });
    const file = join(out, 'results', 'results.jsonl');
    if (existsSync(file)) {
      for (const line of readFileSync(file, 'utf8').split('\n')) {
        if (line.trim() === '') continue;
        const r = JSON.parse(line) as ScenarioResult;
        results.set(r.name, r);
      }
    }
  });

  after(() => {
    results = new Map();
  });

  const outcome = (name: string): ScenarioResult => {
    const r = results.get(name);
    const world = results.get('world');
    if (r === undefined) {
      const why = world !== undefined && !world.ok ? `the world did not start: ${world.error}` : vm?.failure ?? 'it did not run';
      assert.fail(`scenario ${name} has no result: ${why}\nVM console tail:\n${(vm?.console ?? '').split('\n').slice(-40).join('\n')}\n(logs in ${out})`);
    }
    return r;
  };

  it('the VM boots and the world starts (authenticator, FreeRADIUS, nl80211 agent with 6 BSSes on 2 radios: WPA2-PSK, 802.1X, WPA3-SAE, transition mode)', () => {
    const r = outcome('world');
    assert.equal(r.ok, true, r.error);
  });

  for (const s of SCENARIOS) {
    it(s.title, () => {
      const r = outcome(s.name);
      assert.equal(r.ok, true, `${r.error}\nnotes: ${JSON.stringify(r.notes, null, 1)}\n(logs in ${out})`);
      assert.ok(Object.keys(r.notes).length > 0, 'the scenario recorded its evidence');
    });
  }

  it('the command in the VM exited 0', () => {
    assert.equal(vm?.exitCode, 0, `exit ${vm?.exitCode} (${vm?.failure ?? ''}); logs in ${out}`);
  });
});
