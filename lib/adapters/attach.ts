// attach(host, {method, targets, ...}) → Attachment: the single entry point for all methods.
// Installs one LayerAdapter per target Linear, freezes base weights, and provides the
// TrainableSet the trainer optimises.
import * as tf from "@tensorflow/tfjs";
import type { Linear } from "../nn/linear.js";
import type { LinearHost, ParameterGroup, ParameterHost, TrainableSet } from "../nn/module.js";
import type { GateRecord } from "../records/types.js";
import type { TensorToWrite } from "../io/safetensors.js";
import { BoftLayer } from "./boft.js";
import {
  initTensors,
  restoreAttachmentState,
  weightDigests,
  type AttachmentCheckpointState,
  type RestoreStateContext,
} from "./checkpoint-state.js";
import { DEFAULT_GATE, gateMeasure, initialLambda, nextLambda, validateGate } from "./gate.js";
import { weightSpaceNorms } from "./gate-signal.js";
import { estimateGradients } from "./gradient-estimate.js";
import { groupGradNorms } from "./grad-norms.js";
import { HybridLayer } from "./hybrid.js";
import { LoraLayer, checkRank, loraScale } from "./lora.js";
import { LoraGaLayer, loraGaFactors } from "./loraga.js";
import { resolveTargets } from "./targets.js";
import type { AdapterContext, LayerAdapter, Method } from "./types.js";
import { UrnnLayer } from "./urnn.js";
import { newPrefix } from "./variables.js";
import type { AttachOptions, GradientSource, HybridAttachOptions } from "./options.js";
import { saveAdapter } from "./peft-save.js";

export type { AttachmentCheckpointState } from "./checkpoint-state.js";
export type {
  AttachOptions,
  BoftAttachOptions,
  HybridAttachOptions,
  LoraAttachOptions,
  LoraGaAttachOptions,
  UrnnAttachOptions,
} from "./options.js";

/** Internal: a hybrid rebuilt from a file has a plain LoRA branch in converted form. */
export interface RestoreHints {
  hybridLora?: Map<string, { A: tf.Tensor2D; B: tf.Tensor2D }>;
}

const METHODS: Method[] = ["lora", "boft", "loraga", "urnn", "hybrid"];

export function attach(host: LinearHost, options: AttachOptions, hints: RestoreHints = {}): Attachment {
  if (!METHODS.includes(options.method)) {
    throw new Error(`attach: unknown method '${String(options.method)}'; expected one of ${METHODS.join(", ")}`);
  }
  const targets = resolveTargets(host, options.targets);
  for (const [name, lin] of targets) {
    if (lin.adapter) throw new Error(`attach: ${name} already has an adapter; detach it first`);
  }
  const seed = options.seed ?? 0;
  const prefix = newPrefix(options.method);
  const ctx: AdapterContext = { training: true, dropoutCalls: 0, seed };
  const needsGrad = (options.method === "loraga" || options.method === "hybrid") && !hints.hybridLora;
  const grads = needsGrad ? gradientsFor(targets, options as GradientSource & { method: string }) : null;
  if (options.method === "hybrid") validateGate(options.gate ?? DEFAULT_GATE);

  const layers = new Map<string, { linear: Linear; layer: LayerAdapter }>();
  try {
    for (const [name, linear] of targets) {
      layers.set(name, { linear, layer: makeLayer(name, linear, options, seed, prefix, ctx, grads, hints) });
    }
  } catch (err) {
    for (const { layer } of layers.values()) {
      if (layer instanceof LoraGaLayer) layer.restoreBase();
      layer.dispose();
    }
    throw err;
  }
  return new Attachment(host, options, layers, ctx);
}

function gradientsFor(
  targets: Map<string, Linear>,
  src: GradientSource & { method: string },
): Map<string, Float64Array> {
  if (src.gradients) {
    const out = new Map<string, Float64Array>();
    for (const [name, lin] of targets) {
      const g = src.gradients.get(name);
      if (!g)
        throw new Error(
          `${src.method}: no gradient given for target ${name}; gradients has ${[...src.gradients.keys()].join(", ")}`,
        );
      const data = g instanceof tf.Tensor ? g.dataSync() : g;
      const want = lin.outFeatures * lin.inFeatures;
      if (data.length !== want)
        throw new Error(
          `${src.method}: gradient for ${name} has ${data.length} values, expected [${lin.outFeatures}, ${lin.inFeatures}]`,
        );
      out.set(name, Float64Array.from(data));
    }
    return out;
  }
  if (!src.estimate)
    throw new Error(`${src.method}: needs the gradient estimate: pass estimate: { loss, batches } (or gradients)`);
  return estimateGradients(targets, src.estimate);
}

