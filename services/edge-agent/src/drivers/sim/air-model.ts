/**
 * The sim's air: each frame is lost, delayed, duplicated or held back (so a later frame
 * overtakes it) with configured probabilities. Decisions come from a seeded PRNG so a run
 * can be replayed.
 */

/** Air-model knobs (probabilities 0..1, delays in ms). */
export interface AirModel {
  lossRate: number;
  minDelayMs: number;
  maxDelayMs: number;
  duplicateRate: number;
  /** Probability that a frame is held back by `reorderDelayMs` extra. */
  reorderRate: number;
  reorderDelayMs: number;
}

/** A clean, fast air. */
export const PERFECT_AIR: AirModel = { lossRate: 0, minDelayMs: 0, maxDelayMs: 0, duplicateRate: 0, reorderRate: 0, reorderDelayMs: 0 };

/** mulberry32: small, fast, seedable PRNG (decisions only, never keys). */
export function seededRandom(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

/** Delivery plan for one frame: the delays of each copy (empty = lost). */
export function planDelivery(air: AirModel, rnd: () => number): number[] {
  if (air.lossRate > 0 && rnd() < air.lossRate) return [];
  const delay = (): number => {
    let d = air.minDelayMs + (air.maxDelayMs - air.minDelayMs) * rnd();
    if (air.reorderRate > 0 && rnd() < air.reorderRate) d += air.reorderDelayMs;
    return d;
  };
  const out = [delay()];
  if (air.duplicateRate > 0 && rnd() < air.duplicateRate) out.push(delay());
  return out;
}
