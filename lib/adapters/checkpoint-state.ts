// What a training checkpoint must carry about an attachment beyond its variables, for a resume
// that continues the very same run: the dropout draw counter and the hybrid's λ (JSON), LoRA-GA's
// gradient-derived B₀, A₀ (tensors: re-attaching recomputes them from a fresh gradient estimate,
// which need not give the same bits), and SHA-256 digests of every frozen base weight, so a
// resume on another base model is a clear error instead of a silently different model.
import * as tf from "@tensorflow/tfjs";
import { createHash } from "node:crypto";
import type { TensorToWrite } from "../io/safetensors.js";
import type { Linear } from "../nn/linear.js";
import type { CheckpointParts } from "./method.js";
import type { Method } from "./registry.js";
import type { LayerAdapter } from "./types.js";

/** What Attachment.checkpointState() returns (JSON-safe). */
export interface AttachmentCheckpointState extends Record<string, unknown> {
  method: Method;
  /** Dropout draws so far: masks are seeded from (seed, counter), so restoring it replays them. */
  dropoutCalls: number;
  /** Hybrid only: each layer's current λ, the memory of the EMA gate. */
  lambdas: Record<string, number>;
  /** SHA-256 of each target's frozen base weight (LoRA-GA: the original W, before its offset). */
  baseWeights?: Record<string, string>;
  /** LoRA-GA: SHA-256 of each frozen W − s·B₀A₀, to tell whether a resume rebuilt it bit for bit. */
  offsetWeights?: Record<string, string>;
}

/** The parts of an Attachment this module reads and restores. */
export interface AttachmentInternals {
  method: Method;
  /** What the method's checkpoint carries (its descriptor's `checkpoint`). */
  checkpoint: CheckpointParts<LayerAdapter>;
  layers: Map<string, { linear: Linear; layer: LayerAdapter }>;
  ctx: { dropoutCalls: number };
  /** The pre-merge weight of a layer while merged (the live weight is then the merged one). */
  unmergedWeight(name: string): tf.Tensor | undefined;
}

export interface RestoreStateContext {
  /** checkpointTensors() as saved; absent or empty for checkpoints written before they existed. */
  tensors?: Map<string, TensorToWrite>;
  path?: string;
  warn?: (message: string) => void;
}

export function tensorDigest(t: tf.Tensor): string {
  const data = t.dataSync();
  return createHash("sha256")
    .update(new Uint8Array(data.buffer, data.byteOffset, data.byteLength))
    .digest("hex");
}

const A0_KEY = "loraga_A0";
const B0_KEY = "loraga_B0";

function initFactors(att: AttachmentInternals, layer: LayerAdapter): { A0: tf.Tensor2D; B0: tf.Tensor2D } | null {
  return att.checkpoint.initFactors?.get(layer) ?? null;
}

/** Digests of the frozen weights: base per target, and LoRA-GA's offset weight. */
export function weightDigests(
  att: AttachmentInternals,
): Pick<AttachmentCheckpointState, "baseWeights" | "offsetWeights"> {
  const baseWeights: Record<string, string> = {};
  const offsetWeights: Record<string, string> = {};
  for (const [name, { linear, layer }] of att.layers) {
    const live = att.unmergedWeight(name) ?? linear.weight;
    const original = att.checkpoint.initFactors?.originalWeight?.(layer);
    if (original) {
      baseWeights[name] = tensorDigest(original);
      offsetWeights[name] = tensorDigest(live);
    } else baseWeights[name] = tensorDigest(live);
  }
  return Object.keys(offsetWeights).length ? { baseWeights, offsetWeights } : { baseWeights };
}

/** B₀ and A₀ of every LoRA-GA and hybrid layer, as `<module>.loraga_A0` / `.loraga_B0`. */
export function initTensors(att: AttachmentInternals): Map<string, TensorToWrite> {
  const out = new Map<string, TensorToWrite>();
  for (const [name, { layer }] of att.layers) {
    const f = initFactors(att, layer);
    if (!f) continue;
    out.set(`${name}.${A0_KEY}`, { shape: f.A0.shape.slice(), data: Float32Array.from(f.A0.dataSync()) });
    out.set(`${name}.${B0_KEY}`, { shape: f.B0.shape.slice(), data: Float32Array.from(f.B0.dataSync()) });
  }
  return out;
}

/**
 * Puts back what checkpointState()/checkpointTensors() saved. Everything is checked before
 * anything changes: a mismatch throws and leaves the attachment as it was.
 * `digests` are the attachment's current weight digests (weightDigests(att)).
 */
