/**
 * The fuzz targets at a small count, in `npm test` (`npm run fuzz` runs 100,000+ each).
 * AIRLOCK_FUZZ_RUNS changes the count.
 */
import { describe, it } from 'node:test';
import { FUZZ_TARGETS } from './targets.js';

const RUNS = Number(process.env.AIRLOCK_FUZZ_RUNS ?? 2000);

void describe('fuzz targets', () => {
  for (const t of FUZZ_TARGETS) {
    void it(`${t.name}: ${t.what} (${RUNS} cases)`, async () => {
      await t.run(RUNS);
    });
  }
});
