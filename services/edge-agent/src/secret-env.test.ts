import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { secretFromEnv } from './secret-env.js';

void test('secretFromEnv: NAME, or the file NAME_FILE names (one trailing newline dropped); errors name the file, never the value', () => {
  const dir = mkdtempSync(join(tmpdir(), 'airlock-secret-env-'));
  try {
    const f = join(dir, 'psk');
    writeFileSync(f, 'passphrase in a file\n');
    assert.equal(secretFromEnv('S', {}), undefined);
    assert.equal(secretFromEnv('S', { S: 'direct' }), 'direct');
    assert.equal(secretFromEnv('S', { S_FILE: f }), 'passphrase in a file');
    writeFileSync(f, 'two\nlines\r\n');
    assert.equal(secretFromEnv('S', { S_FILE: f }), 'two\nlines', 'only the last newline goes');
    assert.throws(() => secretFromEnv('S', { S: 'x', S_FILE: f }), /S and S_FILE are both set: keep one/);
    assert.throws(() => secretFromEnv('S', { S_FILE: join(dir, 'absent') }), /S_FILE: cannot read .*absent \(ENOENT\)/);
    writeFileSync(f, Buffer.alloc(70 * 1024, 0x61));
    assert.throws(() => secretFromEnv('S', { S_FILE: f }), /larger than 65536 bytes/);
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});
