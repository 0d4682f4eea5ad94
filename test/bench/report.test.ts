/**
 * BENCHMARKS.md's generated section (report.ts): rendered from recorded lines only, the
 * latest line of each scenario wins, the targets are judged from them, and re-rendering
 * replaces the section instead of adding one.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { BEGIN, END, readResults, render, targets, latest, updateDocument } from './report.js';
import type { Provenance } from './support/record.js';

const prov = (commit: string, dirty = false): Provenance => ({ commit, dirty, machine: { cpu: 'Test CPU', cores: 2, mem_gib: 24, kernel: '6.1.0' }, node: 'v20.20.2', at: '2026-12-06T19:00:00.000Z', command: 'npm run bench -- --record' });

void test('bench:report: latest line per scenario, targets judged from it, section replaced on re-render', () => {
  const dir = mkdtempSync(join(tmpdir(), 'airlock-bench-report-'));
  try {
    const bench = [
      { scenario: 'psk-burst', handshakes_per_s: 5000, auth_cpu_us_per_handshake: 140, crypto_floor_us_per_handshake: 45, provenance: prov('aaaaaaaaaaaa') },
      { scenario: 'psk-burst', handshakes_per_s: 11000, auth_cpu_us_per_handshake: 80, crypto_floor_us_per_handshake: 45, provenance: prov('bbbbbbbbbbbb', true) },
      { scenario: 'scale', agents: 10000, stations: 100000, rss_kb_per_station: 5.7, rss_kb_per_agent_stream: 88, provenance: prov('bbbbbbbbbbbb') },
      { scenario: 'mass-rejoin', stations: 100000, rejoin_s: 12, handshake_timeouts: 3, provenance: prov('bbbbbbbbbbbb') },
      { scenario: 'sae-burst', handshakes_per_s: 534, auth_cpu_us_per_handshake: 1167.5, crypto_floor_us_per_handshake: 855.3, anti_clogging_threshold: 10000, provenance: prov('bbbbbbbbbbbb') },
    ];
    writeFileSync(join(dir, 'bench.jsonl'), `${bench.map((l) => JSON.stringify(l)).join('\n')}\n`);
    writeFileSync(join(dir, 'interop.jsonl'), `${JSON.stringify({ benchmark: 'interop', method: 'EAP-TLS', ratio: 1.1, provenance: prov('cccccccccccc') })}\n`);
    const results = readResults(dir);
    const rows = targets(latest(results));
    const row = (measure: string): { value: string; verdict: string; from: string } => {
      const r = rows.find((x) => x.measure.startsWith(measure));
      assert.ok(r !== undefined, measure);
      return r;
    };
    assert.equal(row('psk-burst auth_cpu').verdict, 'met', 'the later psk-burst line (80/45 = 1.78x) wins');
    assert.equal(row('psk-burst auth_cpu').value, '1.78x');
    assert.equal(row('psk-burst auth_cpu').from, 'bbbbbbb+ 2026-12-06', 'a dirty tree is marked');
    assert.equal(row('psk-burst handshakes_per_s').verdict, 'met');
    assert.equal(row('scale rss_kb_per_station').verdict, 'missed');
    assert.equal(row('scale rss_kb_per_agent_stream').verdict, 'missed');
    assert.equal(row('mass-rejoin rejoin_s').verdict, 'missed', '12 s, but 3 timeouts');
    assert.equal(row('sae-burst auth_cpu').value, '1.37x');
    assert.equal(row('sae-burst auth_cpu').verdict, 'met');
    assert.ok(rows.some((r) => r.measure === 'sae-burst handshakes_per_s (anti_clogging_threshold 10000)'), 'the threshold of the measured pass is named');
    assert.equal(row('sae-burst handshakes_per_s').verdict, 'met');
    assert.equal(row('bench:interop EAP-TLS ratio').verdict, 'met');
    assert.equal(row('eap-tls ratio').verdict, 'not recorded');
    assert.equal(row('bench:wifi ratio').verdict, 'not recorded');

    const section = render(results);
    assert.ok(section.startsWith(BEGIN) && section.endsWith(END));
    assert.match(section, /"handshakes_per_s":11000/);
    assert.doesNotMatch(section, /"handshakes_per_s":5000/, 'only the latest line of a scenario');
    const doc = updateDocument('# Benchmarks\n\nHand-written analysis.\n', section);
    assert.equal(updateDocument(doc, section), doc, 'rendering again changes nothing');
    assert.equal(doc.split(BEGIN).length, 2);
    assert.match(doc, /Hand-written analysis\./);
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});
