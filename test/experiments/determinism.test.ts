// Same seed, same run: reproductions rerun with the same seed must give the same tables.
import { beforeAll, expect, it } from "vitest";
import { runMethod, type RunMethodOptions } from "../../lib/experiments/index.js";
import { smokeBase } from "./helpers.js";

let baseDir: string;
beforeAll(async () => {
  baseDir = await smokeBase();
});

const opts = (seed: number): RunMethodOptions => ({
  baseDir,
  method: "hybrid",
  task: "sst2",
  seed,
  steps: 2,
  targets: ["q_proj", "v_proj"],
  trainLimit: 16,
  evalLimit: 8,
  evalLossLimit: 4,
  seqLen: 40,
  batchSize: 4,
});

it("runMethod is deterministic for a seed and differs across seeds", async () => {
  const a = await runMethod(opts(4));
  const b = await runMethod(opts(4));
  const c = await runMethod(opts(5));
  expect(b.metrics).toEqual(a.metrics);
  expect(b.lossCurve.values).toEqual(a.lossCurve.values);
  expect(b.gates).toEqual(a.gates);
  expect(c.lossCurve.values).not.toEqual(a.lossCurve.values);
});
