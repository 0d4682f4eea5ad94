/**
 * The status page (issue 7 item 4) in a real browser: `npm start`'s demo topology (its own
 * script, with 2 agents x 6 stations) and Debian's headless Chromium driven by
 * playwright-core. The page, built from /api/status, must show the demo's agents, every
 * BSS, and stations by state adding up to what the authenticator's /metrics counts.
 */
import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { spawn, type ChildProcess } from 'node:child_process';
import { existsSync } from 'node:fs';
import { join } from 'node:path';
import { chromium, type Browser } from 'playwright-core';
import { parsePrometheusText } from '@airlock/authenticator';
import { REPO_ROOT } from '../support/authenticator-process.js';
import { waitFor } from '../support/topology.js';

const CHROMIUM = '/usr/bin/chromium';
const AGENTS = 2;
const STATIONS = 6;

void describe('status page', () => {
  let demo: ChildProcess;
  let browser: Browser;
  let base = '';
  let output = '';

  before(async () => {
    if (!existsSync(CHROMIUM)) throw new Error(`Chromium is not installed (${CHROMIUM}): apt-get install -y chromium`);
    demo = spawn(process.execPath, [join(REPO_ROOT, 'scripts/demo.mjs')], { cwd: REPO_ROOT, env: { ...process.env, AIRLOCK_DEMO_AGENTS: String(AGENTS), AIRLOCK_DEMO_STATIONS: String(STATIONS) }, stdio: ['ignore', 'pipe', 'pipe'] });
    demo.stdout!.on('data', (c: Buffer) => (output += c.toString('utf8')));
    demo.stderr!.on('data', (c: Buffer) => (output += c.toString('utf8')));
    assert.ok(await waitFor(() => /status page: (http:\/\/127\.0\.0\.1:\d+)\//.test(output), 20_000), `the demo prints its status page address:\n${output}`);
    base = /status page: (http:\/\/127\.0\.0\.1:\d+)\//.exec(output)![1];
    browser = await chromium.launch({ executablePath: CHROMIUM, args: ['--no-sandbox', '--disable-gpu'] });
  });
  after(async () => {
    await browser?.close();
    if (demo !== undefined && demo.exitCode === null) {
      demo.kill('SIGINT');
      await new Promise((r) => demo.once('exit', r));
    }
  });

  void it('shows the demo\'s agents, BSSes and stations by state, as /metrics counts them', async () => {
    const metrics = async (): Promise<Map<string, number>> => {
      try {
        return parsePrometheusText(await (await fetch(`${base}/metrics`)).text());
      } catch {
        return new Map(); // the demo starts the authenticator right after printing its address
      }
    };
    assert.ok(await waitFor(async () => ((await metrics()).get('airlock_stations{state="authorized"}') ?? 0) >= STATIONS, 20_000), 'the demo\'s stations are joining');
    const page = await browser.newPage();
    const errors: string[] = [];
    page.on('pageerror', (e) => errors.push(e.message));
    await page.goto(`${base}/`);
    assert.equal(await page.title(), 'airlock authenticator');
    // Browser-side expressions as strings: this project compiles without the DOM types.
    const cellsOf = (table: string): Promise<string[][]> => page.evaluate(`[...document.querySelectorAll('${table} tbody tr')].map((tr) => [...tr.querySelectorAll('td')].map((td) => td.textContent ?? ''))`);
    // page.evaluate (CDP) rather than waitForFunction, whose polling evaluates the predicate in the page, which the status page's CSP (no 'unsafe-eval') refuses.
    assert.ok(await waitFor(async () => (await page.evaluate(`document.querySelectorAll('#agents tbody tr').length === ${AGENTS}`)) === true, 10_000), `document.querySelectorAll('#agents tbody tr').length === ${AGENTS}`);
    const agents = await cellsOf('#agents');
    assert.deepEqual(agents.map((r) => [r[0], r[1]]), [['ap-1', 'connected'], ['ap-2', 'connected']]);
    const bsses = await cellsOf('#bsses');
    assert.equal(bsses.length, 2 * AGENTS, 'every BSS of the demo');
    assert.ok(bsses.every((r) => r[1] === 'airlock-demo' && /^ap-[12]$/.test(r[2])));
    // The cards and the BSS table agree with each other and with /metrics (the demo churns:
    // compare one page refresh with the /api/status it was drawn from).
    const cards = await page.evaluate<number[]>(`[...document.querySelectorAll('.card b')].map((b) => Number(b.textContent))`);
    const [nAgents, nBsses, authorized, authenticating, associated] = cards;
    assert.equal(nAgents, AGENTS);
    assert.equal(nBsses, 2 * AGENTS);
    assert.equal(authorized, bsses.reduce((n, r) => n + Number(r[3]), 0), 'authorized card = sum over the BSS table');
    assert.ok(authorized + authenticating + associated <= AGENTS * STATIONS && authorized > 0);
    const m = await metrics();
    assert.ok(Math.abs((m.get('airlock_stations{state="authorized"}') ?? 0) - authorized) <= 3, 'the page agrees with /metrics (within the churn of two seconds)');
    // Handshakes over the last minutes: the chart has bars, the rates line counts the joins.
    assert.ok(await waitFor(async () => (await page.evaluate(`document.querySelectorAll('#chart rect.ok').length > 0`)) === true, 10_000), `document.querySelectorAll('#chart rect.ok').length > 0`);
    assert.match((await page.textContent('#rates')) ?? '', /^last minute [\d.]+\/s \(\d+ failed\) · last 5 minutes/);
    assert.deepEqual(errors, [], 'no script error on the page');
    await page.close();
  });
});
