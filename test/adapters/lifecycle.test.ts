// Attachment lifetime on a lib/models transformer through lib/train: no tensor left behind after
// detach on cpu and wasm, the state a checkpoint must carry (hybrid λ, dropout counter), and what
// a loaded LoRA-GA file says it is.
import * as tf from "@tensorflow/tfjs";
import { cp, mkdtemp, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, describe, expect, it } from "vitest";
import { attach, loadAdapter, type AttachOptions, type Attachment } from "../../lib/adapters/index.js";
import { useBackend } from "../../lib/backend/index.js";
import { causalLmLoss, createModel, makeConfig, type TransformerModel } from "../../lib/models/index.js";
import { shuffledBatches, type BatchSource } from "../../lib/train/data.js";
import { resume, train, type Trainable } from "../../lib/train/trainer.js";

const VOCAB = 16;
const METHODS = ["lora", "boft", "loraga", "urnn", "hybrid"] as const;
const dirs: string[] = [];
afterAll(async () => {
  for (const d of dirs) await rm(d, { recursive: true, force: true });
  await useBackend("cpu");
});

function tinyModel(seed: number): TransformerModel {
  return createModel(
    makeConfig({
      family: "llama",
      vocabSize: VOCAB,
      hiddenSize: 16,
      numLayers: 2,
      numHeads: 2,
      intermediateSize: 24,
      tieWordEmbeddings: false,
    }),
    { seed, std: 0.1 },
  );
}

/** Rows counting up mod V: a task whose loss moves within a few steps. */
function data(seed: number): BatchSource<tf.Tensor2D> {
  return shuffledBatches({
    size: 16,
    batchSize: 4,
    seed,
    collate: (idx) =>
      tf.tensor2d(
        idx.map((i) => Array.from({ length: 6 }, (_, t) => (i * 3 + t) % VOCAB)),
        [idx.length, 6],
        "int32",
      ),
  });
}

const lossOf = (model: TransformerModel) => (ids: tf.Tensor2D) => tf.tidy(() => causalLmLoss(model.forward(ids), ids));

function attachTo(
  model: TransformerModel,
  method: (typeof METHODS)[number],
  extra: Record<string, unknown> = {},
): Attachment {
  const opts = {
    method,
    targets: ["q_proj", "v_proj", "down_proj"],
    seed: 3,
    r: 2,
    alpha: 4,
    blockSize: 4,
    factors: 2,
    dropout: 0.2,
    ...extra,
  } as AttachOptions;
  if (method === "loraga" || method === "hybrid") {
    const d = data(7);
    const batches = [d.next(), d.next()];
    Object.assign(opts, { estimate: { loss: lossOf(model), batches, samples: 8 } });
    try {
      return attach(model, opts);
    } finally {
      tf.dispose(batches);
    }
  }
  return attach(model, opts);
}

describe.each(["cpu", "wasm"])("on %s, attach + training + detach leaves the tensor count unchanged", (backend) => {
  it.each(METHODS)("%s", async (method) => {
    await useBackend(backend);
    const model = tinyModel(1);
    const before = tf.memory().numTensors;
    const att = attachTo(model, method);
    expect(tf.memory().numTensors).toBeGreaterThan(before);
    const r = await train<tf.Tensor2D>({
      trainable: att,
      loss: lossOf(model),
      data: data(1),
      steps: 3,
      optimizer: { kind: "adamw", lr: 0.01 },
      progress: false,
      memory: "sampled",
    });
    expect(r.losses.every(Number.isFinite)).toBe(true);
    att.merge();
    att.unmerge();
    att.detach();
    expect(tf.memory().numTensors).toBe(before);
    model.dispose();
  });
});

describe("attach inside tf.tidy (as notebook code may)", () => {
  it.each(["loraga", "urnn", "hybrid"] as const)(
    "%s keeps its fixed tensors alive and frees them on detach",
    async (method) => {
      await useBackend("cpu");
      const model = tinyModel(5);
      const before = tf.memory().numTensors;
      let att: Attachment | undefined;
      tf.tidy(() => void (att = attachTo(model, method, { dropout: 0 })));
      const ids = data(2).next();
      const y = model.forward(ids);
      expect(Array.from(y.dataSync()).every(Number.isFinite)).toBe(true);
      for (const { layer } of att!.layers.values()) tf.dispose([...layer.state().values()]);
      tf.dispose([y, ids]);
      att!.detach();
      expect(tf.memory().numTensors).toBe(before);
      model.dispose();
    },
  );
});

