/**
 * A small deterministic pseudo-random generator (mulberry32) in [0, 1): the same seed gives the
 * same sequence, so generated corpora and kill points replay exactly.
 *
 * @example
 * ```ts
 * const random = seededRandom(42);
 * const delayMs = Math.floor(random() * 200);
 * ```
 */
export function seededRandom(seed: number): () => number {
  let state = seed >>> 0;
  return () => {
    state = (state + 0x6d2b79f5) >>> 0;
    let t = state;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}
