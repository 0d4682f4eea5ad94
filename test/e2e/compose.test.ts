/**
 * docker-compose.yml without Docker (issue 7 item 1): no Docker engine runs here, so
 *
 * a. Debian's docker-compose validates the file (`docker-compose config`: the compose
 *    schema, anchors and merges, variable interpolation, depends_on conditions), and
 * b. the topology runs as local processes: the resolved file (what `docker-compose config`
 *    prints) is read and each service's command runs with its environment and its mounted
 *    files, in depends_on order, each waiting for its own healthcheck. What changes on
 *    loopback, and only that: container paths become the mounted host paths (a mounted
 *    config file is copied with its container paths mapped the same way), service names
 *    become loopback addresses and ports move to free ones (one address for everyone), and
 *    FreeRADIUS is the Debian package with the same mounted files in its configuration
 *    directory. The stations of both agents must be authorized: PSK and EAP-TTLS through
 *    FreeRADIUS, over mTLS with the certificates the pki job made.
 */
import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { spawn, spawnSync, type ChildProcess } from 'node:child_process';
import { existsSync, mkdirSync, mkdtempSync, openSync, closeSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { parse } from 'yaml';
import { parsePrometheusText } from '@airlock/authenticator';
import { freeTcpPort, REPO_ROOT } from '../support/authenticator-process.js';
import { startFreeRadius, type FreeRadius } from '../support/freeradius.js';
import { waitFor } from '../support/topology.js';

const COMPOSE = join(REPO_ROOT, 'docker-compose.yml');

interface Service {
  command?: string[];
  environment?: Record<string, string>;
  volumes?: string[];
  depends_on?: Record<string, { condition: string }>;
  healthcheck?: { test?: string[]; disable?: boolean };
  image?: string;
}

function dockerCompose(args: string[], file = COMPOSE): { status: number | null; stdout: string; stderr: string } {
  // The compose file's own defaults, not whatever this machine's environment sets.
  const env = Object.fromEntries(Object.entries(process.env).filter(([k]) => !k.startsWith('AIRLOCK')));
  const r = spawnSync('docker-compose', ['-f', file, ...args], { cwd: REPO_ROOT, env, encoding: 'utf8' });
  if (r.error !== undefined) throw new Error(`cannot run docker-compose (${r.error.message}): install the Debian package \`docker-compose\` (apt-get install -y docker-compose)`);
  return { status: r.status, stdout: r.stdout, stderr: r.stderr };
}

void describe('docker-compose.yml', () => {
  void it('a. is valid for docker-compose (schema, interpolation, depends_on conditions), and an invalid one is not', () => {
    const r = dockerCompose(['config', '-q']);
    assert.equal(r.status, 0, r.stderr);
    // The check is real: the same file with an unknown key in a service fails.
    const dir = mkdtempSync(join(tmpdir(), 'airlock-compose-bad-'));
    try {
      const bad = join(dir, 'docker-compose.yml');
      writeFileSync(bad, readFileSync(COMPOSE, 'utf8').replace('  authenticator:\n', '  authenticator:\n    restartt: always\n'));
      const b = dockerCompose(['config', '-q'], bad);
      assert.notEqual(b.status, 0);
      assert.match(b.stderr, /restartt/);
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
    const services = (parse(dockerCompose(['config']).stdout) as { services: Record<string, Service> }).services;
    assert.deepEqual(Object.keys(services).sort(), ['agent-1', 'agent-2', 'authenticator', 'freeradius', 'pki']);
    assert.match(services.freeradius.image ?? '', /^freeradius\/freeradius-server:/);
    const dockerfile = readFileSync(join(REPO_ROOT, 'deploy/Dockerfile'), 'utf8');
    assert.match(dockerfile, /npm ci --omit=dev/);
    assert.match(dockerfile, /^USER node$/m, 'runs as non-root');
    assert.ok((dockerfile.match(/^FROM /gm) ?? []).length >= 2, 'multi-stage');
    for (const name of ['freeradius', 'authenticator', 'agent-1', 'agent-2']) assert.ok(services[name].healthcheck?.test !== undefined, `${name} has a health check`);
  });

  void describe('b. the topology as local processes', () => {
    let dir: string;
    let services: Record<string, Service>;
    const procs: ChildProcess[] = [];
    let radius: FreeRadius | undefined;
    let grpcPort = 0;
    let httpPort = 0;

    before(async () => {
      dir = mkdtempSync(join(tmpdir(), 'airlock-compose-'));
      const r = dockerCompose(['config']);
      assert.equal(r.status, 0, r.stderr);
      services = (parse(r.stdout) as { services: Record<string, Service> }).services;
      grpcPort = await freeTcpPort();
      httpPort = await freeTcpPort();
    });
    after(async () => {
      for (const p of procs) p.kill('SIGTERM');
      await Promise.all(procs.filter((p) => p.exitCode === null && p.signalCode === null).map((p) => new Promise((r) => p.once('exit', r))));
      await radius?.stop();
      rmSync(dir, { recursive: true, force: true });
    });

    /** Named volumes live under dir/volumes. */
    const volumePath = (name: string): string => join(dir, 'volumes', name);

    /** A service's mounts: container path -> host path (a mounted airlock config file is translated into dir). */
    function mounts(name: string): [string, string][] {
      const out: [string, string][] = [];
      for (const v of services[name].volumes ?? []) {
        const [source, target] = v.split(':');
        const host = source.startsWith('/') ? source : volumePath(source);
        if (!source.startsWith('/')) mkdirSync(host, { recursive: true });
        out.push([target, host]);
      }
      return out.sort((a, b) => b[0].length - a[0].length);
    }

    /** What changes on loopback (see the module comment), for strings of service `name`. */
    function translator(name: string): (s: string) => string {
      const m = mounts(name);
      const own = join(dir, name);
      const ports: [RegExp, string][] = [
        [/\bauthenticator:50051\b/g, `localhost:${grpcPort}`],
        [/127\.0\.0\.1:9464\b/g, `127.0.0.1:${httpPort}`],
        [/127\.0\.0\.1:1812\b/g, `127.0.0.1:${radius?.authPort ?? 1812}`],
      ];
      return (s) => {
        // The container's own /tmp first (the host paths below may live under /tmp themselves).
        let t = s.replaceAll('$$', '$').replace(/(^|[\s"'=])\/tmp\//g, `$1${own}/tmp/`);
        for (const [target, host] of m) t = t.replaceAll(target, host);
        for (const [re, to] of ports) t = t.replace(re, to);
        return t === 'freeradius' ? '127.0.0.1' : t;
      };
    }

    /** Environment and command of a service, translated; a mounted YAML file gets a translated copy. */
    function localProcess(name: string, extraEnv: Record<string, string> = {}): { args: string[]; env: Record<string, string> } {
      const tr = translator(name);
      mkdirSync(join(dir, name, 'tmp'), { recursive: true });
      const args = (services[name].command ?? []).map((a) => {
        const t = tr(a);
        if (t !== a && t.endsWith('.yaml') && existsSync(t) && statSync(t).isFile()) {
          const copy = join(dir, name, 'config', t.split('/').pop()!);
          mkdirSync(dirname(copy), { recursive: true });
          writeFileSync(copy, tr(readFileSync(t, 'utf8')));
          return copy;
        }
        return t;
      });
      const env: Record<string, string> = {};
      for (const [k, v] of Object.entries(services[name].environment ?? {})) env[k] = tr(String(v));
      return { args, env: { ...env, ...extraEnv } };
    }

    function spawnService(name: string, args: string[], env: Record<string, string>): ChildProcess {
      const log = openSync(join(dir, `${name}.log`), 'w');
      const clean = Object.fromEntries(Object.entries(process.env).filter(([k]) => !k.startsWith('AIRLOCK')));
      const p = spawn(args[0] === 'node' ? process.execPath : args[0], args.slice(1), { cwd: REPO_ROOT, env: { ...clean, ...env }, stdio: ['ignore', log, log] });
      closeSync(log);
      procs.push(p);
      return p;
    }

    /** Runs a service's healthcheck command locally; true when it exits 0. */
    function healthy(name: string, env: Record<string, string>): boolean {
      const test = services[name].healthcheck?.test ?? [];
      const tr = translator(name);
      const clean = Object.fromEntries(Object.entries(process.env).filter(([k]) => !k.startsWith('AIRLOCK')));
      const opts = { cwd: REPO_ROOT, env: { ...clean, ...env }, encoding: 'utf8' as const, timeout: 10_000 };
      if (test[0] === 'CMD-SHELL') return spawnSync('/bin/sh', ['-c', tr(test[1])], opts).status === 0;
      if (test[0] === 'CMD') {
        const cmd = test.slice(1).map(tr);
        return spawnSync(cmd[0] === 'node' ? process.execPath : cmd[0], cmd.slice(1), opts).status === 0;
      }
      throw new Error(`${name}: healthcheck test ${JSON.stringify(test)} is neither CMD nor CMD-SHELL`);
    }

    const logOf = (name: string): string => (existsSync(join(dir, `${name}.log`)) ? readFileSync(join(dir, `${name}.log`), 'utf8').slice(-3000) : '(no log)');

    void it('pki, freeradius, authenticator, agent-1 and agent-2 start in depends_on order, each healthy, and every station is authorized', async () => {
      // pki: a one-shot job that must complete successfully.
      const pki = localProcess('pki');
      const job = spawnService('pki', pki.args, pki.env);
      const code = await new Promise<number | null>((resolve) => job.once('exit', (c) => resolve(c)));
      assert.equal(code, 0, `pki job: ${logOf('pki')}`);
      const pkiDir = volumePath('pki');
      for (const f of ['ca.pem', 'authenticator.pem', 'radius-server.pem', 'agent-ap-1.pem', 'agent-ap-2.pem']) assert.ok(existsSync(join(pkiDir, f)), f);

      // freeradius: the Debian package, with the service's mounted files in its configuration.
      assert.deepEqual(Object.keys(services.freeradius.depends_on ?? {}), ['pki']);
      const overlay: Record<string, string> = {};
      for (const [target, host] of mounts('freeradius')) {
        assert.ok(target.startsWith('/etc/raddb/'), target);
        overlay[target.slice('/etc/raddb/'.length)] = host;
      }
      const frEnv = localProcess('freeradius').env;
      radius = await startFreeRadius({
        secret: frEnv.AIRLOCK_RADIUS_SECRET,
        users: [],
        pki: { caCert: join(pkiDir, 'ca.pem'), stationCa: join(pkiDir, 'ca-station.pem'), serverCert: join(pkiDir, 'radius-server.pem'), serverKey: join(pkiDir, 'radius-server.key') },
        tlsMaxVersion: '1.3',
        overlay,
        env: frEnv,
      });
      assert.ok(await waitFor(() => healthy('freeradius', frEnv), 10_000), `freeradius healthcheck; log:\n${radius.log().slice(-3000)}`);

      // authenticator: its listen addresses and the RADIUS ports move to free loopback ones.
      const auth = localProcess('authenticator', {
        AIRLOCK__GRPC__LISTEN: `127.0.0.1:${grpcPort}`,
        AIRLOCK__HTTP__LISTEN: `127.0.0.1:${httpPort}`,
        // The image's /run/airlock is the test's own directory here.
        AIRLOCK__ADMIN__SOCKET: join(dir, 'admin.sock'),
        AIRLOCK__RADIUS__SERVERS__0__AUTH_PORT: String(radius.authPort),
        AIRLOCK__RADIUS__SERVERS__0__ACCT_PORT: String(radius.acctPort),
      });
      assert.equal(auth.env.AIRLOCK__RADIUS__SERVERS__0__HOST, '127.0.0.1');
      spawnService('authenticator', auth.args, auth.env);
      assert.ok(await waitFor(() => healthy('authenticator', auth.env), 20_000), `authenticator healthcheck; log:\n${logOf('authenticator')}`);

      // agents, once the authenticator is healthy.
      for (const name of ['agent-1', 'agent-2']) {
        assert.equal(services[name].depends_on?.authenticator?.condition, 'service_healthy');
        const a = localProcess(name);
        spawnService(name, a.args, a.env);
      }
      for (const name of ['agent-1', 'agent-2']) {
        const env = localProcess(name).env;
        assert.ok(await waitFor(() => healthy(name, env), 20_000), `${name} healthcheck; log:\n${logOf(name)}`);
      }

      const metrics = async (): Promise<Map<string, number>> => parsePrometheusText(await (await fetch(`http://127.0.0.1:${httpPort}/metrics`)).text());
      const all = await waitFor(async () => (await metrics()).get('airlock_stations{state="authorized"}') === 30, 30_000);
      const m = await metrics();
      assert.ok(all, `30 stations authorized (got ${m.get('airlock_stations{state="authorized"}')}); authenticator log:\n${logOf('authenticator')}`);
      assert.equal(m.get('airlock_agents_connected'), 2);
      assert.ok((m.get('airlock_eap_authentications_total{result="accept"}') ?? 0) >= 10, 'agent-2\'s 10 stations through FreeRADIUS');
      assert.equal(m.get('airlock_eap_authentications_total{result="reject"}') ?? 0, 0);
      assert.equal(m.get('airlock_handshakes_total{result="mic_failure"}') ?? 0, 0);
      console.log(`compose topology on loopback: 2 agents, 30 stations authorized (20 PSK, 10 EAP-TTLS via FreeRADIUS), EAP accepts ${m.get('airlock_eap_authentications_total{result="accept"}')}`);
    });
  });
});
