// The generative-benchmark table: which columns sit at floor (judged from every run's value),
// which are not measured and why, and the run cache keeping each tuned adapter's PEFT files.
import { existsSync, mkdtempSync, readdirSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { beforeAll, describe, expect, it } from "vitest";
import { DEFAULT_GATE } from "../../lib/adapters/hybrid/gate.js";
import {
  BENCHMARK_COLUMNS,
  benchmarkFloorTable,
  benchmarkRunOptions,
  benchmarkSettingsFor,
  mtBenchAnswerTable,
  unjudgedColumns,
} from "../../lib/reproduce/benchmarks.js";
import type { RunOutcome } from "../../lib/reproduce/run-outcome.js";
import { cachedRun } from "../../lib/reproduce/runs.js";
import { scoreTable } from "../../lib/reproduce/tables.js";
import { smokeBase } from "../experiments/helpers.js";

const run = (
  method: string,
  seed: number,
  metrics: Record<string, number>,
  notes?: Record<string, string>,
): RunOutcome =>
  ({
    ok: true,
    key: `${method}-${seed}`,
    cached: false,
    method,
    task: "gsm8k",
    seed,
    metrics,
    primary: "gsm8kExactMatch",
    resources: null,
    ...(notes ? { notes } : {}),
  }) as unknown as RunOutcome;

describe("mtBenchAnswerTable", () => {
  const answer = (questionId: number, first: string, ratings?: [number, number]) => ({
    questionId,
    category: questionId === 81 ? "writing" : "math",
    turns: ["q1", "q2"],
    answers: [first, "second turn"],
    ...(ratings ? { ratings } : {}),
  });
  const withAnswers = (method: string, seed: number, answers: unknown[]) =>
    ({ ...run(method, seed, { gsm8kExactMatch: 0 }), samples: { mtbench: answers } }) as unknown as RunOutcome;

  it("lists each question's first-turn answer per model of one seed, cut short, with the rating when judged", () => {
    const long = `${"word ".repeat(60)}end`;
    const runs = [
      withAnswers("base", 0, [answer(81, "  Hello\n  there "), answer(111, "")]),
      withAnswers("lora", 0, [answer(81, long, [7, 5]), answer(111, "4")]),
      withAnswers("lora", 1, [answer(81, "other seed"), answer(111, "5")]),
      run("boft", 0, { gsm8kExactMatch: 0 }), // no answers (budget 0): left out
    ];
    const t = mtBenchAnswerTable(runs, { seed: 0, maxChars: 40 });
    expect(t.rows.map((r) => [r[0], r[1], r[2]])).toEqual([
      [81, "writing", "base"],
      [81, "writing", "lora"],
      [111, "math", "base"],
      [111, "math", "lora"],
    ]);
    expect(t.rows[0]![3]).toBe("Hello there");
    expect(String(t.rows[1]![3])).toHaveLength(40);
    expect(String(t.rows[1]![3]).endsWith("…")).toBe(true);
    expect(t.rows[1]![4]).toBe(7);
    expect(t.rows[2]![3]).toBe("(empty)");
    expect(t.rows[0]![4]).toBeNull();
    expect(mtBenchAnswerTable(runs, { seed: 0, questions: 1 }).rows).toHaveLength(2);
    expect(mtBenchAnswerTable(runs, { seed: 5 }).rows).toEqual([]);
  });
});

describe("benchmarkFloorTable", () => {
  const noJudge = { mtbench: "not judged: no judge configured" };
  const runs = [
    run("base", 0, { gsm8kExactMatch: 0, humanevalPassAt1: 0, devLoss: 5 }, noJudge),
    run("lora", 0, { gsm8kExactMatch: 0, humanevalPassAt1: 0.25, devLoss: 4.5 }, noJudge),
    run("lora", 1, { gsm8kExactMatch: 0, humanevalPassAt1: 0, devLoss: 4.25 }, noJudge),
  ];
  const t = benchmarkFloorTable(runs);
  const row = (name: string) => t.rows.find((r) => r[0] === name)!;

  it("marks a column at floor only when no run of any method scores above the floor", () => {
    expect(row("GSM8K exact match")[3]).toMatch(/^at floor \(0\) in every run/);
    expect(row("GSM8K exact match").slice(1, 3)).toEqual([0, 3]);
    // one seed of one method passing one task lifts the column off the floor
    expect(row("HumanEval pass@1")[3]).toBe("above floor in 1 of 3 runs");
    expect(row("HumanEval pass@1")[1]).toBe(0.25);
  });

  it("says why a column has no values, from the runs' notes", () => {
    expect(row("MT-Bench score")[3]).toBe("not measured: not judged: no judge configured");
    expect(row("MT-Bench score")[2]).toBe(0);
    expect(unjudgedColumns(t)).toEqual(["GSM8K exact match", "MT-Bench score"]);
  });

  it("the loss column is never at floor and reports its best (lowest) run", () => {
    expect(row("GSM8K solution loss")[1]).toBe(4.25);
    expect(String(row("GSM8K solution loss")[3])).not.toMatch(/floor/);
  });

  it("the table keeps every column, floor ones included, one row per method", () => {
    const table = scoreTable(runs, BENCHMARK_COLUMNS, { order: ["base", "lora"] });
    expect(table.columns).toEqual(["method", ...BENCHMARK_COLUMNS.map((c) => c.name)]);
    expect(table.rows.map((r) => r[0])).toEqual(["base", "lora"]);
    expect(table.rows[1]![1]).toEqual({ mean: 0, std: 0 });
    expect(table.rows[1]![3]).toBeNull();
  });
});

describe("benchmark runs in the cache", () => {
  let baseDir: string;
  beforeAll(async () => {
    baseDir = await smokeBase();
  });

  it("keeps a trained run's adapter files beside its result and reads both back", async () => {
    const cache = mkdtempSync(join(tmpdir(), "bench-cache-"));
    try {
      const o = {
        ...benchmarkRunOptions(benchmarkSettingsFor("smoke"), { baseDir, method: "lora", seed: 0, gate: DEFAULT_GATE }),
        generation: { humaneval: 0, mtbench: 0, maxTokens: 4 },
        evalLimit: 1,
      };
      const first = await cachedRun(o, { cacheDir: cache, adapters: true });
      expect(first.cached).toBe(false);
      expect(readdirSync(first.adapterDir!).sort()).toEqual(["adapter_config.json", "adapter_model.safetensors"]);
      const again = await cachedRun(o, { cacheDir: cache, adapters: true });
      expect(again).toMatchObject({ cached: true, adapterDir: first.adapterDir, metrics: first.metrics });
      // a result cached without its adapter files trains again (deterministically) to get them
      rmSync(first.adapterDir!, { recursive: true });
      const third = await cachedRun(o, { cacheDir: cache, adapters: true });
      expect(third.cached).toBe(false);
      expect(third.metrics).toEqual(first.metrics);
      expect(existsSync(join(third.adapterDir!, "adapter_model.safetensors"))).toBe(true);
      expect(readdirSync(cache).filter((f) => f.includes(".tmp-"))).toEqual([]);
      // the untuned base has no adapter to keep
      const base = await cachedRun({ ...o, method: "base" }, { cacheDir: cache, adapters: true });
      expect(base.adapterDir).toBeUndefined();
    } finally {
      rmSync(cache, { recursive: true, force: true });
    }
  });
});
