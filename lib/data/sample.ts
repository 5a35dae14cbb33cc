// Seeded subsampling, so a `limit` picks the same examples on every machine and backend.

/** mulberry32: a tiny 32-bit PRNG; plenty for shuffling evaluation sets, and identical everywhere. */
export function seededRandom(seed: number): () => number {
  if (!Number.isFinite(seed)) throw new Error(`seed must be a finite number, found ${seed}`);
  let a = Math.trunc(seed) >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

/** A seeded permutation of 0..n-1 (Fisher-Yates). */
export function seededPermutation(n: number, seed: number): number[] {
  const rand = seededRandom(seed);
  const idx = Array.from({ length: n }, (_, i) => i);
  for (let i = n - 1; i > 0; i--) {
    const j = Math.floor(rand() * (i + 1));
    [idx[i], idx[j]] = [idx[j], idx[i]];
  }
  return idx;
}

/**
 * `limit` items drawn without replacement with `seed`, kept in their original order (so a subsample
 * reads like the file); all items when limit is undefined or at least the length.
 */
export function subsample<T>(items: readonly T[], limit: number | undefined, seed = 0): T[] {
  if (limit === undefined || limit >= items.length) return items.slice();
  if (!Number.isInteger(limit) || limit < 0) throw new Error(`limit must be a non-negative integer, found ${limit}`);
  const picked = seededPermutation(items.length, seed).slice(0, limit).sort((a, b) => a - b);
  return picked.map((i) => items[i]);
}
