// The parts of a sweep that need no Redis: the queue URL, what a job carries, where a worker finds
// its inputs, the thread budget, failed runs in tables, the live view, and the local batch path.
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { useBackend } from "../../lib/backend/select.js";
import type { RunMethodOptions } from "../../lib/experiments/run-method.js";
import { ensureBaseModel } from "../../lib/pretrain/ensure.js";
import { cachedRuns } from "../../lib/reproduce/run-batch.js";
import { expectRuns, failureTable, type RunFailure } from "../../lib/reproduce/run-outcome.js";
import { runOptionsFor, settingsFor } from "../../lib/reproduce/settings.js";
import { glueColumns, scoreTable, type RunSummary } from "../../lib/reproduce/tables.js";
import { localInputs, resolveBaseDir } from "../../lib/sweep/job-inputs.js";
import { threadEnv } from "../../lib/sweep/job-process.js";
import { checkQueueUrl, queueUrlFrom, redactUrl } from "../../lib/sweep/queue-url.js";
import { DirectoryResultStore } from "../../lib/sweep/result-store.js";
import { decodeOptions, encodeOptions } from "../../lib/sweep/run-job.js";
import { sweepTable } from "../../lib/sweep/sweep-view.js";

describe("queue URL", () => {
  it("comes from the option, else PEFT_QUEUE_URL, else nowhere (local)", () => {
    const saved = process.env.PEFT_QUEUE_URL;
    try {
      delete process.env.PEFT_QUEUE_URL;
      expect(queueUrlFrom()).toBeNull();
      process.env.PEFT_QUEUE_URL = "redis://env-host:6379";
      expect(queueUrlFrom()).toBe("redis://env-host:6379");
      expect(queueUrlFrom(null)).toBe("redis://env-host:6379");
      expect(queueUrlFrom("rediss://user:pw@tls-host:6380/2")).toBe("rediss://user:pw@tls-host:6380/2");
    } finally {
      if (saved === undefined) delete process.env.PEFT_QUEUE_URL;
      else process.env.PEFT_QUEUE_URL = saved;
    }
  });

  it("bad URLs are refused with what was expected, never with the password", () => {
    expect(() => checkQueueUrl("http://host:1")).toThrow(/scheme http .*expected redis:\/\/ or rediss:\/\//);
    expect(() => checkQueueUrl("redis://:topsecret@host:1/jobs")).toThrow(/path \/jobs .*database number/);
    expect(() => checkQueueUrl("redis://:topsecret@host:1/jobs")).not.toThrow(/topsecret/);
    expect(() => checkQueueUrl("not a url :topsecret@")).toThrow(/is not a URL/);
    expect(redactUrl("redis://me:topsecret@host:6379/1")).toBe("redis://me:***@host:6379/1");
    expect(redactUrl("redis://host:6379")).toBe("redis://host:6379");
  });
});

describe("job payload", () => {
  it("carries RegExp targets and nested settings through JSON; a predicate is refused by name", () => {
    const o: RunMethodOptions = {
      baseDir: "/m/base",
      method: "hybrid",
      task: "sst2",
      steps: 3,
      targets: /q_proj|v_proj/gi,
      adapter: { r: 2, gate: { kind: "softmax", temperature: 0.5 } },
      progress: true,
    };
    const back = decodeOptions(JSON.parse(JSON.stringify(encodeOptions(o))));
    expect(back.targets).toBeInstanceOf(RegExp);
    expect(String(back.targets)).toBe("/q_proj|v_proj/gi");
    expect(back.adapter).toEqual(o.adapter);
    expect(back.progress).toBeUndefined(); // how a run is shown is not part of the job
    expect(() => encodeOptions({ ...o, targets: (n: string) => n.endsWith("q_proj") })).toThrow(
      /'targets' is a function/,
    );
    expect(() => decodeOptions({ method: "lora", task: "sst2" })).toThrow(/options\.baseDir must be a string/);
  });

  it("a worker finds the base model at the notebook's path, then in --models, then in the store", () => {
    const root = mkdtempSync(join(tmpdir(), "peft-inputs-"));
    try {
      const store = new DirectoryResultStore(join(root, "store"));
      const name = "small-s0-wasm-0123";
      const o: RunMethodOptions = { baseDir: join(root, "elsewhere", name), method: "lora", task: "sst2", steps: 1 };
      expect(() => resolveBaseDir(o, name, store)).toThrow(
        /base model 'small-s0-wasm-0123' is not on this machine; looked in .*elsewhere/,
      );
      const place = (dir: string) => {
        mkdirSync(dir, { recursive: true });
        writeFileSync(join(dir, "config.json"), "{}");
        return dir;
      };
      const inStore = place(store.baseDir(name));
      expect(resolveBaseDir(o, name, store, join(root, "models"))).toBe(inStore);
      const inModels = place(join(root, "models", name));
      expect(resolveBaseDir(o, name, store, join(root, "models"))).toBe(inModels);
      const atPath = place(o.baseDir);
      expect(resolveBaseDir(o, name, store, join(root, "models"))).toBe(atPath);
      // data: the job's folder when it exists here, else --data, else this machine's default
      const data = join(root, "data");
      mkdirSync(data);
      expect(localInputs({ ...o, dataDir: data }, name, store, {}).dataDir).toBe(data);
      expect(localInputs({ ...o, dataDir: "/no/such" }, name, store, { dataDir: data }).dataDir).toBe(data);
      expect("dataDir" in localInputs({ ...o, dataDir: "/no/such" }, name, store, {})).toBe(false);
    } finally {
      rmSync(root, { recursive: true, force: true });
    }
  });

  it("each job's process gets its thread budget in every variable the math libraries read", () => {
    expect(threadEnv(3)).toMatchObject({ PEFT_THREADS: "3", OMP_NUM_THREADS: "3", OPENBLAS_NUM_THREADS: "3" });
  });
});

const ok = (method: string, seed: number, acc: number): RunSummary => ({
  method: method as RunSummary["method"],
  task: "sst2",
  seed,
  metrics: { accuracy: acc, devLoss: 1 },
  primary: "accuracy",
  resources: null,
});
const failed = (method: string, seed: number, error: string): RunFailure => ({
  ok: false,
  key: `${method}-sst2-s${seed}-x`,
  method: method as RunFailure["method"],
  task: "sst2",
  seed,
  error,
});

describe("failed runs in tables", () => {
  it("a cell with a failed run names the failure; other cells keep their means; an all-failed method keeps its row", () => {
    const runs = [ok("lora", 0, 0.5), failed("lora", 1, "w2: Error: out of memory\n    at train"), ok("full", 0, 0.75)];
    const t = scoreTable([...runs, failed("boft", 0, "Error: bad")], glueColumns(["sst2"], runs), {
      order: ["full", "lora", "boft"],
    });
    expect(t.columns).toEqual(["method", "sst2 accuracy", "sst2 dev loss"]);
    expect(t.rows.map((r) => r[0])).toEqual(["full", "lora", "boft"]);
    expect(t.rows[0]![1]).toBe(0.75);
    expect(t.rows[1]![1]).toBe("failed: seed 1: w2: Error: out of memory");
    expect(t.rows[2]![2]).toBe("failed: seed 0: Error: bad");
    // a failure on another task does not touch this task's cells
    expect(
      scoreTable([ok("lora", 0, 0.5), { ...failed("lora", 1, "x"), task: "cola" }], glueColumns(["sst2"])).rows[0]![1],
    ).toBe(0.5);
  });

  it("failure table and expectRuns name every failed run", () => {
    const f = [failed("lora", 1, "first line\nsecond"), failed("urnn", 2, "boom")];
    expect(failureTable(f).rows).toEqual([
      ["lora", "sst2", 1, "lora-sst2-s1-x", "first line"],
      ["urnn", "sst2", 2, "urnn-sst2-s2-x", "boom"],
    ]);
    expect(() =>
      expectRuns([
        {
          ...ok("full", 0, 1),
          ok: true,
          key: "k",
          cached: false,
          lossCurve: null as never,
          evalCurve: null as never,
          gradNorms: [],
          gates: [],
          steps: 1,
        },
        ...f,
      ]),
    ).toThrow(/2 run\(s\) failed:\n {2}lora on sst2, seed 1 \(lora-sst2-s1-x\): first line\n {2}urnn on sst2, seed 2/);
  });
});

describe("live view of queued runs", () => {
  it("shows step, loss and tokens/s of runs in training, and counts by status", () => {
    const t = sweepTable([
      {
        key: "a",
        label: "lora sst2 s0",
        status: "active",
        progress: {
          phase: "training",
          worker: "w1",
          step: 3,
          totalSteps: 6,
          loss: 2.5,
          tokensPerSec: 812.4,
          resumedFromStep: 2,
        },
      },
      { key: "b", label: "full sst2 s0", status: "stored" },
      { key: "c", label: "boft sst2 s0", status: "failed", note: "Error: x" },
      { key: "d", label: "urnn sst2 s0", status: "waiting" },
    ]);
    expect(t.rows[0]).toEqual(["lora sst2 s0", "active (training)", "w1", "3/6", 2.5, 812, "resumed from step 2"]);
    expect(t.rows[2]![6]).toBe("Error: x");
    expect(t.caption).toBe("Queued runs: 1 of 4 finished (1 already stored), 1 training, 1 waiting, 1 failed");
  });
});

describe("cachedRuns without a queue", () => {
  let baseDir: string;
  let cache: string;
  beforeAll(async () => {
    await useBackend("wasm");
    baseDir = await ensureBaseModel({ scale: "smoke", seed: 0 });
    cache = mkdtempSync(join(tmpdir(), "peft-runs-"));
  }, 300_000);
  afterAll(() => rmSync(cache, { recursive: true, force: true }));

  it("a failing run comes back as a failure in its place and the next run still trains", async () => {
    const S = settingsFor("smoke");
    const bad = { ...runOptionsFor(S, { baseDir, method: "lora", task: "sst2", seed: 0 }), lr: -1 };
    const good = runOptionsFor(S, { baseDir, method: "base", task: "sst2", seed: 0 });
    const out = await cachedRuns([bad, good], { queue: false, cacheDir: cache });
    expect(out.map((o) => o.ok)).toEqual([false, true]);
    expect(out[0]!.ok ? "" : out[0]!.error).toMatch(/lr must be positive, found -1/);
    expect(out[1]!.ok && out[1]!.metrics.devLoss).toBeGreaterThan(0);
    await expect(cachedRuns([good], { queue: "redis://127.0.0.1:1", cacheDir: null })).rejects.toThrow(
      /cache=false cannot be combined with a queue/,
    );
  }, 300_000);
});
