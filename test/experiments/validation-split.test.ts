// The validation split sweeps use instead of dev: a fixed part of GLUE train, the same for every
// seed, disjoint from what the run trains on, never a dev example.
import { describe, expect, it } from "vitest";
import { GLUE_TASKS, loadGlue } from "../../lib/data/glue.js";
import { resolveRunOptions, runExamples, splitTrain, VALIDATION_MAX } from "../../lib/experiments/index.js";

describe("splitTrain / runExamples", () => {
  it.each(GLUE_TASKS)("%s: holds out min(500, 15 percent) of train, disjoint from the rest, in file order", (task) => {
    const train = loadGlue(task, "train");
    const { evaluation, training } = runExamples(task, "validation");
    expect(evaluation.length).toBe(Math.min(VALIDATION_MAX, Math.floor(train.length * 0.15)));
    expect(training!.length + evaluation.length).toBe(train.length);
    const held = new Set(evaluation.map((e) => e.index));
    expect(training!.some((e) => held.has(e.index))).toBe(false);
    for (const part of [evaluation, training!]) {
      const idx = part.map((e) => e.index);
      expect(idx).toEqual([...idx].sort((a, b) => a - b));
    }
    // Every held-out example is a train row (by line), none is dev's.
    const trainLines = new Set(train.map((e) => e.line));
    expect(evaluation.every((e) => trainLines.has(e.line))).toBe(true);
    // Not the first rows: a seeded draw across the file.
    expect(Math.max(...evaluation.map((e) => e.index))).toBeGreaterThan(train.length / 2);
  });

  it("is the same split every time, and 'dev' is the dev split with the whole train", () => {
    const a = splitTrain(loadGlue("sst2", "train"));
    const b = splitTrain(loadGlue("sst2", "train"));
    expect(a.validation.map((e) => e.index)).toEqual(b.validation.map((e) => e.index));
    const dev = runExamples("sst2", "dev");
    expect(dev.training).toBeUndefined();
    expect(dev.evaluation).toEqual(loadGlue("sst2", "dev"));
  });

  it("runMethod defaults to dev and names a bad split", () => {
    expect(resolveRunOptions({ baseDir: "/x", method: "lora", task: "sst2", steps: 1 }).evalSplit).toBe("dev");
    expect(() => runExamples("sst2", "test" as "dev")).toThrow(/evalSplit must be dev or validation, found "test"/);
  });
});
