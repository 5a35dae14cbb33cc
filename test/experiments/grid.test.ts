// runGrid: every (task, method, seed) run, aggregated into mean ± std and resource tables.
import { beforeAll, describe, expect, it } from "vitest";
import type { RunMethodOptions } from "../../lib/experiments/index.js";
import { runGrid } from "../../lib/reproduce/run-grid.js";
import { smokeBase } from "./helpers.js";

let baseDir: string;
beforeAll(async () => {
  baseDir = await smokeBase();
});

const tiny = (): Omit<RunMethodOptions, "method"> => ({
  baseDir,
  task: "sst2",
  seed: 0,
  steps: 2,
  trainLimit: 16,
  evalLimit: 12,
  evalLossLimit: 4,
  seqLen: 40,
  batchSize: 4,
  targets: ["q_proj", "v_proj"],
});

describe("runGrid", () => {
  it("aggregates mean ± std over seeds into a Table, resources as ratios to full", async () => {
    const seen: string[] = [];
    const g = await runGrid({
      ...tiny(),
      methods: ["base", "full", "lora"],
      tasks: ["sst2"],
      seeds: [0, 1],
      onRun: (r) => void seen.push(`${r.method}/${r.seed}`),
    });
    expect(seen).toEqual(["base/0", "base/1", "full/0", "full/1", "lora/0", "lora/1"]);
    expect(g.table.columns).toEqual(["method", "sst2 accuracy"]);
    expect(g.table.rows.map((r) => r[0])).toEqual(["base", "full", "lora"]);
    for (const [i, m] of (["base", "full", "lora"] as const).entries()) {
      const xs = g.runs.filter((r) => r.method === m).map((r) => r.metrics.accuracy!);
      const mean = (xs[0]! + xs[1]!) / 2;
      const cell = g.table.rows[i]![1] as { mean: number; std: number };
      expect(cell.mean).toBeCloseTo(mean, 10);
      // Sample std of two values is |a − b| / √2.
      expect(cell.std).toBeCloseTo(Math.abs(xs[0]! - xs[1]!) / Math.SQRT2, 10);
    }
    expect(g.resources.rows.map((r) => r[0])).toEqual(["full", "lora"]);
    expect(g.resources.rows[0]![3]).toBe(1);
    expect(g.resources.rows[0]![5]).toBe(1);
    expect(g.resources.rows[1]![1]).toBeLessThan(g.resources.rows[0]![1] as number);
    await expect(runGrid({ ...tiny(), methods: [], tasks: ["sst2"], seeds: [0] })).rejects.toThrow(
      /methods must be a non-empty array/,
    );
  });
});