export function restoreAttachmentState(
  att: AttachmentInternals,
  state: Record<string, unknown>,
  digests: () => ReturnType<typeof weightDigests>,
  context: RestoreStateContext = {},
): void {
  const where = `${context.path ? `${context.path}: ` : ""}attachment checkpoint state`;
  const warn = context.warn ?? (() => undefined);
  if (state.method !== att.method)
    throw new Error(`${where}: method is '${String(state.method)}', this attachment is '${att.method}'`);
  const calls = state.dropoutCalls;
  if (typeof calls !== "number" || !Number.isInteger(calls) || calls < 0)
    throw new Error(`${where}: dropoutCalls must be a non-negative integer, found ${JSON.stringify(calls)}`);
  const lambdas = checkLambdas(att, state.lambdas, where);

  const saved = state.baseWeights as Record<string, unknown> | undefined;
  if (saved) {
    const now = digests().baseWeights ?? {};
    const targets = [...att.layers.keys()];
    const missing = targets.filter((n) => !(n in saved));
    const extra = Object.keys(saved).filter((n) => !att.layers.has(n));
    if (missing.length || extra.length)
      throw new Error(
        `${where}: the checkpointed run adapted other modules${missing.length ? `; not in it: ${missing.join(", ")}` : ""}${extra.length ? `; not attached here: ${extra.join(", ")}` : ""}`,
      );
    const differ = targets.filter((n) => saved[n] !== now[n]);
    if (differ.length)
      throw new Error(
        `${where}: the frozen base weight of ${differ.join(", ")} differs from the checkpointed run's (SHA-256): the checkpoint was trained on another base model, so resuming would not continue that run`,
      );
  } else warn(`${where}: no base-weight digests (written before checkpoint version 2); the base model is not checked`);

  const factors = readInitFactors(att, context.tensors, where, warn);
  const offsets = factors ? offsetWeights(att, factors) : new Map<string, tf.Tensor2D>();
  const savedOffsets = (state.offsetWeights ?? {}) as Record<string, unknown>;
  const drift = [...offsets].filter(([n, w]) => n in savedOffsets && savedOffsets[n] !== tensorDigest(w));
  if (drift.length)
    warn(
      `${where}: the frozen W − s·B₀A₀ rebuilt here from the checkpoint's B₀, A₀ differs in its last bits from the checkpointed run's for ${drift.map(([n]) => n).join(", ")} (another tfjs backend?); training continues from the checkpoint but will not match the original bit for bit`,
    );

  att.ctx.dropoutCalls = calls;
  const { lambda, initFactors: init } = att.checkpoint;
  for (const [name, { layer }] of att.layers) {
    if (lambda) lambda.set(layer, lambdas[name] as number);
    const f = factors?.get(name);
    if (f && init) init.restore(layer, f, offsets.get(name));
  }
}

function checkLambdas(att: AttachmentInternals, value: unknown, where: string): Record<string, number> {
  const lambdas = (value ?? {}) as Record<string, unknown>;
  if (typeof lambdas !== "object" || Array.isArray(lambdas))
    throw new Error(`${where}: lambdas must be an object of layer → λ, found ${JSON.stringify(value)}`);
  const expected = att.checkpoint.lambda ? [...att.layers.keys()] : [];
  const found = Object.keys(lambdas);
  const missing = expected.filter((n) => !(n in lambdas));
  const extra = found.filter((n) => !expected.includes(n));
  if (missing.length || extra.length) {
    throw new Error(
      `${where}: lambdas do not match the hybrid layers${missing.length ? `; missing ${missing.join(", ")}` : ""}${extra.length ? `; unknown ${extra.join(", ")}` : ""}`,
    );
  }
  for (const [name, v] of Object.entries(lambdas)) {
    if (typeof v !== "number" || !(v >= 0 && v <= 1))
      throw new Error(`${where}: λ of ${name} must be a number in [0, 1], found ${JSON.stringify(v)}`);
  }
  return lambdas as Record<string, number>;
}

/** The checkpoint's B₀, A₀ per LoRA-GA/hybrid layer, shape-checked; null when there are none to restore. */
function readInitFactors(
  att: AttachmentInternals,
  tensors: Map<string, TensorToWrite> | undefined,
  where: string,
  warn: (message: string) => void,
): Map<string, { A0: tf.Tensor2D; B0: tf.Tensor2D }> | null {
  const needing = [...att.layers].filter(([, { layer }]) => initFactors(att, layer) !== null);
  if (needing.length === 0 || tensors === undefined) return null;
  if (![...tensors.keys()].some((k) => k.endsWith(`.${A0_KEY}`))) {
    warn(
      `${where}: the checkpoint carries no LoRA-GA initial factors B₀, A₀ (written before checkpoint version 2); the ones re-attaching computed are kept, and the resume may not continue the same run`,
    );
    return null;
  }
  const problems: string[] = [];
  for (const [name, { layer }] of needing) {
    const live = initFactors(att, layer) as { A0: tf.Tensor2D; B0: tf.Tensor2D };
    for (const [key, t] of [
      [A0_KEY, live.A0],
      [B0_KEY, live.B0],
    ] as const) {
      const saved = tensors.get(`${name}.${key}`);
      if (!saved) problems.push(`'${name}.${key}' is missing`);
      else if (saved.shape.join(",") !== t.shape.join(","))
        problems.push(
          `'${name}.${key}' has shape [${saved.shape.join(", ")}], this attachment [${t.shape.join(", ")}]`,
        );
    }
  }
  if (problems.length)
    throw new Error(`${where}: trainable-state.safetensors does not fit this attachment: ${problems.join("; ")}`);
  const out = new Map<string, { A0: tf.Tensor2D; B0: tf.Tensor2D }>();
  for (const [name] of needing) {
    const a = tensors.get(`${name}.${A0_KEY}`) as TensorToWrite;
    const b = tensors.get(`${name}.${B0_KEY}`) as TensorToWrite;
    out.set(name, {
      A0: tf.tensor2d(a.data, a.shape as [number, number]),
      B0: tf.tensor2d(b.data, b.shape as [number, number]),
    });
  }
  return out;
}

/** The frozen weights (W − s·B₀A₀) the checkpoint's factors give, for layers that fold them into W. */
function offsetWeights(
  att: AttachmentInternals,
  factors: Map<string, { A0: tf.Tensor2D; B0: tf.Tensor2D }>,
): Map<string, tf.Tensor2D> {
  const out = new Map<string, tf.Tensor2D>();
  const offset = att.checkpoint.initFactors?.offsetWeight;
  if (!offset) return out;
  for (const [name, { layer }] of att.layers) {
    const f = factors.get(name);
    if (f) out.set(name, offset(layer, f));
  }
  return out;
}
