// The result store: what a run leaves on disk, what a crash before the summary leaves (nothing
// readable), named errors for damaged files, leases, and base models published once.
import { existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterEach, beforeEach, describe, expect, it } from "vitest";
import type { RunResult } from "../../lib/experiments/run-method.js";
import { checkRunKey, DirectoryResultStore, type Provenance } from "../../lib/sweep/result-store.js";

const KEY = "lora-sst2-s3-0123456789abcdef";

function result(): RunResult {
  return {
    method: "lora",
    task: "sst2",
    seed: 3,
    steps: 4,
    metrics: { accuracy: 0.625, devLoss: 1.0000000000000002 },
    primary: "accuracy",
    baseMetrics: { accuracy: 0.5, devLoss: 4.5 },
    resources: null,
    lossCurve: { run: "lora", metric: "loss", seed: 3, steps: [1, 2, 3, 4], values: [4, 3.5, 2.25, 1 / 3] },
    evalCurve: { run: "lora", metric: "devLoss", seed: 3, steps: [2, 4], values: [3, 1.0000000000000002] },
    gradNorms: [{ step: 1, layer: "model.layers.0.self_attn.q_proj", branch: "lora", norm: 0.1 + 0.2 }],
    gates: [{ step: 1, layer: "model.layers.0.self_attn.q_proj", lambda: 0.45 }],
  };
}

const provenance: Provenance = {
  worker: "w1",
  host: "h",
  pid: 1,
  backend: "wasm",
  threads: 1,
  startedAt: "2026-01-01T00:00:00.000Z",
  finishedAt: "2026-01-01T00:00:01.000Z",
  seconds: 1,
  resumedFromStep: 2,
};

describe("DirectoryResultStore", () => {
  let root: string;
  let store: DirectoryResultStore;
  beforeEach(() => {
    root = mkdtempSync(join(tmpdir(), "peft-store-"));
    store = new DirectoryResultStore(root);
  });
  afterEach(() => rmSync(root, { recursive: true, force: true }));

  it("stores a run under its key and reads back exactly what was written", async () => {
    mkdirSync(store.checkpointDir(KEY), { recursive: true });
    await store.writeLease(KEY, { worker: "w1", host: "h", pid: 1, at: Date.now() });
    const staging = await store.stageAdapter(KEY);
    writeFileSync(join(staging, "adapter_config.json"), "{}");
    expect(store.has(KEY)).toBe(false);
    await store.write(KEY, result(), provenance, { adapterStaged: true });
    expect(store.has(KEY)).toBe(true);
    const back = await store.read(KEY);
    expect(back!.result).toEqual(result());
    expect(back!.summary).toMatchObject({ key: KEY, score: 0.625, adapter: "adapter", provenance });
    expect(readFileSync(join(store.runDir(KEY), "adapter", "adapter_config.json"), "utf8")).toBe("{}");
    // checkpoints, lease and staging are gone once the result is in
    expect(existsSync(store.checkpointDir(KEY))).toBe(false);
    expect(existsSync(join(store.runDir(KEY), "lease.json"))).toBe(false);
    expect(existsSync(staging)).toBe(false);
    expect(await store.keys()).toEqual([KEY]);
  });

  it("a run whose summary was never written is not in the store", async () => {
    await store.write(KEY, result(), provenance);
    rmSync(join(store.runDir(KEY), "summary.json"));
    expect(store.has(KEY)).toBe(false);
    expect(await store.read(KEY)).toBeNull();
    expect(await store.keys()).toEqual([]);
  });

  it("a damaged file is named in the error", async () => {
    await store.write(KEY, result(), provenance);
    writeFileSync(join(store.runDir(KEY), "metrics.json"), '{"metrics": {"accu');
    await expect(store.read(KEY)).rejects.toThrow(/metrics\.json \(metrics\) is not valid JSON/);
    rmSync(join(store.runDir(KEY), "records.json"));
    writeFileSync(join(store.runDir(KEY), "metrics.json"), "{}");
    await expect(store.read(KEY)).rejects.toThrow(/records\.json \(records\) is missing/);
  });

  it("a lease is live until its time-to-live passes; only its owner drops it", async () => {
    const at = 1_000_000;
    await store.writeLease(KEY, { worker: "w1", host: "h", pid: 7, at });
    expect(await store.liveLease(KEY, 3000, at + 2999)).toMatchObject({ worker: "w1", pid: 7 });
    expect(await store.liveLease(KEY, 3000, at + 3000)).toBeNull();
    await store.dropLease(KEY, { host: "h", pid: 8 });
    expect(await store.liveLease(KEY, 3000, at + 1)).not.toBeNull();
    await store.dropLease(KEY, { host: "h", pid: 7 });
    expect(await store.liveLease(KEY, 3000, at + 1)).toBeNull();
    writeFileSync(join(store.runDir(KEY), "lease.json"), "{half");
    expect(await store.liveLease(KEY, 3000, at)).toBeNull();
  });

  it("publishes a base model once, under its name", async () => {
    const src = join(root, "src", "smoke-s0-wasm-abc");
    mkdirSync(src, { recursive: true });
    writeFileSync(join(src, "config.json"), '{"a":1}');
    writeFileSync(join(src, "model.safetensors"), "weights");
    const dir = await store.publishBase(src, "smoke-s0-wasm-abc");
    expect(dir).toBe(store.baseDir("smoke-s0-wasm-abc"));
    expect(readFileSync(join(dir, "model.safetensors"), "utf8")).toBe("weights");
    writeFileSync(join(src, "model.safetensors"), "changed");
    expect(await store.publishBase(src, "smoke-s0-wasm-abc")).toBe(dir);
    expect(readFileSync(join(dir, "model.safetensors"), "utf8")).toBe("weights");
    expect(() => store.baseDir("../x")).toThrow(/not a safe folder name/);
  });

  it("keys must be safe folder names and BullMQ job ids", () => {
    expect(checkRunKey(KEY)).toBe(KEY);
    for (const bad of ["", "../x", "a/b", "a:b", ".hidden"])
      expect(() => checkRunKey(bad)).toThrow(/not a safe folder name/);
  });

  it("failures are kept beside the run until a result replaces them", async () => {
    await store.writeFailure({ key: KEY, worker: "w2", at: "t", error: "Error: boom" });
    expect(await store.readFailure(KEY)).toMatchObject({ worker: "w2", error: "Error: boom" });
    await store.write(KEY, result(), provenance);
    expect(await store.readFailure(KEY)).toBeNull();
  });
});
