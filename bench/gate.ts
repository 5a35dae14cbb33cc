// The hybrid's gate policies on the project's own base model: per policy, how λ_l spreads across
// layers, how long layers sit at the clamp, and what the runs score. The evidence behind the
// default gate (docs/methods.md §5).
//   npm run build && node dist/bench/gate.js [--scale smoke|small] [--seeds 0,1,2] [--policies weight,share]
import { parseArgs } from "node:util";
import { gatePreset } from "../lib/adapters/index.js";
import { useBackend } from "../lib/backend/index.js";
import { runMethod } from "../lib/experiments/run-method.js";
import { tableToText, type PolicyGates } from "../lib/plots/index.js";
import type { GateRecord, GradNormRecord } from "../lib/records/types.js";
import { ensureBaseModel } from "../lib/pretrain/index.js";
import { gateClampTable, gateSummaryTable, parseScale, runOptionsFor, settingsFor } from "../lib/reproduce/index.js";

const { values: args } = parseArgs({
  options: {
    scale: { type: "string", default: "smoke" },
    seeds: { type: "string", default: "0" },
    policies: { type: "string", default: "weight,share,share-compensated,fixed-0.5" },
    backend: { type: "string", default: "wasm" },
  },
});

const names = (args.policies as string).split(",");
const policies = names.map((n) => gatePreset(n));
const seeds = (args.seeds as string).split(",").map(Number);
await useBackend(args.backend as string);
const S = settingsFor(parseScale(args.scale as string));
const baseDir = await ensureBaseModel({ scale: S.scale === "full" ? "small" : S.scale, seed: 0 });
const task = S.tasks[0]!;
const gates: PolicyGates[] = [];
const scores: string[] = [];
const openLoop: PolicyGates[] = [
  { name: "share, open loop", runs: [] },
  { name: "running-scale, open loop", runs: [] },
];

/**
 * A candidate gate replayed on the parameter-gradient norms a fixed-λ run recorded (no feedback
 * from the gate into training): "share" is the literal share; "running-scale" divides each
 * branch's norm by its own running mean (EMA 0.9, bias-corrected) before taking the share.
 */
function replay(norms: readonly GradNormRecord[], kind: "share" | "running-scale"): GateRecord[] {
  const out: GateRecord[] = [];
  const layers = [...new Set(norms.map((r) => r.layer))];
  for (const layer of layers) {
    const at = (branch: string) =>
      new Map(norms.filter((r) => r.layer === layer && r.branch === branch).map((r) => [r.step, r.norm]));
    const nb = at("boft"),
      nl = at("loraga");
    let lam = 0.5,
      mb = 0,
      ml = 0,
      t = 0;
    for (const step of [...nb.keys()].sort((a, b) => a - b)) {
      let b = nb.get(step)!,
        l = nl.get(step)!;
      if (kind === "running-scale") {
        t += 1;
        mb = 0.9 * mb + 0.1 * b;
        ml = 0.9 * ml + 0.1 * l;
        const c = 1 - 0.9 ** t;
        b /= mb / c;
        l /= ml / c;
      }
      lam = Math.min(0.95, Math.max(0.05, 0.9 * lam + 0.1 * (b / (b + l))));
      out.push({ step, layer, lambda: lam });
    }
  }
  return out;
}
for (const [i, name] of names.entries()) {
  const gate = policies[i]!;
  const runs = [];
  for (const seed of seeds) {
    const t0 = performance.now();
    const r = await runMethod(runOptionsFor(S, { baseDir, method: "hybrid", task, seed, adapter: { gate } }));
    const s = ((performance.now() - t0) / 1000).toFixed(0);
    scores.push(
      `${name.padEnd(18)} seed ${seed}: ${r.primary} ${r.metrics[r.primary]!.toFixed(3)}, dev loss ${r.metrics.devLoss!.toFixed(3)} (${s} s)`,
    );
    console.log(scores.at(-1));
    if (gate.kind !== "fixed") runs.push(r.gates);
    else {
      openLoop[0]!.runs = [...openLoop[0]!.runs, replay(r.gradNorms, "share")];
      openLoop[1]!.runs = [...openLoop[1]!.runs, replay(r.gradNorms, "running-scale")];
    }
  }
  if (runs.length) gates.push({ name, runs });
}
console.log(`\n${tableToText(gateSummaryTable(gates, `${S.scale}, ${task}, seeds ${seeds.join(",")}`))}`);
console.log(`\n${tableToText(gateClampTable(gates, "fraction of steps at the clamp per layer"))}`);
const finals = gates.map(
  (p) =>
    new Map(
      p.runs[0]!.filter((g) => g.step === Math.max(...p.runs[0]!.map((x) => x.step))).map((g) => [g.layer, g.lambda]),
    ),
);
console.log(
  `\n${tableToText({
    columns: ["layer", ...gates.map((p) => p.name)],
    rows: [...finals[0]!.keys()].sort().map((layer) => [layer, ...finals.map((m) => m.get(layer) ?? null)]),
    digits: 3,
    caption: "λ at the last step, first seed",
  })}`,
);
if (openLoop[0]!.runs.length)
  console.log(
    `\n${tableToText(gateSummaryTable(openLoop, "candidates replayed on the fixed-λ run's gradient norms"))}`,
  );
