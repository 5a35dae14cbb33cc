// Seeded subsampling, so a `limit` picks the same examples on every machine and backend.

import { mulberry32, permutation } from "../random/mulberry32.js";

/** A seeded permutation of 0..n-1 (Fisher-Yates). */
export function seededPermutation(n: number, seed: number): number[] {
  return permutation(n, mulberry32(seed));
}

/**
 * `limit` items drawn without replacement with `seed`, kept in their original order (so a subsample
 * reads like the file); all items when limit is undefined or at least the length.
 */
export function subsample<T>(items: readonly T[], limit: number | undefined, seed = 0): T[] {
  if (limit === undefined || limit >= items.length) return items.slice();
  if (!Number.isInteger(limit) || limit < 0) throw new Error(`limit must be a non-negative integer, found ${limit}`);
  const picked = seededPermutation(items.length, seed)
    .slice(0, limit)
    .sort((a, b) => a - b);
  return picked.map((i) => items[i]);
}
