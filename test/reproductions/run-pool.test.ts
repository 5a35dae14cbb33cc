// cachedRuns' local run pool: runs trained side by side in processes of their own give the results
// the notebook's own process gives at the same thread count, bit for bit; a run that fails there
// fails in its place and the others finish; the pool size and thread share are checked.
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import type { RunMethodOptions } from "../../lib/experiments/run-method.js";
import { parallelRuns, threadsPerRun } from "../../lib/reproduce/run-pool.js";
import { ensureBuilt, ROOT } from "../helpers/ensure-built.js";

// The pool forks dist/lib/reproduce/run-pool-child.js, so this file drives the built library.
type Dist = {
  batch: typeof import("../../lib/reproduce/run-batch.js");
  ensure: typeof import("../../lib/pretrain/ensure.js");
  backend: typeof import("../../lib/backend/select.js");
};
let dist: Dist;
let baseDir: string;
const dirs: string[] = [];
const tmp = () => {
  const d = mkdtempSync(join(tmpdir(), "run-pool-"));
  dirs.push(d);
  return d;
};

beforeAll(async () => {
  await ensureBuilt();
  const load = (rel: string) => import(join(ROOT, "dist", rel));
  dist = {
    batch: await load("lib/reproduce/run-batch.js"),
    ensure: await load("lib/pretrain/ensure.js"),
    backend: await load("lib/backend/select.js"),
  };
  await dist.backend.useBackend({ threads: 1 });
  baseDir = await dist.ensure.ensureBaseModel({ scale: "smoke", seed: 0 });
}, 300_000);
afterAll(() => {
  for (const d of dirs.splice(0)) rmSync(d, { recursive: true, force: true });
});

const spec = (method: RunMethodOptions["method"], seed = 0): RunMethodOptions => ({
  baseDir,
  method,
  task: "sst2",
  seed,
  steps: 3,
  batchSize: 4,
  seqLen: 24,
  trainLimit: 32,
  evalLimit: 16,
  evalLossLimit: 8,
  evalEvery: 3,
});

describe("cachedRuns with a run pool", () => {
  it("trains in processes of one thread each and gives the in-process results bit for bit", async () => {
    const saved = process.env.PEFT_THREADS;
    process.env.PEFT_THREADS = "1";
    try {
      const specs = [spec("base"), spec("lora"), spec("hybrid"), spec("lora", 1)];
      const logs: string[] = [];
      const cache = tmp();
      const pooled = await dist.batch.cachedRuns(specs, {
        cacheDir: cache,
        parallel: 2,
        queue: false,
        progress: false,
        log: (m) => logs.push(m),
      });
      const here = await dist.batch.cachedRuns(specs, { cacheDir: null, queue: false, progress: false });
      expect(logs.some((l) => /training 4 runs in 2 processes of 1 thread\(s\) each/.test(l))).toBe(true);
      for (const [i, p] of pooled.entries()) {
        const h = here[i]!;
        if (!p.ok || !h.ok) throw new Error(`run ${i} failed: ${JSON.stringify(p.ok ? h : p).slice(0, 400)}`);
        expect(p.cached).toBe(false);
        expect([p.method, p.seed]).toEqual([specs[i]!.method, specs[i]!.seed]);
        expect(p.metrics).toEqual(h.metrics);
        expect(p.lossCurve).toEqual(h.lossCurve);
        expect(p.gradNorms).toEqual(h.gradNorms);
        expect(p.gates).toEqual(h.gates);
      }
      // Different seeds, different runs: the pool did not hand one run's result to another.
      expect(pooled[1]!.ok && pooled[3]!.ok && pooled[1]!.lossCurve).not.toEqual(pooled[3]!.ok && pooled[3]!.lossCurve);
      // Asked again, every run is read back from the cache the pool filled.
      const again = await dist.batch.cachedRuns(specs, { cacheDir: cache, parallel: 2, queue: false, progress: false });
      expect(again.map((r) => r.ok && r.cached)).toEqual([true, true, true, true]);
    } finally {
      if (saved === undefined) delete process.env.PEFT_THREADS;
      else process.env.PEFT_THREADS = saved;
    }
  }, 300_000);

  it("fails a run in its place (refused options, a missing base model) and finishes the others", async () => {
    const refused = { ...spec("lora"), steps: 0 };
    const missing = { ...spec("lora"), baseDir: join(tmp(), "no-such-model") };
    const outcomes = await dist.batch.cachedRuns([refused, spec("base"), missing, spec("full")], {
      cacheDir: tmp(),
      parallel: 2,
      queue: false,
      progress: false,
    });
    expect(outcomes.map((o) => o.ok)).toEqual([false, true, false, true]);
    const [r, , m] = outcomes;
    expect(!r!.ok && r!.error).toMatch(/steps must be a positive integer, found 0/);
    expect(!m!.ok && m!.error).toMatch(/no-such-model/);
  }, 300_000);
});

describe("pool size and thread share", () => {
  it("come from the option, else PEFT_PARALLEL_RUNS, else 1; a bad value names its source", () => {
    const saved = process.env.PEFT_PARALLEL_RUNS;
    try {
      delete process.env.PEFT_PARALLEL_RUNS;
      expect(parallelRuns()).toBe(1);
      process.env.PEFT_PARALLEL_RUNS = "3";
      expect(parallelRuns()).toBe(3);
      expect(parallelRuns(2)).toBe(2);
      process.env.PEFT_PARALLEL_RUNS = "two";
      expect(() => parallelRuns()).toThrow(/PEFT_PARALLEL_RUNS: expected a positive integer .*found "two"/);
      expect(() => parallelRuns(0)).toThrow(/parallel: expected a positive integer .*found "0"/);
    } finally {
      if (saved === undefined) delete process.env.PEFT_PARALLEL_RUNS;
      else process.env.PEFT_PARALLEL_RUNS = saved;
    }
  });

  it("shares the cores evenly, at least one thread each, unless PEFT_THREADS says otherwise", () => {
    const saved = process.env.PEFT_THREADS;
    try {
      delete process.env.PEFT_THREADS;
      expect(threadsPerRun(2, 2)).toBe(1);
      expect(threadsPerRun(2, 8)).toBe(4);
      expect(threadsPerRun(3, 8)).toBe(2);
      expect(threadsPerRun(4, 2)).toBe(1);
      process.env.PEFT_THREADS = "3";
      expect(threadsPerRun(2, 8)).toBe(3);
    } finally {
      if (saved === undefined) delete process.env.PEFT_THREADS;
      else process.env.PEFT_THREADS = saved;
    }
  });
});
