// attach(host, {method, targets, ...}) → Attachment: the single entry point for all methods.
// Installs one LayerAdapter per target Linear, freezes base weights, and provides the
// TrainableSet the trainer optimises. Everything method-specific comes from the method's
// descriptor (registry.ts): its configuration, layers, gate and checkpoint parts.
import * as tf from "@tensorflow/tfjs";
import type { TensorToWrite } from "../io/safetensors.js";
import type { Linear } from "../nn/linear.js";
import type { LinearHost, ParameterGroup, ParameterHost, TrainableSet } from "../nn/module.js";
import type { GateRecord, GradNormRecord } from "../records/types.js";
import {
  initTensors,
  restoreAttachmentState,
  weightDigests,
  type AttachmentCheckpointState,
  type RestoreStateContext,
} from "./checkpoint-state.js";
import { groupGradNorms } from "./grad-norms.js";
import { estimateGradients, type GradientSource } from "./gradient-estimate.js";
import type { AnyAdapterMethod } from "./method.js";
import { saveAdapter, type ModulesToSave } from "./peft-save.js";
import { ADAPTER_METHODS, adapterMethod, type AttachOptions, type Method } from "./registry.js";
import { resolveTargets, type TargetSpec } from "./targets.js";
import type { AdapterContext, LayerAdapter } from "./types.js";
import { newPrefix } from "./variables.js";

export type { AttachmentCheckpointState } from "./checkpoint-state.js";
export type {
  AttachOptions,
  BoftAttachOptions,
  HybridAttachOptions,
  LoraAttachOptions,
  LoraGaAttachOptions,
  UrnnAttachOptions,
} from "./registry.js";

/** Every option key some method takes. */
const KNOWN_OPTIONS = new Set<string>(ADAPTER_METHODS.flatMap((m) => m.optionKeys));

export function attach(host: LinearHost, options: AttachOptions): Attachment {
  const method = adapterMethod(String(options.method));
  const { method: _name, targets, seed, ...rest } = options as AttachOptions & Record<string, unknown>;
  // One bag of options may serve several methods (each takes its own), but a key no method
  // knows is a typo, not an option: refused, with what this method takes.
  const own: readonly string[] = method.optionKeys;
  const unknown = Object.keys(rest).filter((k) => rest[k] !== undefined && !KNOWN_OPTIONS.has(k));
  if (unknown.length)
    throw new Error(
      `attach (${method.name}): unknown option(s) ${unknown.join(", ")}; ${method.name} takes targets, seed${own.length ? `, ${own.join(", ")}` : ""}`,
    );
  const mine = Object.fromEntries(Object.entries(rest).filter(([k]) => own.includes(k)));
  const config = method.config(mine);
  return attachConfigured(host, method, config, { targets, seed: seed ?? 0, gradients: mine as GradientSource });
}

/**
 * Attaches a method from its resolved configuration: attach() after checking the options, and
 * loadAdapter() with the configuration a file describes (no gradient estimate: the file's
 * tensors replace the initial ones).
 */
export function attachConfigured(
  host: LinearHost,
  method: AnyAdapterMethod,
  config: unknown,
  o: { targets: TargetSpec; seed: number; gradients?: GradientSource },
): Attachment {
  const targets = resolveTargets(host, o.targets);
  for (const [name, lin] of targets) {
    if (lin.adapter) throw new Error(`attach: ${name} already has an adapter; detach it first`);
  }
  const prefix = newPrefix(method.name);
  const ctx: AdapterContext = { training: true, dropoutCalls: 0, seed: o.seed };
  const grads = method.gradientInit && o.gradients ? gradientsFor(method.name, targets, o.gradients) : null;
  const layers = new Map<string, { linear: Linear; layer: LayerAdapter }>();
  try {
    for (const [name, linear] of targets) {
      const gradient = grads?.get(name);
      const layer = method.layer(
        { name, linear, seed: o.seed, prefix, ctx, ...(gradient ? { gradient } : {}) },
        config,
      );
      layers.set(name, { linear, layer });
    }
  } catch (err) {
    for (const { layer } of layers.values()) layer.dispose();
    throw err;
  }
  return new Attachment(host, method, config, layers, ctx);
}

