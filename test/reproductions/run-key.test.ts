// The run cache never serves a stale result: its key follows every effective option (defaults
// included), the base model's and the data's contents, and the library code a run executes.
import { mkdtempSync, mkdirSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterEach, describe, expect, it } from "vitest";
import { DEFAULT_GATE } from "../../lib/adapters/hybrid/gate.js";
import { DEFAULT_LR, DEFAULT_TARGETS, resolveRunOptions } from "../../lib/experiments/run-method.js";
import { moduleClosureDigest } from "../../lib/reproduce/fingerprint.js";
import { runCodeVersion, runKey, runKeyMaterial } from "../../lib/reproduce/run-key.js";
import { cachedRun } from "../../lib/reproduce/runs.js";
import { runOptionsFor, settingsFor } from "../../lib/reproduce/settings.js";
import { benchmarkRunOptions, benchmarkSettingsFor } from "../../lib/reproduce/benchmarks.js";
import { ROOT } from "../helpers/ensure-built.js";

const dirs: string[] = [];
const temp = (prefix: string) => {
  const d = mkdtempSync(join(tmpdir(), prefix));
  dirs.push(d);
  return d;
};
afterEach(() => {
  for (const d of dirs.splice(0)) rmSync(d, { recursive: true, force: true });
});

const smoke = (over: Partial<Parameters<typeof runOptionsFor>[1]> = {}) =>
  runOptionsFor(settingsFor("smoke"), { baseDir: "/x/base-abc", method: "hybrid", task: "sst2", seed: 0, ...over });

describe("run cache key: effective options", () => {
  it("a changed default the caller never passed is a cache miss", async () => {
    const o = { baseDir: "/x/base-abc", method: "lora" as const, task: "sst2" as const, steps: 4 };
    const cache = temp("run-cache-");
    const before = runKey(o);
    // The entry cached under today's defaults is read back without training...
    const fake = { method: "lora", task: "sst2", seed: 0, steps: 4, metrics: { accuracy: 0.25 } };
    writeFileSync(join(cache, `${before}.json`), JSON.stringify(fake));
    const hit = await cachedRun(o, { cacheDir: cache });
    expect(hit).toMatchObject({ cached: true, metrics: { accuracy: 0.25 } });
    // ...and once the library's default rate changes, the same call no longer finds it.
    const saved = DEFAULT_LR.lora;
    try {
      DEFAULT_LR.lora = saved * 2;
      const after = runKey(o);
      expect(after).not.toBe(before);
      expect(resolveRunOptions(o).lr).toBe(saved * 2);
    } finally {
      DEFAULT_LR.lora = saved;
    }
    expect(runKey(o)).toBe(before);
  });

  it("passing a default explicitly is the same run; a setting the method ignores changes nothing", () => {
    const o = { baseDir: "/x/b", method: "lora" as const, task: "sst2" as const, steps: 8 };
    const explicit = {
      ...o,
      seed: 0,
      lr: DEFAULT_LR.lora,
      batchSize: 8,
      seqLen: 64,
      evalLimit: 200,
      evalEvery: 2,
      evalLossLimit: 64,
      scoring: "head" as const,
      pooling: "mean" as const,
      targets: DEFAULT_TARGETS,
      adapter: { r: 4, alpha: 8 },
      warmupSteps: 0,
      clip: 1,
    };
    expect(runKey(explicit)).toBe(runKey(o));
    expect(runKey({ ...o, adapter: { blockSize: 8 } })).toBe(runKey(o)); // LoRA has no blocks
    expect(runKey({ ...o, adapter: { r: 8 } })).not.toBe(runKey(o));
    expect(runKey({ ...o, pooling: "last" })).not.toBe(runKey(o));
    // The derived defaults follow the options they derive from.
    expect(resolveRunOptions({ ...o, steps: 40 })).toMatchObject({ evalEvery: 10, warmupSteps: 4 });
    expect(resolveRunOptions({ ...o, method: "hybrid", batchSize: 2 }).adapter).toEqual({
      r: 4,
      alpha: 8,
      blockSize: 4,
      gate: DEFAULT_GATE,
      gradientSamples: 8,
    });
    // The hybrid's default gate is resolved, so naming it is the same run and another gate is not.
    const hybrid = { ...o, method: "hybrid" as const };
    expect(runKey({ ...hybrid, adapter: { r: 4, alpha: 8, gate: DEFAULT_GATE } })).toBe(runKey(hybrid));
    expect(runKey({ ...hybrid, adapter: { r: 4, alpha: 8, gate: { kind: "share" } } })).not.toBe(runKey(hybrid));
    // Different target functions are different runs (the old key printed every function as undefined).
    expect(runKey({ ...o, targets: (n: string) => n.endsWith("q_proj") })).not.toBe(
      runKey({ ...o, targets: (n: string) => n.endsWith("v_proj") }),
    );
  });

  it("the base run's key ignores training settings it never uses", () => {
    const base = smoke({ method: "base" });
    expect(runKey({ ...base, steps: 99, lr: 1 })).toBe(runKey(base));
    expect(runKey({ ...base, evalLimit: 7 })).not.toBe(runKey(base));
  });
});

