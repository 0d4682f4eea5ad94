import { test } from 'node:test';
import assert from 'node:assert/strict';
import { request } from 'node:http';
import { connect, type Socket } from 'node:net';
import { createMetrics, parsePrometheusText } from './metrics.js';
import { startHttpEndpoints, type HttpEndpoints } from './http-endpoints.js';

async function withServer(
  opts: { ready?: () => boolean; live?: () => boolean; routes?: Parameters<typeof startHttpEndpoints>[0]['routes'] },
  fn: (base: string, h: HttpEndpoints) => Promise<void>,
): Promise<void> {
  const metrics = createMetrics();
  metrics.handshakes.inc({ result: 'success' });
  const h = await startHttpEndpoints({ listen: '127.0.0.1:0', registry: metrics.registry, ready: opts.ready ?? (() => true), live: opts.live, routes: opts.routes });
  try {
    await fn(`http://127.0.0.1:${h.port}`, h);
  } finally {
    await h.close();
  }
}

void test('GET /metrics serves Prometheus text with its content type', async () => {
  await withServer({}, async (base) => {
    const res = await fetch(`${base}/metrics`);
    assert.equal(res.status, 200);
    assert.match(res.headers.get('content-type') ?? '', /^text\/plain; version=0\.0\.4; charset=utf-8$/);
    const samples = parsePrometheusText(await res.text());
    assert.equal(samples.get('airlock_handshakes_total{result="success"}'), 1);
    assert.equal(samples.get('airlock_agents_connected'), 0);
  });
});

void test('/healthz is 200 "ok" while live, 503 when not', async () => {
  let live = true;
  await withServer({ live: () => live }, async (base) => {
    const ok = await fetch(`${base}/healthz`);
    assert.equal(ok.status, 200);
    assert.equal((await ok.text()).trim(), 'ok');
    live = false;
    const bad = await fetch(`${base}/healthz`);
    assert.equal(bad.status, 503);
    await bad.text();
  });
});

void test('/readyz follows ready()', async () => {
  let ready = false;
  await withServer({ ready: () => ready }, async (base) => {
    const before = await fetch(`${base}/readyz`);
    assert.equal(before.status, 503);
    await before.text();
    ready = true;
    const after = await fetch(`${base}/readyz?verbose=1`);
    assert.equal(after.status, 200);
    await after.text();
  });
});

void test('/readyz: a degraded service is still ready (200); ?verbose=1 says what is degraded in JSON; the plain body is unchanged', async () => {
  let ready = true;
  let parts: { component: string; reason: string; impact: string; servers?: unknown[] }[] = [];
  const metrics = createMetrics();
  const h = await startHttpEndpoints({ listen: '127.0.0.1:0', registry: metrics.registry, ready: () => ready, degraded: () => Promise.resolve(parts) });
  const base = `http://127.0.0.1:${h.port}`;
  try {
    const plain = async (): Promise<[number, string]> => {
      const r = await fetch(`${base}/readyz`);
      return [r.status, await r.text()];
    };
    const verbose = async (q = '?verbose=1'): Promise<[number, string, unknown]> => {
      const r = await fetch(`${base}/readyz${q}`);
      return [r.status, r.headers.get('content-type') ?? '', await r.json()];
    };
    assert.deepEqual(await plain(), [200, 'ready\n']);
    assert.deepEqual(await verbose(), [200, 'application/json; charset=utf-8', { status: 'ready', ready: true, degraded: [] }]);
    parts = [{ component: '802.1x', reason: 'no RADIUS server answers (1 of 1 dead)', impact: '802.1X authentications fail; PSK joins and PMKSA-cached roams still work', servers: [{ name: 'r1', state: 'dead', sinceUnixMs: 5 }] }];
    assert.deepEqual(await plain(), [200, 'ready\n'], 'plain text clients see what they saw');
    assert.deepEqual(await verbose(), [200, 'application/json; charset=utf-8', { status: 'degraded', ready: true, degraded: parts }]);
    assert.deepEqual((await verbose('?format=json'))[2], { status: 'degraded', ready: true, degraded: parts });
    assert.deepEqual(await verbose('?verbose=0').catch(() => 'not json'), 'not json', '?verbose=0 is the plain body');
    ready = false;
    assert.deepEqual(await plain(), [503, 'not ready\n']);
    assert.deepEqual(await verbose(), [503, 'application/json; charset=utf-8', { status: 'not ready', ready: false, degraded: parts }]);
  } finally {
    await h.close();
  }
});

void test('unknown path is 404', async () => {
  await withServer({}, async (base) => {
    for (const path of ['/', '/metrics/', '/nope', '/healthz/x']) {
      const res = await fetch(`${base}${path}`);
      assert.equal(res.status, 404, path);
      await res.text();
    }
  });
});

