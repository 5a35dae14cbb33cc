// Unbiased pass@k (Chen et al. 2021, "Evaluating Large Language Models Trained on Code"):
// 1 - C(n-c, k) / C(n, k), computed as a product so it never forms huge binomials.

/** pass@k of one task with n samples of which c pass. */
export function passAtK(n: number, c: number, k: number): number {
  for (const [name, v] of [
    ["n", n],
    ["c", c],
    ["k", k],
  ] as const) {
    if (!Number.isInteger(v) || v < 0) throw new Error(`pass@k: ${name} must be a non-negative integer, found ${v}`);
  }
  if (c > n) throw new Error(`pass@k: c (${c} correct) exceeds n (${n} samples)`);
  if (k < 1 || k > n) throw new Error(`pass@k: k must be in 1..n (n=${n}), found ${k}`);
  if (n - c < k) return 1;
  // C(n-c,k)/C(n,k) = prod_{i=n-c+1}^{n} (1 - k/i)
  let fail = 1;
  for (let i = n - c + 1; i <= n; i++) fail *= 1 - k / i;
  return 1 - fail;
}

/** Mean pass@k over tasks given per-task (n, c). */
export function meanPassAtK(results: readonly { n: number; c: number }[], k: number): number {
  if (results.length === 0) throw new Error("pass@k of no tasks is undefined");
  let s = 0;
  for (const r of results) s += passAtK(r.n, r.c, k);
  return s / results.length;
}
