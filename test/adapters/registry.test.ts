// The method registry: every method is one descriptor, and everything that lists methods or
// holds a per-method default reads it. Checked here: the descriptors agree with what their
// layers save and their files load; options get defaults and named errors; the experiment
// layer's lists and defaults are derived; the gate reads the gradient norms handed to it.
import * as tf from "@tensorflow/tfjs";
import { mkdtemp, readFile, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, afterEach, describe, expect, it } from "vitest";
import {
  ADAPTER_METHOD_NAMES,
  ADAPTER_METHODS,
  adapterMethod,
  attach,
  DEFAULT_GATE,
  loadAdapter,
  type AttachOptions,
  type Attachment,
} from "../../lib/adapters/index.js";
import type { HybridLayer } from "../../lib/adapters/hybrid/layer.js";
import { methodForPeftType } from "../../lib/adapters/registry.js";
import { DEFAULT_LR, RUN_METHODS, TRAINED_METHODS, learningRates } from "../../lib/experiments/methods.js";
import { resolveRunOptions } from "../../lib/experiments/run-method.js";
import { inputs, Mlp, mse } from "./host.js";

const made: { model: Mlp; att?: Attachment }[] = [];
const dirs: string[] = [];
afterEach(() => {
  for (const m of made.splice(0)) {
    m.att?.detach();
    m.model.dispose();
  }
});
afterAll(async () => {
  for (const d of dirs) await rm(d, { recursive: true, force: true });
});

/** Every method on a small MLP, with the options a test bag gives all of them. */
function attached(method: string, extra: Record<string, unknown> = {}) {
  const model = new Mlp([16, 32, 16], 7);
  const gradients = new Map(
    [...model.linears()].map(([name, l]) => [name, inputs(l.outFeatures, l.inFeatures, 9) as tf.Tensor2D]),
  );
  const att = attach(model, { method, targets: ["up_proj", "down_proj"], r: 2, gradients, ...extra } as AttachOptions);
  made.push({ model, att });
  return { model, att };
}

describe("the registry", () => {
  it("lists each method once, by the name its descriptor carries", () => {
    expect(ADAPTER_METHOD_NAMES).toEqual(ADAPTER_METHODS.map((m) => m.name));
    expect(new Set(ADAPTER_METHOD_NAMES).size).toBe(ADAPTER_METHODS.length);
    for (const name of ADAPTER_METHOD_NAMES) expect(adapterMethod(name).name).toBe(name);
    expect(() => adapterMethod("prefix")).toThrow(/unknown method 'prefix'; expected one of lora, boft, loraga/);
  });

  it.each(ADAPTER_METHOD_NAMES)("%s: its layers save exactly the tensors its descriptor names", (method) => {
    const { att } = attached(method);
    const d = adapterMethod(method);
    for (const { layer } of att.layers.values()) {
      const saved = layer.state();
      expect([...saved.keys()].sort()).toEqual([...d.suffixes].sort());
      tf.dispose([...saved.values()]);
    }
  });

  it("every peft_type a method writes is read by one method: its own, or LoRA for LoRA-GA", () => {
    for (const d of ADAPTER_METHODS) {
      const reader = methodForPeftType(d.peftType);
      expect(reader, d.name).toBeDefined();
      expect(reader!.name).toBe(d.fromPeft ? d.name : "lora");
      expect(ADAPTER_METHODS.filter((o) => o.peftType === d.peftType && o.fromPeft)).toHaveLength(1);
    }
  });
});

describe("options", () => {
  it("fill in each method's defaults", () => {
    expect(adapterMethod("lora").config({})).toEqual({ r: 8, alpha: 16, rslora: false, dropout: 0 });
    // LoRA-GA's stable scale assumes rsLoRA, so it is on by default there and in the hybrid.
    expect(adapterMethod("loraga").config({})).toMatchObject({ r: 8, alpha: 16, rslora: true, direction: "ArB2r" });
    expect(adapterMethod("boft").config({})).toEqual({ blockSize: 4, blockNum: 0, factors: 1 });
    expect(adapterMethod("boft").config({ blockNum: 2 })).toEqual({ blockSize: 0, blockNum: 2, factors: 1 });
    expect(adapterMethod("hybrid").config({})).toMatchObject({ blockSize: 4, r: 8, rslora: true, gate: DEFAULT_GATE });
  });

  it("are checked with the method, the option and the value named", () => {
    expect(() => adapterMethod("lora").config({ r: 0 })).toThrow("lora: r must be an integer ≥ 1, found 0");
    expect(() => adapterMethod("lora").config({ dropout: 1 })).toThrow("lora: dropout must be in [0, 1), found 1");
    expect(() => adapterMethod("loraga").config({ direction: "sideways" })).toThrow(
      /loraga: direction must be one of ArB2r, A2rBr, ArBr, random, found "sideways"/,
    );
    expect(() => adapterMethod("boft").config({ factors: 1.5 })).toThrow("boft: factors must be an integer ≥ 1");
    expect(() => adapterMethod("hybrid").config({ gate: { kind: "fixed", lambda: 3 } })).toThrow(/lambda must be in/);
  });

  it("one bag of options serves every method, but a key no method takes is refused", () => {
    for (const method of ADAPTER_METHOD_NAMES)
      expect(attached(method, { blockSize: 4, gate: DEFAULT_GATE }).att.method).toBe(method);
    const model = new Mlp([16, 16], 1);
    made.push({ model });
    expect(() => attach(model, { method: "lora", targets: ["up_proj"], rank: 4 } as unknown as AttachOptions)).toThrow(
      "attach (lora): unknown option(s) rank; lora takes targets, seed, r, alpha, rslora, dropout",
    );
    expect(model.layers.every((l) => l.adapter === null)).toBe(true);
  });
});

