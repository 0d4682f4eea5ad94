import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import pino from 'pino';
import type { AuthenticatorConfig } from './config.js';
import { ConfigReloader, reloadConfigFile, type ReloadTarget } from './config-reload.js';
import { createMetrics, parsePrometheusText } from './metrics.js';
import type { ReloadOutcome } from './server.js';

const VALID = `
networks:
  - ssid: home
    akms: [psk]
    passphrases: ["password"]
`;
const INVALID = `
networks:
  - ssid: home
    akms: [psk]
    passphrases: ["short"]
`;

const CASES: { desc: string; file: string; reload: (c: AuthenticatorConfig) => Promise<ReloadOutcome>; want: 'applied' | 'rejected'; msg: string; reloaded: boolean }[] = [
  { desc: 'applied', file: VALID, reload: () => Promise.resolve({ ok: true, applied: ['networks'], restartNeeded: [] }), want: 'applied', msg: 'configuration reloaded', reloaded: true },
  { desc: 'applied with sections that need a restart', file: VALID, reload: () => Promise.resolve({ ok: true, applied: [], restartNeeded: ['grpc'] }), want: 'applied', msg: 'configuration reloaded', reloaded: true },
  { desc: 'invalid file: never reaches the service', file: INVALID, reload: () => Promise.reject(new Error('not called')), want: 'rejected', msg: 'configuration reload rejected: the file is invalid; the running configuration stays', reloaded: false },
  { desc: 'refused by the service', file: VALID, reload: () => Promise.resolve({ ok: false, errors: ['networks: SSID "home" is served by 1 BSS(es) now'] }), want: 'rejected', msg: 'configuration reload rejected; the running configuration stays', reloaded: true },
  { desc: 'failed with an exception', file: VALID, reload: () => Promise.reject(new Error('boom')), want: 'rejected', msg: 'configuration reload failed; the running configuration stays', reloaded: true },
];

for (const c of CASES) {
  void test(`reloadConfigFile: ${c.desc} -> airlock_config_reloads_total{result="${c.want}"} + 1`, async () => {
    const dir = mkdtempSync(join(tmpdir(), 'airlock-reload-unit-'));
    try {
      const file = join(dir, 'authenticator.yaml');
      writeFileSync(file, c.file);
      const lines: { msg: string }[] = [];
      const metrics = createMetrics();
      let reloaded = 0;
      const target: ReloadTarget = {
        logger: pino({ level: 'info' }, { write: (s: string) => void lines.push(JSON.parse(s) as { msg: string }) }),
        metrics,
        reload: (config) => {
          reloaded++;
          return c.reload(config);
        },
      };
      assert.equal(await reloadConfigFile(target, file), c.want);
      const s = parsePrometheusText(await metrics.registry.metrics());
      assert.equal(s.get(`airlock_config_reloads_total{result="${c.want}"}`), 1);
      assert.equal(s.get(`airlock_config_reloads_total{result="${c.want === 'applied' ? 'rejected' : 'applied'}"}`), 0);
      assert.equal(reloaded, c.reloaded ? 1 : 0);
      assert.ok(lines.some((l) => l.msg === c.msg), JSON.stringify(lines));
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });
}

void test('ConfigReloader: reloads one at a time (SIGHUP and the Admin API alike); each reports what changed or every error, and is counted', async () => {
  const dir = mkdtempSync(join(tmpdir(), 'airlock-reloader-unit-'));
  try {
    const file = join(dir, 'authenticator.yaml');
    writeFileSync(file, VALID);
    const metrics = createMetrics();
    const order: string[] = [];
    let running = 0;
    const target: ReloadTarget = {
      logger: pino({ level: 'silent' }),
      metrics,
      reload: async () => {
        running++;
        assert.equal(running, 1, 'never two at once');
        order.push('start');
        await new Promise((r) => setTimeout(r, 20));
        order.push('end');
        running--;
        return { ok: true, applied: ['networks'], restartNeeded: ['grpc'] };
      },
    };
    const reloader = new ConfigReloader(target, file);
    const [a, b] = await Promise.all([reloader.reload('SIGHUP'), reloader.reload('Admin API (local socket)')]);
    assert.deepEqual(order, ['start', 'end', 'start', 'end']);
    assert.deepEqual(a, { result: 'applied', file, changed: ['networks'], restartNeeded: ['grpc'], errors: [] });
    assert.deepEqual(b, a);
    writeFileSync(file, INVALID);
    const bad = await reloader.reload('Admin API (local socket)');
    assert.equal(bad.result, 'rejected');
    assert.equal(bad.errors.length, 1);
    assert.match(bad.errors[0], new RegExp(`^${file.replace(/[.*+?^${}()|[\]\\]/g, '\\$&')}: networks\\[0\\]\\.passphrases\\[0\\]: expected 8\\.\\.63`));
    assert.ok(!bad.errors[0].includes('"short"'), 'the secret is not echoed');
    const s = parsePrometheusText(await metrics.registry.metrics());
    assert.equal(s.get('airlock_config_reloads_total{result="applied"}'), 2);
    assert.equal(s.get('airlock_config_reloads_total{result="rejected"}'), 1);

    // Many requests during a reload cost one more reload, not one each.
    writeFileSync(file, VALID);
    order.length = 0;
    const many = await Promise.all(Array.from({ length: 10 }, (_v, i) => reloader.reload(`operator ${i}`)));
    assert.deepEqual(order, ['start', 'end', 'start', 'end'], 'the first request, then one reload for the nine that came during it');
    for (const r of many) assert.equal(r.result, 'applied');
    assert.equal(parsePrometheusText(await metrics.registry.metrics()).get('airlock_config_reloads_total{result="applied"}'), 4);
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});
