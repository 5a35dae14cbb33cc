// Tables from run results, on synthetic runs whose expected cells are computed here by hand.
import { describe, expect, it } from "vitest";
import {
  columnMeans,
  glueColumns,
  pairedDifferenceTable,
  resourceRows,
  resourceTable,
  scoreTable,
  type RunSummary,
} from "../../lib/reproduce/tables.js";
import { runOptionsFor, seedList, settingsFor } from "../../lib/reproduce/settings.js";
import { gatePreset } from "../../lib/adapters/hybrid/gate.js";
import { runKey } from "../../lib/reproduce/runs.js";

function run(
  method: string,
  seed: number,
  acc: number,
  loss: number,
  stepMs = 10,
  peak = 100,
  start = 20,
  trainable = 5,
): RunSummary {
  return {
    method: method as RunSummary["method"],
    task: "sst2",
    seed,
    metrics: { accuracy: acc, devLoss: loss },
    primary: "accuracy",
    resources:
      method === "base"
        ? null
        : ({
            stepMs,
            peakTensorBytes: peak,
            startTensorBytes: start,
            trainableParams: trainable,
          } as RunSummary["resources"]),
  };
}

describe("scoreTable", () => {
  it("one row per method in the given order, mean ± sample std over seeds", () => {
    const runs = [run("lora", 0, 0.6, 2), run("base", 0, 0.5, 5), run("lora", 1, 0.8, 1), run("base", 1, 0.5, 5)];
    const t = scoreTable(runs, glueColumns(["sst2"], runs), { order: ["base", "lora"] });
    expect(t.columns).toEqual(["method", "sst2 accuracy", "sst2 dev loss"]);
    expect(t.rows.map((r) => r[0])).toEqual(["base", "lora"]);
    const lora = t.rows[1]!;
    expect((lora[1] as { mean: number }).mean).toBeCloseTo(0.7, 12);
    expect((lora[1] as { std: number }).std).toBeCloseTo(Math.SQRT2 * 0.1, 12); // |0.6 - 0.8| / sqrt 2
    expect((t.rows[0]![2] as { std: number }).std).toBe(0);
    expect(columnMeans(t).lora!["sst2 dev loss"]).toEqual({ mean: 1.5, std: Math.SQRT1_2 });
    expect(() => scoreTable([], [])).toThrow(/no runs/);
  });
});

describe("resourceRows", () => {
  it("ratios to full fine-tuning of step time and of peak memory above the start plus the weights", () => {
    const runs = [
      run("full", 0, 0, 0, 10, 100, 20, 8),
      run("full", 1, 0, 0, 30, 120, 20, 8),
      run("lora", 0, 0, 0, 10, 60, 30, 2),
      run("base", 0, 0, 0),
    ];
    const rows = resourceRows(runs, ["full", "lora"]);
    expect(rows.map((r) => r.method)).toEqual(["full", "lora"]);
    const weights = 4 * 8;
    const fullPeak = (100 - 20 + weights + 120 - 20 + weights) / 2;
    expect(rows[0]!.timeRatio).toBe(1);
    expect(rows[1]!.timeRatio).toBeCloseTo(10 / 20, 12);
    expect(rows[1]!.memoryRatio).toBeCloseTo((60 - 30 + weights) / fullPeak, 12);
    expect(rows[1]!.trainableParams).toBe(2);
    expect(resourceTable(rows).rows[1]).toEqual([
      "lora",
      2,
      10,
      rows[1]!.timeRatio,
      (60 - 30 + weights) / 2 ** 20,
      rows[1]!.memoryRatio,
    ]);
    expect(() => resourceRows([run("lora", 0, 0, 0)])).toThrow(/no full fine-tuning run/);
  });
});