describe("files", () => {
  it("a hybrid loaded from a file saves again with the rank of its tensors", async () => {
    const { att } = attached("hybrid", { blockSize: 4 });
    const dir = await mkdtemp(join(tmpdir(), "registry-"));
    dirs.push(dir);
    await att.save(join(dir, "a"));
    const fresh = new Mlp([16, 32, 16], 7);
    const loaded = await loadAdapter(fresh, join(dir, "a"));
    made.push({ model: fresh, att: loaded });
    await loaded.save(join(dir, "b"));
    const cfg = async (d: string) => JSON.parse(await readFile(join(dir, d, "adapter_config.json"), "utf8"));
    const [a, b] = [await cfg("a"), await cfg("b")];
    expect(a.r).toBe(4); // rank 2r in converted form
    expect(b.r).toBe(a.r);
    expect(b.lora_alpha).toBe(a.lora_alpha);
    expect(b.gate).toEqual(a.gate);
  });
});

describe("the gate reads the norms the trainer hands over", () => {
  it("uses the given per-group norms instead of recomputing them; computes them when none are given", () => {
    const { model, att } = attached("hybrid", { gate: { kind: "share" } });
    const { grads, value } = tf.variableGrads(() => mse(model, inputs(4, 16, 1), inputs(4, 16, 2)), att.variables());
    value.dispose();
    const layers = att.targets;
    // Handed norms: BOFT 3, LoRA-GA 1 in every layer ⇒ raw share 0.75, smoothed 0.9·0.5 + 0.1·0.75.
    const norms = layers.flatMap((layer) => [
      { step: 1, layer, branch: "boft", norm: 3 },
      { step: 1, layer, branch: "loraga", norm: 1 },
    ]);
    att.onGradients(grads, 1, norms);
    for (const g of att.gateRecords) expect(g.lambda).toBeCloseTo(0.525, 12);
    const lambdas = layers.map((l) => (att.layers.get(l)!.layer as HybridLayer).lambda);
    // Without norms, the share is read from the gradients themselves: a different value.
    att.onGradients(grads, 2);
    const next = att.gateRecords.filter((g) => g.step === 2);
    expect(next).toHaveLength(layers.length);
    next.forEach((g, i) => {
      expect(g.lambda).not.toBeCloseTo(0.9 * lambdas[i]! + 0.1 * 0.75, 6);
    });
    tf.dispose(Object.values(grads));
  });
});

describe("the experiment layer derives its lists and defaults from the registry", () => {
  it("runs base, full and every adapter method; trains full and every adapter method", () => {
    expect(RUN_METHODS).toEqual(["base", "full", ...ADAPTER_METHOD_NAMES]);
    expect(TRAINED_METHODS).toEqual(["full", ...ADAPTER_METHOD_NAMES]);
  });

  it("keeps the tuned learning rates (docs/reproductions.md) and runMethod's adapter settings", () => {
    expect(Object.keys(DEFAULT_LR)).toEqual(TRAINED_METHODS);
    expect(DEFAULT_LR).toMatchObject({ full: 2e-3, lora: 5e-3, boft: 5e-2, loraga: 5e-3, urnn: 5e-2, hybrid: 5e-3 });
    expect(learningRates("lm")).toMatchObject({
      full: 1e-3,
      lora: 2e-2,
      boft: 5e-2,
      loraga: 2e-2,
      urnn: 5e-2,
      hybrid: 2e-2,
    });
    const adapter = (method: (typeof RUN_METHODS)[number]) =>
      resolveRunOptions({ baseDir: "/b", method, task: "sst2", steps: 4, batchSize: 8 }).adapter;
    expect(adapter("lora")).toEqual({ r: 4, alpha: 8 });
    expect(adapter("boft")).toEqual({ blockSize: 4 });
    expect(adapter("loraga")).toEqual({ r: 4, alpha: 8, gradientSamples: 32 });
    expect(adapter("urnn")).toBeNull();
    expect(adapter("hybrid")).toEqual({ r: 4, alpha: 8, blockSize: 4, gate: DEFAULT_GATE, gradientSamples: 32 });
    expect(adapter("full")).toBeNull();
  });
});