function makeLayer(
  name: string,
  linear: Linear,
  o: AttachOptions,
  seed: number,
  prefix: string,
  ctx: AdapterContext,
  grads: Map<string, Float64Array> | null,
  hints: RestoreHints,
): LayerAdapter {
  switch (o.method) {
    case "lora":
      return new LoraLayer(name, linear.inFeatures, linear.outFeatures, { ...o, seed, prefix }, ctx);
    case "boft":
      return new BoftLayer(name, linear, { ...o, prefix });
    case "urnn":
      return new UrnnLayer(name, linear, { seed, prefix });
    case "loraga":
      return new LoraGaLayer(name, linear, grads?.get(name) as Float64Array, { ...o, seed, prefix }, ctx);
    case "hybrid": {
      const boft = new BoftLayer(name, linear, { ...o, prefix });
      const lambda = initialLambda(o.gate ?? DEFAULT_GATE);
      const restored = hints.hybridLora?.get(name);
      if (restored) {
        const lora = new LoraLayer(
          name,
          linear.inFeatures,
          linear.outFeatures,
          { seed, prefix, alpha: restored.A.shape[0], rslora: false, branch: "loraga", init: restored },
          ctx,
        );
        return new HybridLayer(name, linear, boft, lora, null, lambda);
      }
      const r = o.r ?? 8;
      checkRank(name, r, linear.inFeatures, linear.outFeatures);
      const rslora = o.rslora ?? true;
      const f = loraGaFactors(
        name,
        grads?.get(name) as Float64Array,
        linear.outFeatures,
        linear.inFeatures,
        r,
        loraScale(o.alpha ?? 16, r, rslora),
        { ...o, seed },
      );
      const A0 = tf.keep(tf.tensor2d(f.A, [r, linear.inFeatures]));
      const B0 = tf.keep(tf.tensor2d(f.B, [linear.outFeatures, r]));
      const lora = new LoraLayer(
        name,
        linear.inFeatures,
        linear.outFeatures,
        { ...o, r, rslora, seed, prefix, branch: "loraga", init: { A: A0, B: B0 } },
        ctx,
      );
      return new HybridLayer(name, linear, boft, lora, { A0, B0 }, lambda);
    }
  }
}

export class Attachment implements TrainableSet {
  readonly method: Method;
  /**
   * The method a loaded file was trained with when it differs from `method`: a LoRA-GA adapter is
   * saved in converted rank-2r form and loads back as plain LoRA ("lora", scale 1) with
   * convertedFrom "loraga" — same function, but the gradient-derived init and the offset are gone.
   */
  convertedFrom?: Method;
  /** λ_l per step, hybrid only. */
  readonly gateRecords: GateRecord[] = [];
  private enabledFlag = true;
  private backups: Map<string, tf.Tensor> | null = null;
  private frozen: { v: tf.Variable; was: boolean }[] = [];
  private detached = false;
  /** Digests of the frozen weights, taken once: they never change while attached. */
  private digests: ReturnType<typeof weightDigests> | null = null;

  constructor(
    readonly host: LinearHost,
    readonly options: AttachOptions,
    readonly layers: Map<string, { linear: Linear; layer: LayerAdapter }>,
    private readonly ctx: AdapterContext,
  ) {
    this.method = options.method;
    for (const { linear, layer } of layers.values()) {
      linear.adapter = layer;
      for (const v of [linear.weight, linear.bias]) if (v) this.frozen.push({ v, was: v.trainable });
    }
    // Freeze every base weight the host exposes, not only the targets.
    const named = (host as Partial<ParameterHost>).namedParameters?.();
    if (named)
      for (const v of named.values())
        if (!this.frozen.some((f) => f.v === v)) this.frozen.push({ v, was: v.trainable });
    for (const { v } of this.frozen) v.trainable = false;
  }

  /** Module paths that carry this adapter. */
  get targets(): string[] {
    return [...this.layers.keys()];
  }

  get enabled(): boolean {
    return this.enabledFlag;
  }

  get merged(): boolean {
    return this.backups !== null;
  }

  private alive(what: string): void {
    if (this.detached) throw new Error(`attachment (${this.method}): ${what} after detach()`);
  }

  /** Training mode turns dropout on (PyTorch's default is training mode, so is ours). */
  train(on = true): void {
    this.ctx.training = on;
  }

  eval(): void {
    this.ctx.training = false;
  }

  enable(): void {
    this.alive("enable()");
    this.enabledFlag = true;
    if (!this.merged) for (const { linear, layer } of this.layers.values()) linear.adapter = layer;
  }

  /** Base output back (adapter kept). A merged attachment is unmerged first. */
  disable(): void {
    this.alive("disable()");
    if (this.merged) this.unmerge();
    this.enabledFlag = false;
    for (const { linear } of this.layers.values()) linear.adapter = null;
  }

  /** Folds the adapter into the weights; the pre-merge weights are kept so unmerge() is exact. */
  merge(): void {
    this.alive("merge()");
    if (this.merged) return;
    const backups = new Map<string, tf.Tensor>();
    for (const [name, { linear, layer }] of this.layers) {
      backups.set(name, tf.keep(linear.weight.clone()));
      const w = layer.mergedWeight(linear.weight as tf.Tensor2D);
      linear.weight.assign(w);
      w.dispose();
      linear.adapter = null;
    }
    this.backups = backups;
  }