describe("checkpoint state", () => {
  async function tmp(): Promise<string> {
    const d = await mkdtemp(join(tmpdir(), "adapters-ckpt-"));
    dirs.push(d);
    return d;
  }

  /** A fresh model + hybrid with dropout, and the train() options for it. */
  function run(dir?: string, wrap: (a: Attachment) => Trainable = (a) => a) {
    const model = tinyModel(2);
    const att = attachTo(model, "hybrid");
    return {
      att,
      model,
      options: {
        trainable: wrap(att),
        loss: lossOf(model),
        data: data(1),
        steps: 7,
        optimizer: { kind: "adamw" as const, lr: 0.05 },
        progress: false as const,
        memory: "sampled" as const,
        ...(dir ? { checkpoint: { dir, every: 2 } } : {}),
      },
    };
  }
  const dispose = (r: ReturnType<typeof run>) => {
    r.att.detach();
    r.model.dispose();
  };

  it("a hybrid run with dropout resumed from a checkpoint matches the uninterrupted run", async () => {
    await useBackend("cpu");
    const ref = run();
    const reference = await train<tf.Tensor2D>(ref.options);
    dispose(ref);
    const dir = await tmp();
    const first = run(dir);
    const ctl = new AbortController();
    const stopped = await train<tf.Tensor2D>({
      ...first.options,
      signal: ctl.signal,
      callbacks: { onStep: (i) => void (i.step === 5 && ctl.abort()) },
    });
    expect(stopped.steps).toBe(5); // the newest checkpoint is step 4: step 5 is replayed
    dispose(first);
    const copy = await tmp();
    await cp(dir, copy, { recursive: true });

    const again = run(dir);
    const warnings: string[] = [];
    const resumed = await resume<tf.Tensor2D>({ ...again.options, warn: (m) => void warnings.push(m) });
    expect(resumed.resumedFrom).toMatch(/ckpt-00000004$/);
    expect(warnings).toEqual([]);
    expect(resumed.losses).toEqual(reference.losses);
    expect(resumed.gates).toEqual(reference.gates);
    dispose(again);

    // Without the restore, the same resume diverges: the state it carries matters.
    const blind = run(copy, (a) => ({
      groups: () => a.groups(),
      onGradients: (g, s) => a.onGradients(g, s),
      gateRecords: a.gateRecords,
    }));
    const diverged = await resume<tf.Tensor2D>({ ...blind.options, warn: () => undefined });
    expect(diverged.resumedFrom).toMatch(/ckpt-00000004$/);
    expect(diverged.losses.slice(0, 4)).toEqual(reference.losses.slice(0, 4));
    expect(diverged.losses.slice(4)).not.toEqual(reference.losses.slice(4));
    dispose(blind);
  });

  it("carries each hybrid layer's λ and the dropout counter, JSON-safe", () => {
    const { att, model } = run();
    const layers = att.targets;
    layers.forEach((name, i) => {
      (att.layers.get(name)!.layer as unknown as { lambda: number }).lambda = 0.1 + 0.1 * i;
    });
    const ids = data(3).next();
    lossOf(model)(ids).dispose(); // dropout draws advance the counter
    const state = JSON.parse(JSON.stringify(att.checkpointState()));
    expect(state.dropoutCalls).toBeGreaterThan(0);
    expect(Object.keys(state.lambdas)).toEqual(layers);

    const other = run();
    other.att.restoreCheckpointState(state);
    expect(other.att.checkpointState()).toEqual(state);
    expect(() => other.att.restoreCheckpointState({ ...state, method: "lora" })).toThrow(
      /method is 'lora', this attachment is 'hybrid'/,
    );
    expect(() => other.att.restoreCheckpointState({ ...state, lambdas: { [layers[0]!]: 0.5 } })).toThrow(
      new RegExp(`lambdas do not match the hybrid layers; missing ${layers[1]!.replace(/\./g, "\\.")}`),
    );
    expect(() =>
      other.att.restoreCheckpointState({ ...state, lambdas: { ...state.lambdas, [layers[0]!]: 2 } }),
    ).toThrow(/λ of .* must be a number in \[0, 1\], found 2/);
    expect(() => other.att.restoreCheckpointState({ ...state, dropoutCalls: -1 })).toThrow(
      /dropoutCalls must be a non-negative integer, found -1/,
    );
    dispose({ att, model, options: undefined as never });
    dispose(other);
    ids.dispose();
  });
});

describe("a LoRA-GA file", () => {
  it("loads back as plain LoRA and says it was converted from LoRA-GA", async () => {
    const model = tinyModel(4);
    const att = attachTo(model, "loraga", { dropout: 0 });
    const dir = await mkdtemp(join(tmpdir(), "adapters-loraga-"));
    dirs.push(dir);
    await att.save(dir);
    const ids = data(5).next();
    const expected = model.forward(ids);
    att.detach();
    const loaded = await loadAdapter(model, dir);
    expect(loaded.method).toBe("lora");
    expect(loaded.convertedFrom).toBe("loraga");
    expect(tf.max(tf.abs(tf.sub(model.forward(ids), expected))).dataSync()[0]).toBeLessThan(1e-5);
    loaded.detach();
    model.dispose();
  });
});