void test('non-GET is 405 with Allow; HEAD is answered without a body', async () => {
  await withServer({}, async (base) => {
    for (const method of ['POST', 'PUT', 'DELETE']) {
      const res = await fetch(`${base}/metrics`, { method, body: method === 'DELETE' ? undefined : 'x' });
      assert.equal(res.status, 405, method);
      assert.equal(res.headers.get('allow'), 'GET, HEAD');
      await res.text();
    }
    const head = await fetch(`${base}/healthz`, { method: 'HEAD' });
    assert.equal(head.status, 200);
    assert.equal(await head.text(), '');
  });
});

void test('extra routes from the route table; built-in ones cannot be replaced', async () => {
  await withServer({ routes: { '/': () => ({ status: 200, contentType: 'text/html; charset=utf-8', body: '<h1>airlock</h1>' }) } }, async (base) => {
    const res = await fetch(`${base}/`);
    assert.equal(res.status, 200);
    assert.equal(await res.text(), '<h1>airlock</h1>');
  });
  const metrics = createMetrics();
  await assert.rejects(
    startHttpEndpoints({ listen: '127.0.0.1:0', registry: metrics.registry, ready: () => true, routes: { '/metrics': () => ({ status: 200, contentType: 'x', body: '' }) } }),
    /route \/metrics is built in/,
  );
});

void test('a failing handler gives 500 and the server keeps serving', async () => {
  await withServer({ routes: { '/boom': () => { throw new Error('boom'); } } }, async (base) => {
    const res = await fetch(`${base}/boom`);
    assert.equal(res.status, 500);
    await res.text();
    const ok = await fetch(`${base}/healthz`);
    assert.equal(ok.status, 200);
    await ok.text();
  });
});

void test('close() returns while a keep-alive connection is open', async () => {
  const metrics = createMetrics();
  const h = await startHttpEndpoints({ listen: '127.0.0.1:0', registry: metrics.registry, ready: () => true });
  await new Promise<void>((resolve, reject) => {
    const req = request({ host: '127.0.0.1', port: h.port, path: '/healthz', headers: { connection: 'keep-alive' } }, (res) => {
      res.resume();
      res.on('end', resolve);
    });
    req.on('error', reject);
    req.end();
  });
  await h.close();
  await assert.rejects(fetch(`http://127.0.0.1:${h.port}/healthz`));
});

void test('bad listen address and a port in use are rejected with a clear error', async () => {
  const metrics = createMetrics();
  await assert.rejects(startHttpEndpoints({ listen: 'nowhere', registry: metrics.registry, ready: () => true }), /must be "host:port"/);
  await withServer({}, async (_base, h) => {
    await assert.rejects(
      startHttpEndpoints({ listen: `127.0.0.1:${h.port}`, registry: metrics.registry, ready: () => true }),
      (e: Error) => e.name === 'OperatorError' && new RegExp(`^http\\.listen 127\\.0\\.0\\.1:${h.port}: port ${h.port} is already in use by pid ${process.pid} \\(node[^)]*\\); stop that process or set another in http\\.listen \\(or AIRLOCK__HTTP__LISTEN\\)$`).test(e.message),
    );
  });
});

void test('connection caps: one source holds its share, the others still get /healthz; past the total, connections are closed at accept', async () => {
  const metrics = createMetrics();
  const refused: string[] = [];
  const h = await startHttpEndpoints({
    listen: '127.0.0.1:0', registry: metrics.registry, ready: () => true,
    connections: { max: 4, perSource: 2, refused: (reason, source) => refused.push(`${reason} ${source}`) },
  });
  const sockets: Socket[] = [];
  const idle = (localAddress: string): Promise<boolean> => new Promise((resolve) => {
    const s = connect({ port: h.port, host: '127.0.0.1', localAddress });
    sockets.push(s);
    s.on('error', () => undefined);
    s.resume();
    s.once('close', () => resolve(false));
    setTimeout(() => resolve(!s.destroyed), 300);
  });
  const healthz = (localAddress: string): Promise<number> => new Promise((resolve) => {
    const req = request({ host: '127.0.0.1', port: h.port, path: '/healthz', localAddress, agent: false }, (res) => {
      res.resume();
      resolve(res.statusCode ?? 0);
    });
    req.on('error', () => resolve(0));
    req.end();
  });
  try {
    assert.deepEqual((await Promise.all([idle('127.0.0.2'), idle('127.0.0.2'), idle('127.0.0.2')])).sort(), [false, true, true], 'two held, one closed');
    assert.equal(await healthz('127.0.0.3'), 200, 'another source is served');
    assert.deepEqual(await Promise.all([idle('127.0.0.4'), idle('127.0.0.5')]), [true, true]);
    assert.equal(await healthz('127.0.0.6'), 0, 'past max: closed at accept');
    assert.deepEqual(refused, ['source_connections 127.0.0.2', 'connections 127.0.0.6']);
  } finally {
    for (const s of sockets) s.destroy();
    await h.close();
  }
});
