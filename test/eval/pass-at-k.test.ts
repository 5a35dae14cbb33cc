import { expect, test } from "vitest";
import { meanPassAtK, passAtK } from "../../lib/eval/pass-at-k.js";

// Exact binomial with BigInt, then 1 - C(n-c,k)/C(n,k) as a ratio: the direct combinatorial form.
function binom(n: number, k: number): bigint {
  if (k < 0 || k > n) return 0n;
  let r = 1n;
  for (let i = 0; i < k; i++) r = (r * BigInt(n - i)) / BigInt(i + 1);
  return r;
}
function direct(n: number, c: number, k: number): number {
  const num = binom(n - c, k);
  const den = binom(n, k);
  // scale to keep 15 significant digits from the BigInt ratio
  const scale = 10n ** 18n;
  return 1 - Number((num * scale) / den) / 1e18;
}

test("matches the direct combinatorial computation over a grid of n, c, k", () => {
  let checked = 0;
  for (const n of [1, 2, 5, 10, 20, 50, 100, 200]) {
    for (let c = 0; c <= n; c += Math.max(1, Math.floor(n / 7))) {
      for (const k of [1, 2, 5, 10, 50, 100]) {
        if (k > n) continue;
        expect(passAtK(n, c, k)).toBeCloseTo(direct(n, c, k), 12);
        checked++;
      }
    }
  }
  expect(checked).toBeGreaterThan(100);
});

test("known values: pass@1 is c/n, all-correct is 1, none-correct is 0", () => {
  expect(passAtK(10, 3, 1)).toBeCloseTo(0.3, 14);
  expect(passAtK(7, 7, 3)).toBe(1);
  expect(passAtK(7, 0, 3)).toBe(0);
  // n=4, c=1, k=2: 1 - C(3,2)/C(4,2) = 1 - 3/6
  expect(passAtK(4, 1, 2)).toBeCloseTo(0.5, 14);
});

test("stable where binomials overflow doubles", () => {
  // C(2000, 1000) overflows a double; the product form does not.
  const v = passAtK(2000, 3, 1000);
  expect(v).toBeCloseTo(direct(2000, 3, 1000), 12);
  expect(Number.isFinite(v)).toBe(true);
});

test("mean over tasks and errors for bad arguments", () => {
  expect(
    meanPassAtK(
      [
        { n: 10, c: 3 },
        { n: 10, c: 5 },
      ],
      1,
    ),
  ).toBeCloseTo(0.4, 14);
  expect(() => passAtK(5, 6, 1)).toThrow(/c \(6 correct\) exceeds n \(5/);
  expect(() => passAtK(5, 1, 6)).toThrow(/k must be in 1..n/);
  expect(() => meanPassAtK([], 1)).toThrow(/no tasks/);
});