describe("run cache key: contents and code", () => {
  it("follows the base model's files, not the folder they sit in", () => {
    const a = join(temp("base-a-"), "base-x");
    const b = join(temp("base-b-"), "base-x");
    for (const d of [a, b]) {
      mkdirSync(d);
      writeFileSync(join(d, "config.json"), '{"model_type":"llama"}');
      writeFileSync(join(d, "model.safetensors"), "weights");
      writeFileSync(join(d, "pretrain.json"), `{"seconds": ${Math.random()}}`); // a report, not the model
    }
    expect(runKey(smoke({ baseDir: a }))).toBe(runKey(smoke({ baseDir: b })));
    writeFileSync(join(b, "model.safetensors"), "retrained weights");
    expect(runKey(smoke({ baseDir: b }))).not.toBe(runKey(smoke({ baseDir: a })));
  });

  it("follows the task's data files", () => {
    const data = temp("data-");
    mkdirSync(join(data, "glue", "sst2"), { recursive: true });
    writeFileSync(join(data, "glue", "sst2", "train.tsv"), "sentence\tlabel\nfine\t1\n");
    writeFileSync(join(data, "glue", "sst2", "dev.tsv"), "sentence\tlabel\nbad\t0\n");
    const first = runKey(smoke({ dataDir: data }));
    writeFileSync(join(data, "glue", "sst2", "dev.tsv"), "sentence\tlabel\nbad\t1\n");
    expect(runKey(smoke({ dataDir: data }))).not.toBe(first);
    const m = runKeyMaterial(smoke({ dataDir: data })) as { data: Record<string, string | null> };
    expect(Object.keys(m.data).sort()).toEqual(["glue/sst2/dev.tsv", "glue/sst2/train.tsv"]);
  });

  it("a GSM8K run follows every benchmark file it trains on or generates for, and its judge", () => {
    const data = temp("data-");
    const files = ["gsm8k/train.jsonl", "gsm8k/test.jsonl", "humaneval/HumanEval.jsonl", "mtbench/question.jsonl"];
    for (const f of files) {
      mkdirSync(join(data, f, ".."), { recursive: true });
      writeFileSync(join(data, f), "{}\n");
    }
    const spec = { baseDir: "/x/b", method: "hybrid" as const, seed: 0, gate: DEFAULT_GATE, dataDir: data };
    const o = (mtbench: number) => ({
      ...benchmarkRunOptions(benchmarkSettingsFor("smoke"), spec),
      generation: { humaneval: 2, mtbench, maxTokens: 8 },
    });
    const m = runKeyMaterial(o(2)) as { data: Record<string, string | null> };
    expect(Object.keys(m.data).sort()).toEqual([...files].sort());
    const first = runKey(o(2));
    for (const f of files) {
      writeFileSync(join(data, f), "{}\n{}\n");
      const next = runKey(o(2));
      expect(next, f).not.toBe(first);
      writeFileSync(join(data, f), "{}\n");
    }
    expect(runKey(o(2))).toBe(first);
    // A judged run is keyed by the judge's endpoint and model (never its key); an unjudged one is not.
    const saved = { ...process.env };
    try {
      process.env.PEFT_JUDGE_BASE_URL = "http://127.0.0.1:9/v1";
      process.env.PEFT_JUDGE_MODEL = "judge-a";
      process.env.PEFT_JUDGE_API_KEY = "secret";
      const judgedA = runKey(o(2));
      expect(judgedA).not.toBe(first);
      expect(JSON.stringify(runKeyMaterial(o(2)))).not.toContain("secret");
      process.env.PEFT_JUDGE_MODEL = "judge-b";
      expect(runKey(o(2))).not.toBe(judgedA);
      delete process.env.PEFT_JUDGE_BASE_URL;
      delete process.env.PEFT_JUDGE_MODEL;
      const unjudged = runKey(o(0));
      process.env.PEFT_JUDGE_BASE_URL = "http://127.0.0.1:9/v1";
      process.env.PEFT_JUDGE_MODEL = "judge-a";
      expect(runKey(o(0))).toBe(unjudged);
    } finally {
      for (const k of ["PEFT_JUDGE_BASE_URL", "PEFT_JUDGE_MODEL", "PEFT_JUDGE_API_KEY"])
        if (saved[k] === undefined) delete process.env[k];
        else process.env[k] = saved[k];
    }
  });

  it("carries the package version and a digest of the code runMethod reaches", () => {
    const v = runCodeVersion();
    const pkg = JSON.parse(readFileSync(join(ROOT, "package.json"), "utf8")) as { version: string };
    expect(v.package).toBe(pkg.version);
    expect(v.code).toMatch(/^[0-9a-f]{64}$/);
    expect((runKeyMaterial(smoke()) as { library: unknown }).library).toEqual(v);
  });

  it("the code digest changes with any module in the import closure and with nothing else", () => {
    const lib = temp("closure-");
    mkdirSync(join(lib, "a"));
    const write = (rel: string, text: string) => writeFileSync(join(lib, rel), text);
    write(
      "entry.ts",
      'import { x } from "./a/x.js";\nexport const run = async () => (await import("./lazy.js")).y + x;\n',
    );
    write("a/x.ts", 'export { z as x } from "../z.js";\n');
    write("z.ts", "export const z = 1;\n");
    write("lazy.ts", "export const y = 2;\n");
    write("unrelated.ts", "export const u = 3;\n");
    const digest = () => moduleClosureDigest(join(lib, "entry.ts"), lib);
    const first = digest();
    write("unrelated.ts", "export const u = 4;\n");
    expect(digest()).toBe(first);
    for (const [file, text] of [
      ["z.ts", "export const z = 10;\n"], // re-exported two levels down
      ["lazy.ts", "export const y = 20;\n"], // reached only by a dynamic import
    ]) {
      write(file as string, text as string);
      expect(digest(), file).not.toBe(first);
    }
  });
});
