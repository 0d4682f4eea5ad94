// The authenticator's HTTP port (DESIGN.md "Observability contract"): GET /metrics
// (Prometheus text exposition format), /healthz (liveness) and /readyz (readiness; what is
// degraded with ?verbose=1).
// Routes are a table, so a status page at / and JSON endpoints can be added without
// touching the server code.
import { createServer, type IncomingMessage, type ServerResponse } from 'node:http';
import type { AddressInfo, Socket } from 'node:net';
import type { Logger } from 'pino';
import type { Registry } from 'prom-client';
import { connectionSource } from './connection-gate.js';
import { listenError } from './operator-error.js';

/** What a route answers. */
export interface HttpResponse {
  status: number;
  contentType: string;
  body: string;
  headers?: Record<string, string>;
}

/** A GET route handler; `url` has the path and query of the request. */
export type RouteHandler = (url: URL) => HttpResponse | Promise<HttpResponse>;

/** Options of startHttpEndpoints. */
export interface HttpEndpointsOptions {
  /** "host:port"; port 0 picks a free port; an IPv6 host goes in brackets. */
  listen: string;
  /** What /metrics serves: a prom-client Registry, or anything that renders the same way (cluster: the workers' sum). */
  registry: Pick<Registry, 'contentType' | 'metrics'>;
  /** Whether the service is ready for traffic (/readyz). */
  ready: () => boolean;
  /**
   * What works only in part, for /readyz?verbose=1 (e.g. 802.1X with no RADIUS server alive);
   * it does not change /readyz's status code (see readiness()). Absent: nothing is.
   */
  degraded?: () => Promise<readonly Degraded[]>;
  /** Whether the process is healthy (/healthz); always true when absent. */
  live?: () => boolean;
  logger?: Logger;
  /** Extra routes by exact path (e.g. "/" or "/api/stations"); they may not replace the built-in ones. */
  routes?: Record<string, RouteHandler>;
  /**
   * Connection caps, so a flood of idle connections cannot take the descriptors or every
   * slot: `max` at once, `perSource` of them from one source (connectionSource); beyond
   * either a connection is closed at once and `refused` is told. Without it, no cap.
   */
  connections?: { max: number; perSource: number; refused(reason: 'connections' | 'source_connections', source: string): void };
}

/** A running HTTP endpoint server. */
export interface HttpEndpoints {
  /** The port actually bound (useful with port 0). */
  port: number;
  /** Stops listening and closes open connections. */
  close(): Promise<void>;
}

const TEXT = 'text/plain; charset=utf-8';

/** One part of the service that works only in part (radius-health.ts Degradation has this shape). */
export interface Degraded {
  component: string;
  reason: string;
  impact: string;
}

/**
 * /readyz. The status code says whether to send agents here: 200 ready, 503 not ready
 * (starting, stopping, or a cluster without a worker). A degraded service is still ready, on
 * purpose: with no RADIUS server alive, PSK joins and PMKSA-cached roams still work, and a 503
 * would make the orchestrator (compose's healthcheck, a load balancer) take away those too —
 * and restarting the authenticator cannot bring a RADIUS server back. So, as an AP keeps its
 * BSS up while its RADIUS server is away, degraded is 200 with `"degraded": [...]`.
 *
 * The plain body stays "ready" / "not ready" for text clients; `?verbose=1` (or
 * `?format=json`) answers JSON: { status: ready | degraded | not ready, ready, degraded: [...] },
 * each degraded entry saying what, why, the impact and (RADIUS) which servers since when.
 */
async function readiness(url: URL, ready: boolean, degraded: HttpEndpointsOptions['degraded'], logger: Logger | undefined): Promise<HttpResponse> {
  const verbose = url.searchParams.get('format') === 'json' || (url.searchParams.has('verbose') && !['0', 'false'].includes(url.searchParams.get('verbose') ?? ''));
  const status = ready ? 200 : 503;
  if (!verbose) return text(status, ready ? 'ready' : 'not ready');
  let parts: readonly Degraded[] = [];
  try {
    parts = (await degraded?.()) ?? [];
  } catch (err) {
    logger?.warn({ err: err instanceof Error ? err.message : String(err) }, '/readyz: cannot tell what is degraded');
  }
  const body = { status: !ready ? 'not ready' : parts.length > 0 ? 'degraded' : 'ready', ready, degraded: parts };
  return { status, contentType: 'application/json; charset=utf-8', body: `${JSON.stringify(body)}\n` };
}

function text(status: number, body: string): HttpResponse {
  return { status, contentType: TEXT, body: body.endsWith('\n') ? body : `${body}\n` };
}

