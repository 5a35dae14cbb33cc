// Loads the built addon in a child process of the build (so a missing shared library or an illegal
// instruction cannot take the build down) and prints JSON: OpenBLAS's own description and, with
// --verify, the largest relative error of a set of GEMMs against a float64 reference computed here.
//   node native/probe.cjs <addon.node> [--verify]
"use strict";
const addon = require(process.argv[2]);

function verify() {
  // Sizes 1, primes and a K large enough to cross OpenBLAS's blocking, every transpose combination.
  const shapes = [
    [1, 1, 1],
    [7, 13, 5],
    [31, 1, 17],
    [64, 48, 300],
    [130, 67, 259],
    [257, 129, 1031],
  ];
  let seed = 7;
  const rand = () => ((seed = (seed * 1103515245 + 12345) % 2147483648) / 2147483648) * 2 - 1;
  let worst = 0;
  for (const [m, n, k] of shapes) {
    for (const ta of [0, 1]) {
      for (const tb of [0, 1]) {
        const heap = new ArrayBuffer((m * k + k * n + m * n) * 4);
        const f = new Float32Array(heap);
        for (let i = 0; i < m * k + k * n; i++) f[i] = rand();
        addon.gemm(heap, m, n, k, ta, tb, 1, 0, 0, m * k, 0, m * k + k * n, 0);
        for (let i = 0; i < m; i++) {
          for (let j = 0; j < n; j++) {
            let sum = 0;
            let mag = 0;
            for (let p = 0; p < k; p++) {
              const x = f[ta ? p * m + i : i * k + p] * f[m * k + (tb ? j * k + p : p * n + j)];
              sum += x;
              mag += Math.abs(x);
            }
            worst = Math.max(worst, Math.abs(f[m * k + k * n + i * n + j] - sum) / (mag || 1));
          }
        }
      }
    }
  }
  return worst;
}

const out = { info: addon.info() };
if (process.argv.includes("--verify")) out.maxRelErr = verify();
process.stdout.write(JSON.stringify(out));
