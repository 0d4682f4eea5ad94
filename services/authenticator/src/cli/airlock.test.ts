import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { X509Certificate } from 'node:crypto';
import { existsSync, mkdtempSync, readFileSync, rmSync, statSync, unlinkSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { after, describe, it } from 'node:test';
import { fileURLToPath } from 'node:url';
import { writeDevPki } from '@airlock/pki';
import { runCli } from './airlock.js';

const root = mkdtempSync(join(tmpdir(), 'airlock-cli-test-'));
after(() => rmSync(root, { recursive: true, force: true }));

async function run(...argv: string[]): Promise<{ code: number; out: string[]; err: string[] }> {
  const out: string[] = [];
  const err: string[] = [];
  const code = await runCli(argv, { out: (l) => out.push(l), err: (l) => err.push(l) });
  return { code, out, err };
}

describe('airlock CLI: dispatch and usage errors', () => {
  const usage: { desc: string; argv: string[]; stderr: RegExp }[] = [
    { desc: 'no command', argv: [], stderr: /^airlock: missing command \(commands: agents, stations, explain, events, disconnect, rekey, radius, reload, config, pki;/ },
    { desc: 'unknown command', argv: ['frobnicate'], stderr: /^airlock: unknown command 'frobnicate'/ },
    { desc: 'pki without subcommand', argv: ['pki'], stderr: /^airlock pki: missing subcommand \(usage: airlock pki init --dir DIR/ },
    { desc: 'pki unknown subcommand', argv: ['pki', 'burn'], stderr: /^airlock pki: unknown subcommand 'burn'/ },
    { desc: 'pki init without --dir', argv: ['pki', 'init'], stderr: /^airlock pki: --dir is required/ },
    { desc: 'pki init with --dir and no value', argv: ['pki', 'init', '--dir'], stderr: /^airlock pki: Option '--dir <value>' argument missing$/ },
    { desc: 'unknown flag', argv: ['pki', 'init', '--dir', 'x', '--nope'], stderr: /^airlock pki: Unknown option '--nope'$/ },
    { desc: 'stray positional', argv: ['pki', 'init', '--dir', 'x', 'extra'], stderr: /^airlock pki: unexpected argument 'extra'/ },
    { desc: 'agent id that is a path', argv: ['pki', 'init', '--dir', 'x', '--agent', '../etc'], stderr: /^airlock pki: --agent "..\/etc": use 1-64 of/ },
    { desc: 'key too small', argv: ['pki', 'init', '--dir', 'x', '--key-bits', '1024'], stderr: /^airlock pki: --key-bits must be an integer in 2048..8192, not '1024'$/ },
    { desc: 'admin: --socket and --server', argv: ['agents', '--socket', '/x.sock', '--server', 'localhost:1'], stderr: /^airlock agents: --server \(TCP with mTLS\) and --socket \(the local socket\): give one$/ },
    { desc: 'admin: --plaintext is gone', argv: ['stations', '--plaintext'], stderr: /^airlock stations: --plaintext is gone: without TLS, use the authenticator's local socket \(--socket PATH/ },
    { desc: 'admin: certificate flags without --server', argv: ['agents', '--socket', '/x.sock', '--pki-dir', '/pki'], stderr: /^airlock agents: --pki-dir is for TCP with mTLS: give --server HOST:PORT too/ },
  ];
  for (const c of usage) {
    it(`exit 2, one line on stderr: ${c.desc}`, async () => {
      const r = await run(...c.argv);
      assert.equal(r.code, 2);
      assert.equal(r.err.length, 1, r.err.join('\n'));
      assert.match(r.err[0], c.stderr);
      assert.deepEqual(r.out, []);
    });
  }

  it('admin commands: no socket at the path is exit 1 with what to check', async () => {
    const path = join(root, 'no-such.sock');
    const r = await run('agents', '--socket', path);
    assert.equal(r.code, 1);
    assert.deepEqual(r.err, [`airlock agents: no Admin API socket at ${path}: is the authenticator running, with admin.socket ${path}? (--socket PATH for another one, --server HOST:PORT for TCP with mTLS)`]);
  });

  it('--help lists the commands, exit 0', async () => {
    const r = await run('--help');
    assert.equal(r.code, 0);
    assert.match(r.out.join('\n'), /^ {2}pki +create a development CA/m);
  });

  it('pki init --help explains the files, exit 0', async () => {
    const r = await run('pki', 'init', '--help');
    assert.equal(r.code, 0);
    assert.match(r.out.join('\n'), /agent-ID\.pem/);
  });
});

describe('airlock pki init', () => {
  const dir = join(root, 'pki');

  it('writes the PKI and prints one line per file', async () => {
    const r = await run('pki', 'init', '--dir', dir, '--agent', 'ap-1', '--station', 'alice');
    assert.equal(r.code, 0, r.err.join('\n'));
    assert.deepEqual(r.err, []);
    const names = ['ca', 'ca-agent', 'ca-operator', 'ca-station', 'ca-authenticator', 'ca-radius', 'radius-server', 'authenticator', 'authenticator-radsec', 'agent-ap-1', 'station-alice'].flatMap((b) => [`${b}.pem`, `${b}.key`]);
    assert.deepEqual(r.out, names.map((n) => `created  ${join(dir, n)}`));
    assert.equal(statSync(dir).mode & 0o777, 0o700);
    // The agent certificate is issued by the agent CA, which the root issued, and marked as an agent's.
    const ca = new X509Certificate(readFileSync(join(dir, 'ca.pem')));
    const agentCa = new X509Certificate(readFileSync(join(dir, 'ca-agent.pem')));
    const agent = new X509Certificate(readFileSync(join(dir, 'agent-ap-1.pem')));
    assert.equal(agentCa.verify(ca.publicKey), true);
    assert.equal(agent.verify(agentCa.publicKey), true);
    assert.equal(agent.subjectAltName, 'URI:urn:airlock:agent:ap-1');
  });

  it('run again (as the built binary): keeps everything, exit 0', () => {
    const bin = join(dirname(fileURLToPath(import.meta.url)), 'airlock.js');
    const r = spawnSync(process.execPath, [bin, 'pki', 'init', '--dir', dir, '--agent', 'ap-1', '--station', 'alice'], { encoding: 'utf8' });
    assert.equal(r.status, 0, r.stderr);
    assert.equal(r.stderr, '');
    const lines = r.stdout.trimEnd().split('\n');
    assert.equal(lines.length, 22);
    assert.ok(lines.every((l) => l.startsWith('kept     ')), r.stdout);
  });

  it('the built binary: usage error is exit 2 with one line on stderr', () => {
    const bin = join(dirname(fileURLToPath(import.meta.url)), 'airlock.js');
    const r = spawnSync(process.execPath, [bin, 'pki', 'init'], { encoding: 'utf8' });
    assert.equal(r.status, 2);
    assert.equal(r.stdout, '');
    assert.equal(r.stderr.split('\n').filter((l) => l !== '').length, 1);
  });

  it('exit 1 when the CA is incomplete', async () => {
    const d = join(root, 'broken');
    writeDevPki(d, { keyBits: 1024 }); // small keys: this case is about the missing file
    unlinkSync(join(d, 'ca.key'));
    const r = await run('pki', 'init', '--dir', d);
    assert.equal(r.code, 1);
    assert.equal(r.err.length, 1);
    assert.match(r.err[0], /^airlock pki: .*ca\.pem exists without .*ca\.key/);
    assert.equal(existsSync(join(d, 'ca.key')), false);
  });

  it('exit 1 when --dir is a file', async () => {
    const f = join(root, 'a-file');
    writeFileSync(f, 'x');
    const r = await run('pki', 'init', '--dir', f);
    assert.equal(r.code, 1);
    assert.deepEqual(r.err, [`airlock pki: ${f} exists and is not a directory`]);
  });
});