function gradientsFor(method: string, targets: Map<string, Linear>, src: GradientSource): Map<string, Float64Array> {
  if (src.gradients) {
    const out = new Map<string, Float64Array>();
    for (const [name, lin] of targets) {
      const g = src.gradients.get(name);
      if (!g)
        throw new Error(
          `${method}: no gradient given for target ${name}; gradients has ${[...src.gradients.keys()].join(", ")}`,
        );
      const data = g instanceof tf.Tensor ? g.dataSync() : g;
      const want = lin.outFeatures * lin.inFeatures;
      if (data.length !== want)
        throw new Error(
          `${method}: gradient for ${name} has ${data.length} values, expected [${lin.outFeatures}, ${lin.inFeatures}]`,
        );
      out.set(name, Float64Array.from(data));
    }
    return out;
  }
  if (!src.estimate)
    throw new Error(`${method}: needs the gradient estimate: pass estimate: { loss, batches } (or gradients)`);
  return estimateGradients(targets, src.estimate);
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
    /** The method's descriptor (registry.ts). */
    readonly descriptor: AnyAdapterMethod,
    /** The method's configuration with every default applied (its descriptor's config()). */
    readonly config: unknown,
    readonly layers: Map<string, { linear: Linear; layer: LayerAdapter }>,
    private readonly ctx: AdapterContext,
  ) {
    this.method = descriptor.name as Method;
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

  /** The attachment's seed (every random init derives from it). */
  get seed(): number {
    return this.ctx.seed;
  }

  /**
   * After each backward pass, before the optimiser step: the method's hook (the hybrid's gate sets
   * every layer's next λ and records it). `norms` are the trainer's per-group gradient norms of
   * this step, so nothing is computed twice; without them they are computed here when needed.
   */
  onGradients(grads: Record<string, tf.Tensor>, step: number, norms?: readonly GradNormRecord[]): void {
    if (!this.descriptor.onGradients) return;
    let byGroup: Map<string, number> | null = null;
    const key = (layer: string, branch: string) => `${layer}\u0000${branch}`;
    const groupNorm = (layer: string, branch: string): number => {
      if (!byGroup) {
        byGroup = new Map();
        if (norms) for (const r of norms) byGroup.set(key(r.layer, r.branch), r.norm);
        else {
          const groups = this.groups();
          groupGradNorms(grads, groups).forEach((n, i) => {
            const g = groups[i] as ParameterGroup;
            byGroup?.set(key(g.layer, g.branch), n);
          });
        }
      }
      return byGroup.get(key(layer, branch)) ?? Number.NaN;
    };
    const layers = [...this.layers].map(([name, { linear, layer }]) => ({ name, linear, layer }));
    for (const r of this.descriptor.onGradients({ layers, grads, step, groupNorm }, this.config))
      this.gateRecords.push(r);
  }

  /**
   * State a training checkpoint needs beyond the variables (the trainer stores it in state.json):
   * the dropout draw counter, so masks replay, each hybrid layer's current λ, the EMA's memory, and
   * digests of the frozen base weights (checkpoint-state.ts).
   */
  checkpointState(): AttachmentCheckpointState {
    this.alive("checkpointState()");
    const lambdas: Record<string, number> = {};
    const lambda = this.descriptor.checkpoint.lambda;
    if (lambda) for (const [name, { layer }] of this.layers) lambdas[name] = lambda.get(layer);
    return { method: this.method, dropoutCalls: this.ctx.dropoutCalls, lambdas, ...this.weightDigests() };
  }

  /** Tensors a checkpoint needs beyond the variables: the method's initial factors (LoRA-GA's and the hybrid's B₀, A₀). */
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
      checkpoint: this.descriptor.checkpoint,
      layers: this.layers,
      ctx: this.ctx,
      unmergedWeight: (name: string) => this.backups?.get(name),
    };
  }

  /** Writes adapter_model.safetensors + adapter_config.json (see peft-save.ts), with any modules trained beside it. */
  async save(dir: string, modulesToSave?: ModulesToSave): Promise<void> {
    this.alive("save()");
    await saveAdapter(this, dir, modulesToSave);
  }
}
