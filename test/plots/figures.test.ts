import { fileURLToPath } from "node:url";
import { describe, expect, it } from "vitest";
import {
  aggregateSeeds,
  curvesFigure,
  resultsTable,
  type MeanStd,
  gateLines,
  gradNormBranchLines,
  gradNormHeatmap,
  meanStdFigure,
} from "../../lib/plots/index.js";
import { runPythonJson } from "../helpers/python.js";
import { curves, gates, gradNorms, LAYERS, STEPS } from "./fixtures.js";
import { expectValidFigure } from "./plotly-shape.js";

const REF = fileURLToPath(new URL("../reference/plots_aggregate.py", import.meta.url));

interface Ref {
  heatmap: { layers: string[]; steps: number[]; z: (number | null)[][] };
  branch_mean: Record<string, { steps: number[]; values: number[] }>;
  seeds: { run: string; metric: string; steps: number[]; mean: number[]; std: number[]; n: number[] }[];
  results: { run: string; metric: string; last: [number, number]; max: [number, number] }[];
}
const norms = gradNorms();
const runs = curves();
const ref = runPythonJson<Ref>(REF, [], JSON.stringify({ norms, curves: runs }));

function expectCloseArray(a: readonly (number | null)[], b: readonly (number | null)[]): void {
  expect(a.length).toBe(b.length);
  a.forEach((v, i) => {
    if (b[i] === null) expect(v).toBeNull();
    else expect(Math.abs((v as number) - (b[i] as number))).toBeLessThan(1e-9 * Math.max(1, Math.abs(b[i] as number)));
  });
}

describe("gradient-norm heatmap", () => {
  it("is a layers × steps matrix in model order that matches the numpy reference", () => {
    const fig = gradNormHeatmap(norms);
    expectValidFigure(fig);
    expect(fig.data.length).toBe(1);
    const t = fig.data[0]!;
    expect(t.type).toBe("heatmap");
    expect(t.y).toEqual(LAYERS);
    expect(t.x).toEqual(STEPS);
    expect(t.y).toEqual(ref.heatmap.layers);
    const z = t.z as (number | null)[][];
    expect(z.length).toBe(LAYERS.length);
    z.forEach((row, i) => {
      expectCloseArray(row, ref.heatmap.z[i]!);
    });
    expect(z[5]![3]).toBeNull(); // the missing cell is a gap
    expect((fig.layout!.yaxis as Record<string, unknown>).autorange).toBe("reversed");
  });

  it("filters one branch and can colour by log10", () => {
    const fig = gradNormHeatmap(norms, { branch: "loraga", log: true });
    expectValidFigure(fig);
    const z = fig.data[0]!.z as (number | null)[][];
    const rec = norms.find((r) => r.layer === LAYERS[7] && r.step === STEPS[4] && r.branch === "loraga")!;
    expect(z[7]![4]).toBeCloseTo(Math.log10(rec.norm), 12);
  });

  it("names the bad record and field", () => {
    expect(() => gradNormHeatmap([{ step: 0, layer: "a", branch: "b", norm: "x" } as never])).toThrow(
      /record 0 field "norm" must be a number, found "x"/,
    );
    const dup = [norms[0]!, { ...norms[0]! }];
    expect(() => gradNormHeatmap(dup)).toThrow(
      /two records for layer "model.layers.11.mlp.down_proj" branch "boft" step 0/,
    );
  });
});

describe("per-branch lines and gates", () => {
  it("mean over layers per branch matches the numpy reference", () => {
    const fig = gradNormBranchLines(norms);
    expectValidFigure(fig);
    expect(fig.data.map((t) => t.name)).toEqual(Object.keys(ref.branch_mean));
    for (const t of fig.data) {
      const r = ref.branch_mean[t.name as string]!;
      expect(t.x).toEqual(r.steps);
      expectCloseArray(t.y as number[], r.values);
    }
  });

  it("one layer shows that layer's own norms, and an unknown layer is named", () => {
    const layer = LAYERS[2]!;
    const fig = gradNormBranchLines(norms, { layer, logY: true });
    const boft = fig.data.find((t) => t.name === "boft")!;
    const want = norms.filter((r) => r.layer === layer && r.branch === "boft").sort((a, b) => a.step - b.step);
    expect(boft.y).toEqual(want.map((r) => r.norm));
    expect((fig.layout!.yaxis as Record<string, unknown>).type).toBe("log");
    expect(() => gradNormBranchLines(norms, { layer: "nope" })).toThrow(/no records for layer "nope"/);
  });

  it("λ_l: one line per layer in model order with the gate values", () => {
    const g = gates();
    const fig = gateLines(g);
    expectValidFigure(fig);
    expect(fig.data.map((t) => t.name)).toEqual(LAYERS.slice(0, 4));
    expect(fig.data[1]!.y).toEqual(g.filter((r) => r.layer === LAYERS[1]).map((r) => r.lambda));
    expect(gateLines(g, { layers: [LAYERS[3]!] }).data.length).toBe(1);
  });
});

