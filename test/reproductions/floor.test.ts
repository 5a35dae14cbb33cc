// The floor of a GLUE column (the best constant prediction on the examples a run scores), the
// verdicts that use it, and the per-task budgets of a scale.
import { readFileSync } from "node:fs";
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import { constantPredictorScore } from "../../lib/experiments/constant-predictor.js";
import { clearsConstant, floorTable, learningSignalTable } from "../../lib/reproduce/claims.js";
import { budgetFor, budgetSummary, runOptionsFor, settingsFor } from "../../lib/reproduce/settings.js";
import { SHARED_DIR } from "../helpers/shared.js";

const DATA = join(SHARED_DIR, "data");

/** Labels of a GLUE dev file counted straight from its TSV (the last column is the label in all four). */
function devLabelCounts(task: string): { pos: number; n: number } {
  const lines = readFileSync(join(DATA, "glue", task, "dev.tsv"), "utf8")
    .replace(/^\uFEFF/, "")
    .trim()
    .split("\n");
  // CoLA's dev.tsv has no header (label in column 2); the others name theirs ("Quality" in MRPC)
  const col = task === "cola" ? 1 : lines[0]!.split("\t").findIndex((h) => /^(label|Quality)$/.test(h));
  if (col < 0) throw new Error(`${task}/dev.tsv: no label column in ${lines[0]}`);
  const labels = (task === "cola" ? lines : lines.slice(1)).map((l) => {
    const raw = l.split("\t")[col]!;
    return raw === "entailment" ? 1 : raw === "not_entailment" ? 0 : Number(raw);
  });
  return { pos: labels.filter((x) => x === 1).length, n: labels.length };
}

describe("constantPredictorScore", () => {
  it("is the majority rate for accuracy, the always-positive F1 for MRPC and 0 MCC for CoLA, on all of dev", () => {
    for (const task of ["sst2", "rte", "mrpc", "cola"] as const) {
      const { pos, n } = devLabelCounts(task);
      const p = pos / n;
      const expected = task === "mrpc" ? (2 * pos) / (n + pos) : task === "cola" ? 0 : Math.max(p, 1 - p);
      const got = constantPredictorScore({ task, seeds: [0, 1, 2], evalLimit: 100_000, dataDir: DATA });
      expect(got.metric).toBe({ sst2: "accuracy", rte: "accuracy", mrpc: "f1", cola: "mcc" }[task]);
      expect(got.score).toBeCloseTo(expected, 12);
      if (task === "mrpc") expect(got.label).toBe(1);
    }
  });

  it("averages the seeds' own subsamples when the runs score fewer examples than dev holds", () => {
    const all = constantPredictorScore({ task: "sst2", seeds: [0], evalLimit: 100_000, dataDir: DATA }).score;
    const per = [0, 1, 2, 3].map(
      (s) => constantPredictorScore({ task: "sst2", seeds: [s], evalLimit: 24, dataDir: DATA }).score,
    );
    const mean = constantPredictorScore({ task: "sst2", seeds: [0, 1, 2, 3], evalLimit: 24, dataDir: DATA }).score;
    expect(mean).toBeCloseTo(per.reduce((a, b) => a + b, 0) / per.length, 12);
    expect(new Set(per).size).toBeGreaterThan(1); // different subsamples, different majority rates
    for (const s of per) expect(s).toBeGreaterThanOrEqual(0.5);
    expect(Math.abs(mean - all)).toBeLessThan(0.2);
    expect(() => constantPredictorScore({ task: "sst2", seeds: [], evalLimit: 8, dataDir: DATA })).toThrow(
      /sst2: expected at least one seed/,
    );
  });
});

describe("verdicts against the constant predictor", () => {
  const base = { "mrpc f1": { mean: 0.7, std: 0.02 }, "sst2 accuracy": { mean: 0.5, std: 0.01 } };
  const constant = { "mrpc f1": 0.81, "sst2 accuracy": 0.51 };
  const methods = {
    // beats the base by far on MRPC, but only by learning "always paraphrase"
    prior: { "mrpc f1": { mean: 0.812, std: 0.004 }, "sst2 accuracy": { mean: 0.6, std: 0.02 } },
    learner: { "mrpc f1": { mean: 0.85, std: 0.01 }, "sst2 accuracy": { mean: 0.52, std: 0.01 } },
  };

  it("marks a method at floor where it does not clear the constant by 2 of its std, and judges the rest", () => {
    const t = learningSignalTable(base, methods, { constant, sigmas: 2 });
    const verdict = (m: string, c: string) => String(t.rows.find((r) => r[0] === m && r[1] === c)!.at(-1));
    expect(verdict("prior", "mrpc f1")).toMatch(
      /^at floor \(does not clear the constant predictor's 0\.810 by > 2 std\)/,
    );
    expect(verdict("learner", "mrpc f1")).toBe("beats base by > 2 std");
    expect(verdict("prior", "sst2 accuracy")).toBe("beats base by > 2 std");
    // 0.52 - 0.51 = 0.01 is not more than 2 x 0.01
    expect(verdict("learner", "sst2 accuracy")).toMatch(/^at floor/);
    expect(clearsConstant({ mean: 0.53, std: 0.0049 }, 0.52, 2)).toBe(true);
    expect(clearsConstant({ mean: 0.53, std: 0.0051 }, 0.52, 2)).toBe(false);
    expect(clearsConstant(Number.NaN, 0.5)).toBe(false);
  });

  it("floorTable says per column whether any method clears it, and which", () => {
    const t = floorTable(base, methods, { ...constant, "cola mcc": 0 }, { sigmas: 2 });
    const row = (c: string) => t.rows.find((r) => r[0] === c)!;
    expect(row("mrpc f1").at(-1)).toBe("off the floor: 1 of 2 methods clear it by > 2 std (learner)");
    expect(row("mrpc f1")[3]).toBe("learner");
    expect(row("sst2 accuracy").at(-1)).toBe("off the floor: 1 of 2 methods clear it by > 2 std (prior)");
    expect(row("cola mcc").at(-1)).toBe("no runs");
    const none = floorTable(base, { prior: methods.prior }, { "mrpc f1": 0.81 });
    expect(none.rows[0]!.at(-1)).toBe("at floor: no method clears the constant predictor by > 2 std");
  });
});

describe("per-task budgets", () => {
  it("apply to their task's runs only, and the summary names each", () => {
    const S = settingsFor("small");
    const opts = (task: "sst2" | "cola" | "mrpc" | "rte") =>
      runOptionsFor(S, { baseDir: "/x", method: "lora", task, seed: 0 });
    expect(opts("sst2")).toMatchObject({
      steps: S.steps,
      seqLen: S.seqLen,
      batchSize: S.batchSize,
      evalLimit: S.evalLimit,
    });
    for (const task of ["cola", "mrpc", "rte"] as const) {
      const own = S.perTask?.[task];
      expect(own).toBeDefined();
      expect(opts(task)).toMatchObject(own!);
      expect(budgetFor(S, task)).toMatchObject(own!);
      expect(opts(task).evalEvery).toBe(Math.max(1, Math.floor(budgetFor(S, task).steps / S.evalPoints)));
    }
    const summary = budgetSummary(S);
    for (const task of S.tasks) expect(summary).toContain(`${task}: ${budgetFor(S, task).steps} steps`);
  });
});