/** Splits "host:port" / "[v6]:port" into the parts node:net expects. */
export function splitListen(listen: string): { host: string; port: number } {
  const m = /^(?:\[([0-9A-Fa-f:.]+)\]|([^\s:[\]]+)):(\d{1,5})$/.exec(listen);
  const port = m === null ? NaN : Number(m[3]);
  if (m === null || port > 65535) throw new Error(`http listen address must be "host:port" with port 0..65535, got ${JSON.stringify(listen)}`);
  return { host: m[1] ?? m[2], port };
}

/** Starts the HTTP server for /metrics, /healthz and /readyz; resolves once it listens. */
export async function startHttpEndpoints(opts: HttpEndpointsOptions): Promise<HttpEndpoints> {
  const { host, port } = splitListen(opts.listen);
  const live = opts.live ?? (() => true);
  const routes = new Map<string, RouteHandler>([
    ['/metrics', async () => ({ status: 200, contentType: opts.registry.contentType, body: await opts.registry.metrics() })],
    ['/healthz', () => (live() ? text(200, 'ok') : text(503, 'not live'))],
    ['/readyz', (url) => readiness(url, opts.ready(), opts.degraded, opts.logger)],
  ]);
  for (const [path, handler] of Object.entries(opts.routes ?? {})) {
    if (routes.has(path)) throw new Error(`route ${path} is built in`);
    routes.set(path, handler);
  }

  const respond = (req: IncomingMessage, res: ServerResponse, r: HttpResponse): void => {
    const body = Buffer.from(r.body, 'utf8');
    res.writeHead(r.status, { 'content-type': r.contentType, 'content-length': body.length, 'cache-control': 'no-store', ...r.headers });
    // HEAD gets the headers of GET and no body (RFC 9110 §9.3.2).
    res.end(req.method === 'HEAD' ? undefined : body);
  };

  const handle = async (req: IncomingMessage, res: ServerResponse): Promise<void> => {
    req.resume(); // a body is never read; drain it so the connection can be reused
    const url = new URL(req.url ?? '/', 'http://localhost');
    const handler = routes.get(url.pathname);
    if (handler === undefined) return respond(req, res, text(404, 'not found'));
    if (req.method !== 'GET' && req.method !== 'HEAD') {
      return respond(req, res, { ...text(405, 'method not allowed'), headers: { allow: 'GET, HEAD' } });
    }
    respond(req, res, await handler(url));
  };

  // Idle and slow connections are checked every second (Node's default is every 30 s): a
  // connection that sends no complete request headers is closed within headersTimeout + 1 s.
  const server = createServer({ connectionsCheckingInterval: 1000 }, (req, res) => {
    handle(req, res).catch((err: unknown) => {
      opts.logger?.error({ err, path: req.url }, 'http handler failed');
      if (!res.headersSent) respond(req, res, text(500, 'internal error'));
      else res.destroy();
    });
  });
  server.keepAliveTimeout = 5000;
  server.headersTimeout = 10_000;
  server.requestTimeout = 30_000;
  const caps = opts.connections;
  if (caps !== undefined) {
    // Past `max` node:net closes the connection at accept and says so ('drop').
    server.maxConnections = caps.max;
    server.on('drop', (d?: { remoteAddress?: string }) => caps.refused('connections', connectionSource(d?.remoteAddress)));
    const bySource = new Map<string, number>();
    server.on('connection', (socket: Socket) => {
      const source = connectionSource(socket.remoteAddress);
      const n = bySource.get(source) ?? 0;
      if (n >= caps.perSource) {
        socket.destroy();
        caps.refused('source_connections', source);
        return;
      }
      bySource.set(source, n + 1);
      socket.once('close', () => {
        const left = (bySource.get(source) ?? 1) - 1;
        if (left <= 0) bySource.delete(source);
        else bySource.set(source, left);
      });
    });
  }

  await new Promise<void>((resolve, reject) => {
    const onError = (err: NodeJS.ErrnoException): void => reject(listenError('http.listen', opts.listen, err.code, err.message));
    server.once('error', onError);
    server.listen(port, host, () => {
      server.off('error', onError);
      resolve();
    });
  });
  // After listen, a server error (e.g. EMFILE on accept) is logged, never thrown.
  server.on('error', (err) => opts.logger?.error({ err }, 'http server error'));
  server.on('clientError', (_err, socket) => {
    if (socket.writable) socket.end('HTTP/1.1 400 Bad Request\r\nconnection: close\r\n\r\n');
    else socket.destroy();
  });
  const bound = (server.address() as AddressInfo).port;
  opts.logger?.info({ listen: opts.listen, port: bound }, 'http endpoints listening');

  return {
    port: bound,
    close: () =>
      new Promise<void>((resolve, reject) => {
        server.close((err) => (err === undefined ? resolve() : reject(err)));
        server.closeAllConnections();
      }),
  };
}
