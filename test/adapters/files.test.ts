// adapter_model.safetensors + adapter_config.json: round trip onto a fresh base, PEFT's
// naming read back by an independent PyTorch script, and clear errors on mismatched bases.
import * as tf from "@tensorflow/tfjs";
import { mkdtemp, readFile, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, describe, expect, it } from "vitest";
import { attach, loadAdapter, type AttachOptions, type Attachment } from "../../lib/adapters/index.js";
import { readSafetensorsHeader } from "../../lib/io/safetensors.js";
import { runPythonJson } from "../helpers/python.js";
import { inputs, maxAbsDiff, Mlp, mse } from "./host.js";

const dirs: string[] = [];
afterAll(async () => {
  for (const d of dirs) await rm(d, { recursive: true, force: true });
});
async function tmp(): Promise<string> {
  const d = await mkdtemp(join(tmpdir(), "adapters-"));
  dirs.push(d);
  return d;
}

const DIMS = [16, 32, 16];
const x = inputs(6, 16, 1);
const y = inputs(6, 16, 2);

function trained(
  method: AttachOptions["method"],
  extra: Record<string, unknown> = {},
): { model: Mlp; att: Attachment } {
  const model = new Mlp(DIMS, 3);
  const batches = [0, 1].map((i) => ({ x: inputs(4, 16, 10 + i), y: inputs(4, 16, 20 + i) }));
  const opts = {
    method,
    targets: ["up_proj", "down_proj"],
    seed: 1,
    r: 2,
    blockSize: 4,
    factors: 2,
    ...extra,
  } as AttachOptions;
  if (method === "loraga" || method === "hybrid")
    Object.assign(opts, { estimate: { loss: (b: { x: tf.Tensor; y: tf.Tensor }) => mse(model, b.x, b.y), batches } });
  const att = attach(model, opts);
  const opt = tf.train.sgd(0.5);
  for (let step = 0; step < 3; step++) {
    const { value, grads } = tf.variableGrads(() => mse(model, x, y), att.variables());
    att.onGradients(grads, step);
    opt.applyGradients(grads);
    value.dispose();
    Object.values(grads).forEach((g) => {
      g.dispose();
    });
  }
  return { model, att };
}

describe.each(["lora", "boft", "loraga", "urnn", "hybrid"] as const)("%s files", (method) => {
  it("save then load onto a freshly created base reproduces the outputs", async () => {
    const { model, att } = trained(method);
    const expected = model.forward(x);
    const dir = await tmp();
    await att.save(dir);
    const fresh = new Mlp(DIMS, 3); // same base weights, new variables, no adapter
    expect(maxAbsDiff(fresh.forward(x), expected)).toBeGreaterThan(1e-4);
    const loaded = await loadAdapter(fresh, dir);
    expect(maxAbsDiff(fresh.forward(x), expected)).toBeLessThan(1e-5);
    loaded.detach();
    att.detach();
    const header = await readSafetensorsHeader(join(dir, "adapter_model.safetensors"));
    for (const key of Object.keys(header)) expect(key).toMatch(/^base_model\.model\.model\.mlp\.(up|down)_proj\./);
  });
});

describe("PEFT naming, read by an independent PyTorch script", () => {
  async function viaPython(model: Mlp, dir: string, baseWeights?: Float32Array[]): Promise<number[]> {
    const layers = model.layers.map((l, i) => ({
      name: l.name,
      in: l.inFeatures,
      out: l.outFeatures,
      W: Array.from(baseWeights?.[i] ?? l.weight.dataSync()),
      bias: Array.from((l.bias as tf.Variable).dataSync()),
    }));
    const res = runPythonJson<{ y: number[]; keys: string[] }>(
      "test/reference/adapter_peft_apply.py",
      [],
      JSON.stringify({ dir, layers, x: Array.from(x.dataSync()) }),
    );
    return res.y;
  }

  it.each([
    ["lora", {}],
    ["lora", { rslora: true, alpha: 8 }],
    ["boft", { blockSize: 2, factors: 3 }],
    ["boft", { blockNum: 4, blockSize: undefined, factors: 2 }],
  ] as const)("%s %o", async (method, extra) => {
    const { model, att } = trained(method, extra);
    const dir = await tmp();
    await att.save(dir);
    const cfg = JSON.parse(await readFile(join(dir, "adapter_config.json"), "utf8"));
    expect(cfg.peft_type).toBe(method === "lora" ? "LORA" : "BOFT");
    expect(cfg.target_modules).toEqual(["model.mlp.up_proj", "model.mlp.down_proj"]);
    const header = await readSafetensorsHeader(join(dir, "adapter_model.safetensors"));
    if (method === "boft") expect(header["base_model.model.model.mlp.up_proj.boft_s"]?.shape).toEqual([32, 1]);
    else expect(header["base_model.model.model.mlp.up_proj.lora_A.weight"]?.shape).toEqual([2, 16]);
    // base weights as the model holds them without the adapter
    const base = model.layers.map((l) => Float32Array.from(l.weight.dataSync()));
    const ours = model.forward(x);
    const theirs = await viaPython(model, dir, base);
    expect(maxAbsDiff(ours, tf.tensor2d(theirs, [6, 16]))).toBeLessThan(1e-5);
    att.detach();
  });

  it("LoRA-GA is exported as a rank-2r LoRA that applies to the ORIGINAL base weights", async () => {
    const { model, att } = trained("loraga");
    const ours = model.forward(x);
    const dir = await tmp();
    await att.save(dir);
    att.detach(); // restores the original W (LoRA-GA had subtracted s·B₀A₀ from it)
    const cfg = JSON.parse(await readFile(join(dir, "adapter_config.json"), "utf8"));
    expect(cfg.r).toBe(4);
    const theirs = await viaPython(model, dir);
    expect(maxAbsDiff(ours, tf.tensor2d(theirs, [6, 16]))).toBeLessThan(1e-5);
  });
});

describe("loading checks the base", () => {
  it("names the tensor, the expected and the found shape", async () => {
    const { att } = trained("lora");
    const dir = await tmp();
    await att.save(dir);
    att.detach();
    const other = new Mlp([16, 24, 16], 3);
    await expect(loadAdapter(other, dir)).rejects.toThrow(
      /lora_B\.weight' has shape \[32, 2\], but model\.mlp\.up_proj \(in_features 16, out_features 24\) needs \[24, 2\]/,
    );
    expect(other.layers.every((l) => l.adapter === null)).toBe(true);
  });

  it("names modules the model lacks", async () => {
    const { att } = trained("boft");
    const dir = await tmp();
    await att.save(dir);
    att.detach();
    const one = new Mlp([16, 16], 3); // a single Linear, named up_proj
    const onlyUp = { linears: () => new Map([...one.linears()].filter(([n]) => n.endsWith("up_proj"))) };
    await expect(loadAdapter(onlyUp, dir)).rejects.toThrow(/module\(s\) model\.mlp\.down_proj that the model lacks/);
  });
});