describe("pairedDifferenceTable", () => {
  it("differences to the reference paired by seed, with a verdict against the seeds' spread", () => {
    const runs = [
      run("weight", 0, 0.5, 1.2),
      run("weight", 1, 0.6, 1.3),
      run("weight", 2, 0.7, 1.1),
      run("share", 0, 0.5, 1.0), // dev loss lower by exactly 0.2 on every seed
      run("share", 1, 0.7, 1.1),
      run("share", 2, 0.6, 0.9),
    ];
    const t = pairedDifferenceTable(runs, glueColumns(["sst2"], runs), { reference: "weight" });
    expect(t.columns[3]).toBe("difference to weight (mean ± std)");
    const [acc, loss] = t.rows as [unknown[], unknown[]];
    expect(acc.slice(0, 3)).toEqual(["share", "sst2 accuracy", 3]);
    expect((acc[3] as { mean: number }).mean).toBeCloseTo(0, 12); // 0, +0.1, −0.1
    expect((acc[3] as { std: number }).std).toBeCloseTo(0.1, 12);
    expect(acc[4]).toBe("within the seeds' spread");
    expect((loss[3] as { mean: number }).mean).toBeCloseTo(-0.2, 12);
    expect((loss[3] as { std: number }).std).toBeLessThan(1e-12);
    expect(loss[4]).toBe("differs beyond the seeds' spread");
    const one = pairedDifferenceTable(
      runs.filter((r) => r.seed === 0),
      glueColumns(["sst2"], runs),
      { reference: "weight" },
    );
    expect(one.rows[0]![4]).toBe("one seed: no spread to judge by");
    expect(() => pairedDifferenceTable(runs, glueColumns(["sst2"], runs), { reference: "fixed" })).toThrow(
      /no runs of the reference 'fixed'/,
    );
  });
});

describe("settings and run keys", () => {
  it("seeds follow the first seed unless given; bad seeds are named", () => {
    expect(seedList(4, 3)).toEqual([4, 5, 6]);
    expect(seedList(4, 3, [9, 1])).toEqual([9, 1]);
    expect(() => seedList(0, 3, [1.5])).toThrow(/non-negative integers/);
  });

  it("the same run has the same cache key in every notebook, and any option change gives another", () => {
    const s = settingsFor("smoke");
    const a = runOptionsFor(s, { baseDir: "/x/base-abc", method: "hybrid", task: "sst2", seed: 0 });
    const b = runOptionsFor(s, {
      baseDir: "/elsewhere/base-abc",
      method: "hybrid",
      task: "sst2",
      seed: 0,
      dataDir: null,
    });
    expect(runKey(a)).toBe(runKey(b)); // folder location and a null dataDir do not change the run
    expect(runKey({ ...a, progress: true })).toBe(runKey(a));
    expect(runKey({ ...a, seed: 1 })).not.toBe(runKey(a));
    expect(runKey({ ...a, steps: a.steps + 1 })).not.toBe(runKey(a));
    expect(runKey({ ...a, adapter: { gate: { kind: "fixed", lambda: 0.5 } } })).not.toBe(runKey(a));
    expect(runKey({ ...a, baseDir: "/x/base-other" })).not.toBe(runKey(a));
    expect(runKey(a)).toMatch(/^hybrid-sst2-s0-[0-9a-f]{16}$/);
    expect(runKey({ ...a, scoring: a.scoring === "lm" ? "head" : "lm" })).not.toBe(runKey(a));
    expect(runKey({ ...a, lr: (a.lr ?? 1) * 2 })).not.toBe(runKey(a));
  });

  it("a scale's gate reaches every hybrid run, explicitly (so the cache tells policies apart); a run's own gate wins", () => {
    const s = settingsFor("smoke");
    const spec = { baseDir: "/x/b", task: "sst2", seed: 0 } as const;
    expect(runOptionsFor(s, { ...spec, method: "hybrid" }).adapter?.gate).toEqual(s.gate);
    expect(runOptionsFor({ ...s, gate: gatePreset("share") }, { ...spec, method: "hybrid" }).adapter?.gate).toEqual({
      kind: "share",
    });
    const own = runOptionsFor(s, { ...spec, method: "hybrid", adapter: { gate: gatePreset("fixed-0.5"), r: 2 } });
    expect(own.adapter).toEqual({ gate: { kind: "fixed", lambda: 0.5 }, r: 2 });
    expect(runOptionsFor(s, { ...spec, method: "lora" }).adapter).toBeUndefined();
    expect(() => gatePreset("shares")).toThrow(/unknown preset "shares"; expected one of weight, share/);
  });

  it("a scale's scoring mode and per-method rates reach every run; the base run gets no rate", () => {
    for (const scale of ["smoke", "small", "full"] as const) {
      const s = settingsFor(scale);
      for (const method of ["base", "full", "lora", "boft", "loraga", "urnn", "hybrid"] as const) {
        const o = runOptionsFor(s, { baseDir: "/x/b", method, task: "sst2", seed: 0 });
        expect(o.scoring, `${scale} ${method}`).toBe(s.scoring);
        expect(o.lr, `${scale} ${method}`).toBe(method === "base" ? undefined : s.lr?.[method]);
      }
    }
  });
});