describe("curves", () => {
  it("overlays every run and seed, one stacked row per metric", () => {
    const fig = curvesFigure(runs);
    expectValidFigure(fig);
    expect(fig.data.length).toBe(runs.length);
    const rows = new Set(fig.data.map((t) => t.yaxis));
    expect(rows).toEqual(new Set(["y", "y2"]));
    const d1 = (fig.layout!.yaxis as { domain: number[] }).domain;
    const d2 = (fig.layout!.yaxis2 as { domain: number[] }).domain;
    expect(d1[0]!).toBeGreaterThan(d2[1]!); // rows do not overlap
    // a run keeps one colour across its seeds and metrics
    const colors = new Set(
      fig.data.filter((t) => String(t.name).startsWith("lora ")).map((t) => (t.line as { color: string }).color),
    );
    expect(colors.size).toBe(1);
    expect(curvesFigure(runs, { metrics: ["val_acc"] }).data.length).toBe(6);
    expect(() => curvesFigure(runs, { metrics: ["bleu"] })).toThrow(
      /no curves for metric "bleu"; metrics present: train_loss, val_acc/,
    );
    expect(() => curvesFigure([{ run: "a", metric: "m", steps: [1, 2], values: [1] }])).toThrow(/2 steps but 1 values/);
  });
});

describe("mean ± std over seeds", () => {
  it("aggregates runs with the same name like numpy (ddof=1), on the union of steps", () => {
    const aggs = aggregateSeeds(runs);
    expect(aggs.length).toBe(ref.seeds.length);
    for (const r of ref.seeds) {
      const a = aggs.find((x) => x.run === r.run && x.metric === r.metric)!;
      expect(a.steps).toEqual(r.steps);
      expect(a.n).toEqual(r.n);
      expectCloseArray(a.mean, r.mean);
      expectCloseArray(a.std, r.std);
    }
  });

  it("draws a closed band around each mean line", () => {
    const fig = meanStdFigure(runs, { metrics: ["train_loss"] });
    expectValidFigure(fig);
    expect(fig.data.length).toBe(4); // band + mean for two runs
    const [band, mean] = fig.data;
    expect(band!.fill).toBe("toself");
    const xs = mean!.x as number[];
    const ys = mean!.y as number[];
    const bx = band!.x as number[];
    const by = band!.y as number[];
    expect(bx).toEqual([...xs, ...[...xs].reverse()]);
    const n = xs.length;
    for (let i = 0; i < n; i++) {
      const upper = by[i]!;
      const lower = by[2 * n - 1 - i]!;
      expect(upper).toBeGreaterThanOrEqual(ys[i]!);
      expect(lower).toBeLessThanOrEqual(ys[i]!);
      expect(upper - ys[i]!).toBeCloseTo(ys[i]! - lower, 12); // symmetric
    }
    expect(() => aggregateSeeds([runs[0]!, { ...runs[0]! }])).toThrow(/two curves for seed 0/);
  });
});

describe("resultsTable", () => {
  it("summarises each seed (last or best) and aggregates over seeds like numpy", () => {
    const t = resultsTable(runs, { summary: { val_acc: "max" }, digits: 3 });
    expect(t.columns).toEqual(["run", "train_loss", "val_acc"]);
    expect(t.rows.map((r) => r[0])).toEqual(["hybrid", "lora"]);
    for (const r of ref.results) {
      const row = t.rows.find((x) => x[0] === r.run)!;
      const cell = row[t.columns.indexOf(r.metric)] as MeanStd;
      const [mean, std] = r.metric === "val_acc" ? r.max : r.last;
      expect(cell.mean).toBeCloseTo(mean, 12);
      expect(cell.std).toBeCloseTo(std, 12);
    }
    const one = resultsTable([{ run: "x", metric: "m", steps: [2, 1], values: [5, 9] }]);
    expect(one.rows).toEqual([["x", 5]]); // last by step, not by position; one seed is a plain number
  });
});