  unmerge(): void {
    this.alive("unmerge()");
    if (!this.backups) return;
    for (const [name, { linear, layer }] of this.layers) {
      const b = this.backups.get(name) as tf.Tensor;
      linear.weight.assign(b);
      b.dispose();
      if (this.enabledFlag) linear.adapter = layer;
    }
    this.backups = null;
  }

  /** Removes the adapter and restores the base (weights, trainable flags) as before attach. */
  detach(): void {
    if (this.detached) return;
    if (this.merged) this.unmerge();
    for (const { linear, layer } of this.layers.values()) {
      linear.adapter = null;
      if (layer instanceof LoraGaLayer) layer.restoreBase();
      layer.dispose();
    }
    for (const { v, was } of this.frozen) v.trainable = was;
    this.detached = true;
  }

  groups(): ParameterGroup[] {
    return [...this.layers.values()].flatMap(({ layer }) => layer.groups());
  }

  variables(): tf.Variable[] {
    return this.groups().flatMap((g) => g.variables);
  }

  get trainableParameters(): number {
    return this.variables().reduce((n, v) => n + v.size, 0);
  }

  /** Base parameters (all of the host's when it is a ParameterHost, else its Linears') plus the adapter's. */
  get totalParameters(): number {
    const named = (this.host as Partial<ParameterHost>).namedParameters?.();
    let base = 0;
    if (named) for (const v of named.values()) base += v.size;
    else for (const l of this.host.linears().values()) base += l.weight.size + (l.bias?.size ?? 0);
    return base + this.trainableParameters;
  }

  /** Hybrid: recompute every layer's λ from this step's gradients (the policy's measure) and record it. */
  onGradients(grads: Record<string, tf.Tensor>, step: number): void {
    if (this.method !== "hybrid") return;
    const policy = (this.options as HybridAttachOptions).gate ?? DEFAULT_GATE;
    const entries = [...this.layers.values()].map(({ linear, layer }) => ({
      hybrid: layer as HybridLayer,
      weight: linear.weight as tf.Tensor2D,
    }));
    const count = (g: ParameterGroup) => g.variables.reduce((n, v) => n + v.size, 0);
    const measure = gateMeasure(policy);
    let pairs: { boft: number; loraga: number }[];
    if (measure === "weight-space") pairs = weightSpaceNorms(entries, grads);
    else if (measure === "parameter") {
      const groups = entries.flatMap(({ hybrid }) => [...hybrid.boft.groups(), ...hybrid.lora.groups()]);
      const norms = groupGradNorms(grads, groups);
      pairs = entries.map((_, i) => ({ boft: norms[2 * i] as number, loraga: norms[2 * i + 1] as number }));
    } else pairs = entries.map(() => ({ boft: Number.NaN, loraga: Number.NaN }));
    entries.forEach(({ hybrid: h }, i) => {
      h.lambda = nextLambda(policy, h.lambda, {
        ...(pairs[i] as { boft: number; loraga: number }),
        boftCount: count(h.boft.groups()[0] as ParameterGroup),
        loragaCount: count(h.lora.groups()[0] as ParameterGroup),
      });
      this.gateRecords.push({ step, layer: h.layer, lambda: h.lambda });
    });
  }

  /**
   * State a training checkpoint needs beyond the variables (the trainer stores it in state.json):
   * the dropout draw counter, so masks replay, each hybrid layer's current λ, the EMA's memory, and
   * digests of the frozen base weights (checkpoint-state.ts).
   */
  checkpointState(): AttachmentCheckpointState {
    this.alive("checkpointState()");
    const lambdas: Record<string, number> = {};
    for (const [name, { layer }] of this.layers) if (layer instanceof HybridLayer) lambdas[name] = layer.lambda;
    return { method: this.method, dropoutCalls: this.ctx.dropoutCalls, lambdas, ...this.weightDigests() };
  }

  /** Tensors a checkpoint needs beyond the variables: LoRA-GA's (and the hybrid's) B₀, A₀. */
  checkpointTensors(): Map<string, TensorToWrite> {
    this.alive("checkpointTensors()");
    return initTensors(this.internals());
  }

  /**
   * Puts back what checkpointState() and checkpointTensors() saved; checks it fits this attachment
   * (method, layers, the same base weights) before changing anything.
   */
  restoreCheckpointState(state: Record<string, unknown>, context: RestoreStateContext = {}): void {
    this.alive("restoreCheckpointState()");
    if (this.merged) throw new Error(`attachment (${this.method}): unmerge() before restoring a checkpoint`);
    restoreAttachmentState(this.internals(), state, () => this.weightDigests(), context);
    // LoRA-GA's frozen weight may have been rebuilt from the checkpoint's factors.
    this.digests = null;
  }

  private weightDigests(): ReturnType<typeof weightDigests> {
    this.digests ??= weightDigests(this.internals());
    return this.digests;
  }

  private internals() {
    return {
      method: this.method,
      layers: this.layers,
      ctx: this.ctx,
      unmergedWeight: (name: string) => this.backups?.get(name),
    };
  }

  /** Writes adapter_model.safetensors + adapter_config.json (see peft-save.ts). */
  async save(dir: string): Promise<void> {
    this.alive("save()");
    await saveAdapter(this, dir);
  }
}
