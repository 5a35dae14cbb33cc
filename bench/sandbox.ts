// What the HumanEval sandbox costs: one check under bubblewrap against the weak fallback (same
// two-process checker, no namespaces) and against a bare interpreter running the reference program
// (prompt + completion + tests + check, no sandbox at all); the 164 canonical solutions at the
// evaluator's default concurrency; and how far past its deadline a sleep-forever call settles.
// Run: npm run build && node dist/bench/sandbox.js [--checks 20]
import { spawn } from "node:child_process";
import { parseArgs } from "node:util";
import { loadHumanEval } from "../lib/data/humaneval.js";
import { mapLimit } from "../lib/eval/concurrency.js";
import { checkCompletion, humanEvalProgram } from "../lib/eval/humaneval.js";
import { detectIsolation } from "../lib/eval/sandbox.js";
import { SANDBOX_PYTHON } from "../lib/eval/sandbox/python-env.js";

const { values } = parseArgs({ options: { checks: { type: "string", default: "20" } } });
const checks = Number(values.checks);
const tasks = loadHumanEval();

const quantile = (xs: number[], q: number) => [...xs].sort((a, b) => a - b)[Math.floor(q * (xs.length - 1))];
const describe = (xs: number[]) => `median ${quantile(xs, 0.5)} ms, p90 ${quantile(xs, 0.9)} ms`;

async function timeEach(n: number, run: (i: number) => Promise<unknown>): Promise<number[]> {
  const out: number[] = [];
  for (let i = 0; i < n; i++) out.push(await timed(() => run(i)));
  return out;
}

async function timed(run: () => Promise<unknown>): Promise<number> {
  const t0 = performance.now();
  await run();
  return Math.round(performance.now() - t0);
}

function bare(source: string): Promise<number | null> {
  return new Promise((resolve) => {
    const child = spawn(SANDBOX_PYTHON, ["-s", "-B", "-c", source], { stdio: "ignore" });
    child.on("exit", (code) => resolve(code));
  });
}

const iso = detectIsolation();
console.log(`isolation here: ${iso.method} ${iso.version ?? ""}${iso.reason ? ` (${iso.reason})` : ""}`);
const pick = (i: number) => tasks[i % tasks.length];
// interleaved warm-up so no mode pays for cold caches alone
await checkCompletion(pick(0), pick(0).canonicalSolution);
await bare(humanEvalProgram(pick(0), pick(0).canonicalSolution));

// the three modes interleaved, so drifting load on a shared machine colours them alike
const [bw, weak, plain]: number[][] = [[], [], []];
for (let i = 0; i < checks; i++) {
  const t = pick(i);
  bw.push(await timed(() => checkCompletion(t, t.canonicalSolution)));
  weak.push(await timed(() => checkCompletion(t, t.canonicalSolution, { isolation: "python guard only" })));
  plain.push(await timed(() => bare(humanEvalProgram(t, t.canonicalSolution))));
}
console.log(`one check, ${checks} canonical solutions in turn:`);
console.log(`  bubblewrap + checker      ${describe(bw)}`);
console.log(`  weak fallback + checker   ${describe(weak)}`);
console.log(`  bare python, no sandbox   ${describe(plain)}`);
console.log(
  `  ratios (median): bubblewrap/weak ${(quantile(bw, 0.5) / quantile(weak, 0.5)).toFixed(2)}, bubblewrap/bare ${(quantile(bw, 0.5) / quantile(plain, 0.5)).toFixed(2)}`,
);

const t0 = performance.now();
const all = await mapLimit(tasks, 2, (t) => checkCompletion(t, t.canonicalSolution, { timeoutMs: 20_000 }));
const wall = performance.now() - t0;
console.log(
  `all ${tasks.length} canonical solutions, 2 at a time: ${(wall / 1000).toFixed(1)} s (${all.filter((r) => r.passed).length} passed, ${(wall / tasks.length).toFixed(0)} ms per task)`,
);

const overshoot = await timeEach(5, () =>
  checkCompletion(pick(0), "    import time\n    time.sleep(10**9)\n", { timeoutMs: 1000 }),
);
console.log(`sleep forever, 1000 ms timeout: settled after ${describe(overshoot)} (deadline + 1000 ms allowed)`);
