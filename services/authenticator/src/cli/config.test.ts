import assert from 'node:assert/strict';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, describe, it } from 'node:test';
import { runCli } from './airlock.js';

const EXAMPLE = new URL('../../config/example.yaml', import.meta.url).pathname;

async function run(...argv: string[]): Promise<{ code: number; out: string[]; err: string[] }> {
  const out: string[] = [];
  const err: string[] = [];
  const code = await runCli(argv, { out: (l) => out.push(l), err: (l) => err.push(l) });
  return { code, out, err };
}

describe('airlock config check', () => {
  const dir = mkdtempSync(join(tmpdir(), 'airlock-config-check-'));
  after(() => rmSync(dir, { recursive: true, force: true }));

  it('a valid file: exit 0, "FILE: ok"', async () => {
    const r = await run('config', 'check', EXAMPLE, '--no-env');
    assert.deepEqual(r, { code: 0, out: [`${EXAMPLE}: ok`], err: [] });
  });

  it('an invalid file: every error with its key path, a count, exit 1, nothing started', async () => {
    const file = join(dir, 'bad.yaml');
    writeFileSync(file, 'grpc:\n  listen: nowhere\ncluster:\n  workers: 99\nnetworks:\n  - ssid: x\n    akms: [psk]\n    passphrases: [short]\n');
    const r = await run('config', 'check', file, '--no-env');
    assert.equal(r.code, 1);
    assert.deepEqual(r.out, []);
    assert.equal(r.err.length, 4);
    assert.match(r.err[0], new RegExp(`^${file}: grpc\\.listen: expected "host:port"`));
    assert.match(r.err[1], new RegExp(`^${file}: cluster\\.workers: `));
    assert.match(r.err[2], new RegExp(`^${file}: networks\\[0\\]\\.passphrases\\[0\\]: expected 8\\.\\.63`));
    assert.equal(r.err[3], `airlock config: 3 errors in ${file}`);
  });

  it('the environment overrides count (AIRLOCK__...), unless --no-env', async () => {
    process.env.AIRLOCK__CLUSTER__WORKERS = 'lots';
    try {
      const withEnv = await run('config', 'check', EXAMPLE);
      assert.equal(withEnv.code, 1);
      assert.match(withEnv.err[0], /cluster\.workers/);
      assert.equal((await run('config', 'check', EXAMPLE, '--no-env')).code, 0);
    } finally {
      delete process.env.AIRLOCK__CLUSTER__WORKERS;
    }
  });

  it('usage errors exit 2', async () => {
    assert.equal((await run('config')).code, 2);
    assert.equal((await run('config', 'check')).code, 2);
    assert.equal((await run('config', 'lint', EXAMPLE)).code, 2);
  });

  it('a missing file: exit 1 with the reason', async () => {
    const r = await run('config', 'check', join(dir, 'nope.yaml'));
    assert.equal(r.code, 1);
    assert.match(r.err[0], /nope\.yaml: cannot read file \(ENOENT\)/);
  });
});
