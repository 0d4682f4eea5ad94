/**
 * `airlock-agent --driver nl80211` refuses what it cannot run with one line naming the
 * problem and an exit code (2 usage, 1 runtime), before touching any radio: no agent id, no
 * radio, a malformed --radio, a radio that is not an interface here. (Serving real radios is
 * test/wifi, in the VM test host.)
 */
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { join } from 'node:path';
import { describe, it } from 'node:test';
import { REPO_ROOT } from '../support/authenticator-process.js';

const MAIN = join(REPO_ROOT, 'services/edge-agent/dist/main.js');

function agent(...args: string[]): { code: number | null; stderr: string } {
  const r = spawnSync(process.execPath, [MAIN, '--driver', 'nl80211', ...args], { encoding: 'utf8', timeout: 30_000 });
  return { code: r.status, stderr: r.stderr };
}

void describe('airlock-agent --driver nl80211: refusals before any radio is touched', () => {
  const cases: { desc: string; args: string[]; code: number; says: RegExp }[] = [
    { desc: 'no --agent-id', args: ['--radio', 'wlan0:ssid=x', '--plaintext'], code: 2, says: /--agent-id is required/ },
    { desc: 'no --radio', args: ['--agent-id', 'ap-1', '--plaintext'], code: 2, says: /at least one --radio IFACE:ssid=\.\.\. is required/ },
    { desc: 'a radio without an SSID', args: ['--agent-id', 'ap-1', '--plaintext', '--radio', 'wlan0:akm=psk'], code: 2, says: /--radio: radio wlan0: ssid is required/ },
    { desc: 'an unknown AKM', args: ['--agent-id', 'ap-1', '--plaintext', '--radio', 'wlan0:ssid=x,akm=wep'], code: 2, says: /--radio: akm: expected .*"wep"/ },
    { desc: 'an unknown option', args: ['--agent-id', 'ap-1', '--plaintext', '--radio', 'wlan0:ssid=x,power=20'], code: 2, says: /unknown radio option "power"/ },
    { desc: 'mTLS without credentials', args: ['--agent-id', 'ap-1', '--radio', 'wlan0:ssid=x'], code: 2, says: /AgentLink uses mTLS: --tls-ca, --tls-cert, --tls-key missing/ },
    { desc: 'an interface that does not exist', args: ['--agent-id', 'ap-1', '--plaintext', '--radio', 'airlock-none0:ssid=x'], code: 1, says: /no network interface "airlock-none0" here/ },
    { desc: 'two BSSes of one radio on different channels', args: ['--agent-id', 'ap-1', '--plaintext', '--radio', 'lo:ssid=a,channel=1', '--radio', 'lo:ssid=b,channel=6'], code: 1, says: /channel 6 differs from the radio's channel 1/ },
  ];
  for (const c of cases) {
    void it(`${c.desc}: exit ${c.code} with one line that says so`, () => {
      const r = agent(...c.args);
      assert.equal(r.code, c.code, r.stderr);
      assert.match(r.stderr, c.says);
      assert.match(r.stderr, /^airlock-agent \(nl80211\): /);
      assert.equal(r.stderr.trim().split('\n').length, 1, `one line: ${r.stderr}`);
    });
  }
});
