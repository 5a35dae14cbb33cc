// What both families share: parameters kept under their Hugging Face names, the Linear map
// adapters hook into, the output heads, and conversion to and from checkpoint tensors.
import * as tf from "@tensorflow/tfjs";
import { Linear } from "../nn/linear.js";
import type { LinearHost, ParameterHost } from "../nn/module.js";
import type { ModelConfig } from "./config.js";
import { attentionContext, type AttentionContext, type KVCache } from "./attention.js";
import { mulberry32 } from "../random/mulberry32.js";
import { normalArray } from "./init.js";
import { gatherRows } from "./ops.js";

/** One weight: its name, in-memory shape, how to initialise it, and whether the checkpoint stores it transposed. */
export interface ParamSpec {
  name: string;
  shape: number[];
  init: "normal" | "ones" | "zeros";
  /** GPT-2 Conv1D: the checkpoint holds [in, out], memory holds [out, in]. */
  conv1d?: boolean;
}

export interface ForwardOptions {
  /** [B, past + T]: 1 for real tokens, 0 for padding (left or right). Default: all real. */
  attentionMask?: tf.Tensor;
  /** Generation cache; its length is the number of past positions. */
  cache?: KVCache;
}

export interface CreateOptions {
  seed?: number;
  /** Standard deviation of the normal init (Hugging Face's initializer_range). */
  std?: number;
}

export interface CheckpointTensor {
  shape: number[];
  data: Float32Array;
}

export abstract class TransformerModel implements LinearHost, ParameterHost {
  protected readonly params = new Map<string, tf.Variable>();
  protected readonly linearMap = new Map<string, Linear>();
  private readonly specs: ParamSpec[];

  /**
   * @param values weights in memory layout by name; missing ones are initialised from `init`.
   */
  constructor(
    readonly config: ModelConfig,
    specs: ParamSpec[],
    values: Map<string, Float32Array> | null,
    init: CreateOptions = {},
  ) {
    this.specs = specs;
    const rng = mulberry32(init.seed ?? 0);
    const std = init.std ?? 0.02;
    for (const s of specs) {
      const n = s.shape.reduce((a, b) => a * b, 1);
      let data = values?.get(s.name);
      if (!data) {
        data = s.init === "normal" ? normalArray(rng, n, std) : new Float32Array(n).fill(s.init === "ones" ? 1 : 0);
      }
      // No explicit variable names: tfjs names are process-global; HF names live in this map.
      // The variable shares the initial tensor's data; dropping the tensor keeps one handle per weight.
      const initial = tf.tensor(data, s.shape, "float32");
      this.params.set(s.name, tf.variable(initial, true));
      initial.dispose();
    }
  }

  /** Prefix of the backbone's tensor names: "model." or "transformer.". */
  abstract readonly prefix: string;

  /** Final normalised hidden states [B, T, D] for token ids [B, T]. */
  abstract hidden(inputIds: tf.Tensor, opts?: ForwardOptions): tf.Tensor;

  /** The parameter specs in model order, in-memory shapes. */
  parameterSpecs(): ParamSpec[] {
    return this.specs;
  }

  linears(): Map<string, Linear> {
    return this.linearMap;
  }

  namedParameters(): Map<string, tf.Variable> {
    return this.params;
  }

  protected param(name: string): tf.Variable {
    const p = this.params.get(name);
    if (!p) throw new Error(`model has no parameter '${name}'`);
    return p;
  }

  protected linear(name: string, bias: boolean, conv1d = false): Linear {
    const l = new Linear(
      name,
      this.param(`${name}.weight`),
      bias ? this.param(`${name}.bias`) : null,
      conv1d ? "conv1d" : "linear",
    );
    this.linearMap.set(name, l);
    return l;
  }

  /** Registers the output heads after the backbone's Linears, so linears() is in model order. */
  protected addHeads(embedName: string): void {
    if (this.config.task === "sequence-classification") {
      this.linear("score", false);
    } else if (this.config.tieWordEmbeddings) {
      // Shares the embedding variable: both uses accumulate into one gradient.
      this.linearMap.set("lm_head", new Linear("lm_head", this.param(embedName)));
    } else {
      this.linear("lm_head", false);
    }
  }

  /** Checks ids and builds the mask/positions for this call. */
  protected context(inputIds: tf.Tensor, opts: ForwardOptions): AttentionContext {
    if (inputIds.rank !== 2)
      throw new Error(`inputIds: expected shape [batch, tokens], found [${inputIds.shape.join(", ")}]`);
    const [b, t] = inputIds.shape as [number, number];
    const past = opts.cache?.length ?? 0;
    if (past + t > this.config.maxPositions && this.config.family === "gpt2") {
      throw new Error(`sequence of ${past + t} tokens exceeds n_positions ${this.config.maxPositions}`);
    }
    return attentionContext(b, t, past, opts.attentionMask);
  }

  protected embed(name: string, inputIds: tf.Tensor): tf.Tensor {
    return gatherRows(this.param(name), inputIds);
  }

  /** Causal-LM logits [B, T, V]. With a cache, T is the number of new tokens. */
  forward(inputIds: tf.Tensor, opts: ForwardOptions = {}): tf.Tensor {
    const head = this.linearMap.get("lm_head");
    if (!head) throw new Error(`forward: this model has task '${this.config.task}' and no lm_head; use classify()`);
    return tf.tidy(() => head.apply(this.hidden(inputIds, opts)));
  }

  /** Sequence-classification logits [B, numLabels] read at each row's last non-pad token. */
  classify(inputIds: tf.Tensor, opts: { attentionMask?: tf.Tensor } = {}): tf.Tensor {
    const score = this.linearMap.get("score");
    if (!score) throw new Error(`classify: this model has task '${this.config.task}' and no score head`);
    return tf.tidy(() => {
      const h = this.hidden(inputIds, opts);
      const [b, t, d] = h.shape as [number, number, number];
      // Last index whose mask is 1: t−1 − argmax over the reversed mask (left or right padding).
      const last = opts.attentionMask
        ? tf.sub(t - 1, tf.argMax(tf.reverse(tf.cast(opts.attentionMask, "float32"), 1), 1))
        : tf.fill([b], t - 1, "int32");
      const rows = tf.add(tf.mul(tf.range(0, b, 1, "int32"), t), tf.cast(last, "int32"));
      const pooled = gatherRows(h.reshape([b * t, d]), rows);
      return score.apply(pooled);
    });
  }

  /** Weights in checkpoint layout and Hugging Face naming (GPT-2 Conv1D transposed back). */
  checkpointTensors(): Map<string, CheckpointTensor> {
    const out = new Map<string, CheckpointTensor>();
    for (const s of this.specs) {
      const v = this.param(s.name);
      const t = s.conv1d ? tf.tidy(() => v.transpose()) : v;
      out.set(s.name, { shape: [...t.shape], data: t.dataSync() as Float32Array });
      if (t !== v) t.dispose();
    }
    return out;
  }

  /** Number of weights (tied embeddings counted once). */
  parameterCount(): number {
    let n = 0;
    for (const v of this.params.values()) n += v.size;
    return n;
  }

  dispose(): void {
    for (const v of this.params.values()) v.dispose();
    this.params.clear();
    this.linearMap.clear();
  }
}
