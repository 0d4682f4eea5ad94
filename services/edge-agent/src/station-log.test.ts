import { test } from 'node:test';
import assert from 'node:assert/strict';
import pino from 'pino';
import { STATION_LOG_LIMITS, StationLog } from './station-log.js';

/** A pino logger into memory. */
function memory(): { logger: pino.Logger; lines: () => Record<string, unknown>[] } {
  const chunks: string[] = [];
  const logger = pino({ level: 'info' }, { write: (s: string) => void chunks.push(s) });
  return { logger, lines: () => chunks.join('').split('\n').filter((l) => l !== '').map((l) => JSON.parse(l) as Record<string, unknown>) };
}

void test('station lines: a station spoofing MACs on one BSS gets that BSS 20 lines and a summary; another BSS keeps its own', () => {
  const { logger, lines } = memory();
  const log = new StationLog(logger, () => 0);
  for (let i = 0; i < 5000; i++) {
    const sta = `02:77:00:00:${((i >> 8) & 0xff).toString(16).padStart(2, '0')}:${(i & 0xff).toString(16).padStart(2, '0')}`;
    log.write('info', '02a100010001', 'associated', { sta, bssid: '02:a1:00:01:00:01' }, 'station associated');
  }
  assert.equal(lines().length, STATION_LOG_LIMITS.burst);
  assert.equal(log.write('info', '02a100010002', 'associated', { sta: '02:5a:00:01:00:01', bssid: '02:a1:00:01:00:02' }, 'station associated'), true);
  log.close();
  const out = lines();
  assert.equal(out.length, STATION_LOG_LIMITS.burst + 2);
  const summary = out.at(-1)!;
  assert.equal(summary['msg'], `${5000 - STATION_LOG_LIMITS.burst} similar messages suppressed: station associated`);
  assert.equal(summary['sourceKey'], '02a100010001|associated');
  assert.equal(summary['source'], 'station');
});
