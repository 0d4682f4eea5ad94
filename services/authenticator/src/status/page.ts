/**
 * The status page at `/` of the authenticator's HTTP port: read-only, self-contained (no
 * external script, style or font), refreshed from GET /api/status every two seconds.
 * Agents, BSSes, stations by state, handshakes per 10 s over the last ten minutes
 * with their failures, and the RADIUS servers (state, since when, RTT, last error). Data is inserted as text nodes only (never as HTML).
 */
import type { HttpResponse } from '../http-endpoints.js';
import type { AdminBackend } from '../admin/backend.js';

const PAGE = `<!doctype html>
<html lang="en">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<title>airlock authenticator</title>
<style>
  body { font: 14px/1.4 system-ui, sans-serif; margin: 1.5em; color: #1d2330; background: #fafbfc; }
  h1 { font-size: 1.3em; margin: 0 0 .2em; }
  h2 { font-size: 1.05em; margin: 1.4em 0 .4em; }
  .muted { color: #68707d; }
  .cards { display: flex; gap: 1em; flex-wrap: wrap; margin-top: .8em; }
  .card { background: #fff; border: 1px solid #dde1e6; border-radius: 6px; padding: .6em 1em; min-width: 8em; }
  .card b { display: block; font-size: 1.6em; }
  table { border-collapse: collapse; background: #fff; min-width: 40em; }
  th, td { border: 1px solid #dde1e6; padding: .25em .6em; text-align: left; }
  th { background: #f0f2f5; font-weight: 600; }
  td.n { text-align: right; font-variant-numeric: tabular-nums; }
  svg { background: #fff; border: 1px solid #dde1e6; border-radius: 6px; }
  .ok { fill: #2f9e44; } .fail { fill: #e03131; }
  .error { color: #e03131; }
</style>
</head>
<body>
<h1>airlock authenticator</h1>
<div class="muted" id="updated">loading…</div>
<div class="cards">
  <div class="card">agents<b id="n-agents">-</b></div>
  <div class="card">BSSes<b id="n-bsses">-</b></div>
  <div class="card">authorized<b id="n-authorized">-</b></div>
  <div class="card">authenticating<b id="n-authenticating">-</b></div>
  <div class="card">associated<b id="n-associated">-</b></div>
</div>
<h2>Handshakes, last 10 minutes</h2>
<div id="rates" class="muted"></div>
<svg id="chart" width="720" height="140" role="img" aria-label="handshakes per 10 seconds"></svg>
<h2>Failures, last 15 minutes</h2>
<div id="failures-none" class="muted">none</div>
<table id="failures"><thead><tr><th>last</th><th>BSSID</th><th>agent</th><th>what happened</th></tr></thead><tbody></tbody></table>
<h2>Agents</h2>
<table id="agents"><thead><tr><th>agent</th><th>state</th><th>stations</th><th>BSSIDs</th></tr></thead><tbody></tbody></table>
<h2>BSSes</h2>
<table id="bsses"><thead><tr><th>BSSID</th><th>SSID</th><th>agent</th><th>authorized</th><th>authenticating</th><th>associated</th></tr></thead><tbody></tbody></table>
<h2>RADIUS servers</h2>
<table id="radius"><thead><tr><th>server</th><th>address</th><th>state</th><th>since</th><th>RTT last / smoothed</th><th>last error</th></tr></thead><tbody></tbody></table>
<script>
"use strict";
const $ = (id) => document.getElementById(id);
function rows(table, data, cells) {
  const body = $(table).tBodies[0];
  body.replaceChildren(...data.map((d) => {
    const tr = document.createElement("tr");
    for (const [text, numeric] of cells(d)) {
      const td = document.createElement("td");
      td.textContent = String(text);
      if (numeric) td.className = "n";
      tr.append(td);
    }
    return tr;
  }));
}
function chart(buckets) {
  const svg = $("chart");
  const ns = "http://www.w3.org/2000/svg";
  const w = 720, h = 140, pad = 18, bw = (w - 2 * pad) / Math.max(1, buckets.length);
  const total = (b) => Object.values(b.counts).reduce((a, c) => a + c, 0);
  const max = Math.max(1, ...buckets.map(total));
  const nodes = [];
  buckets.forEach((b, i) => {
    const ok = b.counts.success || 0, fail = total(b) - ok;
    const x = pad + i * bw;
    for (const [n, cls, y0] of [[ok, "ok", 0], [fail, "fail", ok]]) {
      if (n === 0) continue;
      const r = document.createElementNS(ns, "rect");
      const hh = (n / max) * (h - 2 * pad), y = h - pad - (y0 / max) * (h - 2 * pad) - hh;
      r.setAttribute("x", String(x + 1)); r.setAttribute("y", String(y));
      r.setAttribute("width", String(Math.max(1, bw - 2))); r.setAttribute("height", String(hh));
      r.setAttribute("class", cls);
      const t = document.createElementNS(ns, "title");
      t.textContent = new Date(b.start).toLocaleTimeString() + ": " + n + (cls === "ok" ? " succeeded" : " failed");
      r.append(t);
      nodes.push(r);
    }
  });
  const label = document.createElementNS(ns, "text");
  label.setAttribute("x", String(pad)); label.setAttribute("y", "13"); label.setAttribute("font-size", "11");
  label.textContent = "max " + max + " per 10 s (green: success, red: failed)";
  nodes.push(label);
  svg.replaceChildren(...nodes);
}
function ago(t, now) {
  let s = Math.max(0, Math.round((now - t) / 1000));
  const h = Math.floor(s / 3600), m = Math.floor((s % 3600) / 60);
  s %= 60;
  return (h > 0 ? h + "h" + m + "m" : m > 0 ? m + "m" + s + "s" : s + "s") + " ago";
}
function rate(buckets, n) {
  const last = buckets.slice(-n);
  let ok = 0, fail = 0;
  for (const b of last) for (const [k, v] of Object.entries(b.counts)) { if (k === "success") ok += v; else fail += v; }
  return (ok / (n * 10)).toFixed(1) + "/s (" + fail + " failed)";
}
async function refresh() {
  try {
    const res = await fetch("/api/status", { cache: "no-store" });
    if (!res.ok) throw new Error("HTTP " + res.status);
    const s = await res.json();
    $("updated").textContent = "updated " + new Date(s.generatedAtUnixMs).toLocaleTimeString();
    $("updated").className = "muted";
    $("n-agents").textContent = String(s.agents.length);
    $("n-bsses").textContent = String(s.bsses.length);
    for (const k of ["authorized", "authenticating", "associated"]) $("n-" + k).textContent = String(s.stations[k]);
    $("rates").textContent = "last minute " + rate(s.handshakes, 6) + " · last 5 minutes " + rate(s.handshakes, 30) + " · last 10 minutes " + rate(s.handshakes, 60);
    chart(s.handshakes);
    // Agents that went away stay listed, with the time since (bounded and expiring at the authenticator).
    const gone = (s.goneAgents || []).map((g) => ({ agentId: g.agentId, state: "gone " + ago(g.goneAtUnixMs, s.generatedAtUnixMs) + " (" + g.reason + ")", stations: 0, bssids: g.bssids }));
    rows("agents", s.agents.concat(gone), (a) => [[a.agentId], [a.state], [a.stations, true], [a.bssids.join(", ")]]);
    const failures = s.failures || [];
    rows("failures", failures, (f) => [[ago(f.lastAtUnixMs, s.generatedAtUnixMs)], [f.bssid], [f.agentId], [f.text]]);
    $("failures-none").hidden = failures.length > 0;
    $("failures").hidden = failures.length === 0;
    rows("radius", s.radius || [], (r) => [[r.name], [r.address], [(r.alive ? "alive" : "dead") + (r.workersDead > 0 && r.workers > 1 ? " (" + r.workersDead + " of " + r.workers + " workers)" : "")], [new Date(r.sinceUnixMs).toLocaleString()], [r.lastRttMs === undefined ? "-" : r.lastRttMs.toFixed(1) + " / " + r.srttMs.toFixed(1) + " ms"], [r.lastError === undefined ? "-" : r.lastError + " (" + new Date(r.lastErrorUnixMs).toLocaleTimeString() + ")"]]);
    rows("bsses", s.bsses, (b) => [[b.bssid], [b.ssid], [b.agentId + (b.away ? " (away)" : "")], [b.authorized, true], [b.authenticating, true], [b.associated, true]]);
  } catch (e) {
    $("updated").textContent = "cannot read /api/status: " + e.message;
    $("updated").className = "error";
  }
}
refresh();
setInterval(refresh, 2000);
</script>
</body>
</html>
`;

/** The routes of the status page over `backend`. */
export function statusRoutes(backend: AdminBackend): Record<string, () => Promise<HttpResponse> | HttpResponse> {
  return {
    '/': () => ({ status: 200, contentType: 'text/html; charset=utf-8', body: PAGE, headers: { 'content-security-policy': "default-src 'none'; script-src 'unsafe-inline'; style-src 'unsafe-inline'; connect-src 'self'; img-src 'self'" } }),
    '/api/status': async () => ({ status: 200, contentType: 'application/json; charset=utf-8', body: `${JSON.stringify(await backend.status())}\n` }),
  };
}
