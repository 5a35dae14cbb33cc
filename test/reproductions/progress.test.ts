// Progress a person can follow: the run grid (cachedRuns) draws runs done / total with an
// estimate, and `peft-nb reproduce` turns those numbers into one terminal line per finished run.
import { mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterEach, describe, expect, it } from "vitest";
import { progressFromMetadata, type ProgressReport } from "../../lib/display/progress-report.js";
import { recordingSink, setDisplaySink } from "../../lib/display/sink.js";
import type { RunMethodOptions } from "../../lib/experiments/run-method.js";
import { progressLogger } from "../../lib/reproduce/progress-lines.js";
import { cachedRuns } from "../../lib/reproduce/run-batch.js";
import { runKey } from "../../lib/reproduce/run-key.js";

const dirs: string[] = [];
afterEach(() => {
  for (const d of dirs.splice(0)) rmSync(d, { recursive: true, force: true });
});

describe("cachedRuns progress", () => {
  it("counts every run, cached and failed, in a published runs bar that ends at total", async () => {
    const cache = mkdtempSync(join(tmpdir(), "run-progress-"));
    dirs.push(cache);
    const spec = (seed: number): RunMethodOptions => ({
      baseDir: "/x/base-abc",
      method: "lora",
      task: "sst2",
      seed,
      steps: 2,
    });
    // Two runs already in the cache (read back, never trained) and one runMethod refuses.
    for (const seed of [0, 1]) {
      const fake = { method: "lora", task: "sst2", seed, metrics: { accuracy: 0.5 } };
      writeFileSync(join(cache, `${runKey(spec(seed))}.json`), JSON.stringify(fake));
    }
    const bad = { ...spec(2), method: "nope" } as unknown as RunMethodOptions;
    const sink = recordingSink(true);
    const previous = setDisplaySink(sink);
    let outcomes;
    try {
      outcomes = await cachedRuns([spec(0), spec(1), bad], { cacheDir: cache, queue: false, label: "sst2 runs" });
    } finally {
      setDisplaySink(previous);
    }
    expect(outcomes.map((o) => o.ok)).toEqual([true, true, false]);
    const reports = sink.records.map((r) => progressFromMetadata(r.metadata)).filter((r) => r !== undefined);
    expect(reports[0]).toMatchObject({ kind: "runs", label: "sst2 runs", current: 0, total: 3 });
    // Nothing trained yet: no estimate rather than a made-up one.
    expect(reports[0]!.etaSeconds).toBeUndefined();
    const last = reports.at(-1)!;
    expect(last).toMatchObject({ current: 3, total: 3, fields: { trained: 0, cached: 2, failed: 1 } });
    expect(String(sink.records.at(-1)!.data!["text/html"])).toContain("3/3");
  });

  it("draws nothing with progress: false", async () => {
    const sink = recordingSink(true);
    const previous = setDisplaySink(sink);
    try {
      const bad = { baseDir: "/x", method: "nope", task: "sst2" } as unknown as RunMethodOptions;
      await cachedRuns([bad], { cacheDir: null, queue: false, progress: false });
    } finally {
      setDisplaySink(previous);
    }
    expect(sink.records).toEqual([]);
  });
});

describe("progressLogger (the reproduce command's terminal lines)", () => {
  const report = (over: Partial<ProgressReport>): ProgressReport => ({
    kind: "runs",
    label: "runs",
    current: 0,
    total: 18,
    elapsedSeconds: 0,
    fields: {},
    ...over,
  });

  it("prints one line per change of the count with elapsed time and the time left", () => {
    const lines: string[] = [];
    let t = 0;
    const log = progressLogger(
      "main-table",
      0,
      (l) => lines.push(l),
      () => t,
    );
    log(report({ current: 0 }));
    t = 192_000;
    log(report({ current: 7, etaSeconds: 340, fields: { cached: 2, failed: 0 } }));
    log(report({ current: 7, etaSeconds: 339 })); // a redraw of the same count: no new line
    log(report({ kind: "steps", current: 3 })); // a training bar inside a run: not relayed
    t = 500_000;
    log(report({ current: 18, etaSeconds: 0 }));
    expect(lines).toEqual([
      "  main-table: runs 0/18, 0:00 elapsed, time left unknown until a run is trained",
      "  main-table: runs 7/18 (2 cached), 3:12 elapsed, about 5:40 left",
      "  main-table: runs 18/18, 8:20 elapsed, done",
    ]);
  });
});
