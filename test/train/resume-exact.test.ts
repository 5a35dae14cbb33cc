// A resume continues the very run that was checkpointed, or says why it cannot: LoRA-GA's
// gradient-derived init comes from the checkpoint (a re-attach may estimate other factors), a
// different base model is an error naming the layers, and a changed total or schedule is refused
// unless allowed.
import * as tf from "@tensorflow/tfjs";
import { mkdtemp, readFile, rename, rm, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterEach, beforeEach, describe, expect, it } from "vitest";
import { attach, type AttachOptions, type Attachment } from "../../lib/adapters/index.js";
import { readCheckpoint } from "../../lib/train/training-checkpoint.js";
import { resume, train, type TrainOptions } from "../../lib/train/trainer.js";
import { countingData, lmLoss, tinyLm } from "./lm.js";

const targets = (name: string) => /(^|\.)(q_proj|v_proj|down_proj)$/.test(name);
const STEPS = 8;
let dir: string;

beforeEach(async () => {
  dir = await mkdtemp(join(tmpdir(), "resume-exact-"));
});
afterEach(async () => {
  tf.disposeVariables();
  await rm(dir, { recursive: true, force: true });
});

/** A LoRA-GA (or hybrid) run on the tiny LM; `estimateSeed` picks the gradient-estimate batches. */
function setup(method: "loraga" | "hybrid", estimateSeed = 99, modelSeed = 3) {
  const model = tinyLm(modelSeed);
  const est = countingData(estimateSeed, 8);
  const batches = [est.next(), est.next()];
  const att = attach(model, {
    method,
    targets,
    r: 2,
    alpha: 4,
    blockSize: 4,
    dropout: 0.1,
    estimate: { loss: (b: tf.Tensor2D) => lmLoss(model, b), batches, samples: 16 },
  } as AttachOptions);
  tf.dispose(batches);
  const options: TrainOptions<tf.Tensor2D> = {
    trainable: att,
    loss: (b) => lmLoss(model, b),
    data: countingData(1, 8),
    steps: STEPS,
    optimizer: { kind: "adamw", lr: 0.05 },
    schedule: { kind: "cosine", warmupSteps: 2 },
    clip: 1,
    seed: 5,
    progress: false,
    checkpoint: { dir, every: 2, keepLast: 2 },
  };
  return { model, att, options };
}

/** Trains until `stopAfter`, as a killed run would have, leaving checkpoints in `dir`. */
async function stopped(method: "loraga" | "hybrid", stopAfter: number) {
  const { att, options } = setup(method);
  const ctl = new AbortController();
  await train({
    ...options,
    signal: ctl.signal,
    callbacks: { onStep: (i) => void (i.step === stopAfter && ctl.abort()) },
  });
  att.detach();
  tf.disposeVariables();
}

const factors = (att: Attachment) => [...att.checkpointTensors().values()].map((t) => Array.from(t.data));

describe("LoRA-GA and hybrid resume exactly", () => {
  it.each(["loraga", "hybrid"] as const)(
    "%s: a re-attach that estimates other factors still continues the checkpointed run",
    async (method) => {
      const ref = setup(method);
      const reference = await train({ ...ref.options, checkpoint: undefined });
      const weights = ref.att.variables().map((v) => Array.from(v.dataSync()));
      const frozen = [...ref.model.namedParameters().values()].map((v) => Array.from(v.dataSync()));
      ref.att.detach();
      tf.disposeVariables();
      await stopped(method, 5);

      const again = setup(method, 1234);
      const original = setup(method).att;
      expect(factors(again.att)).not.toEqual(factors(original)); // the re-attach's own init differs
      const warnings: string[] = [];
      const resumed = await resume({ ...again.options, warn: (m) => void warnings.push(m) });
      expect(resumed.resumedFrom).toMatch(/ckpt-00000004$/);
      expect(warnings).toEqual([]);
      expect(factors(again.att)).toEqual(factors(original)); // the checkpoint's init was restored
      expect(resumed.losses).toEqual(reference.losses);
      expect(resumed.gates).toEqual(reference.gates);
      expect(again.att.variables().map((v) => Array.from(v.dataSync()))).toEqual(weights);
      // LoRA-GA keeps W − s·B₀A₀ in the frozen weight: rebuilt from the checkpoint's factors.
      expect([...again.model.namedParameters().values()].map((v) => Array.from(v.dataSync()))).toEqual(frozen);
    },
  );

  it("without the carried factors (an old checkpoint) the resume warns, and indeed diverges", async () => {
    const ref = setup("loraga");
    const reference = await train({ ...ref.options, checkpoint: undefined });
    tf.disposeVariables();
    await stopped("loraga", 5);
    const again = setup("loraga", 1234);
    const warnings: string[] = [];
    const resumed = await resume({
      ...again.options,
      trainable: {
        groups: () => again.att.groups(),
        checkpointState: () => again.att.checkpointState(),
        restoreCheckpointState: (s, c) => again.att.restoreCheckpointState(s, { ...c, tensors: new Map() }),
      },
      warn: (m) => void warnings.push(m),
    });
    expect(warnings.join("\n")).toMatch(/carries no LoRA-GA initial factors B₀, A₀/);
    expect(resumed.losses.slice(0, 4)).toEqual(reference.losses.slice(0, 4));
    expect(resumed.losses.slice(4)).not.toEqual(reference.losses.slice(4));
  });

  it("refuses a checkpoint of a run on another base model, naming the layers, and changes nothing", async () => {
    await stopped("loraga", 3);
    const other = setup("loraga", 99, 4);
    const before = [...other.model.namedParameters().values()].map((v) => Array.from(v.dataSync()));
    const vars = other.att.variables().map((v) => Array.from(v.dataSync()));
    await expect(resume(other.options)).rejects.toThrow(
      /frozen base weight of model\.layers\.0\.self_attn\.q_proj, .*differs from the checkpointed run's \(SHA-256\): the checkpoint was trained on another base model/,
    );
    expect([...other.model.namedParameters().values()].map((v) => Array.from(v.dataSync()))).toEqual(before);
    expect(other.att.variables().map((v) => Array.from(v.dataSync()))).toEqual(vars);
  });
});

describe("a resume under another plan", () => {
  it("is refused when the total or the schedule changed, and allowed when asked for", async () => {
    await stopped("hybrid", 3);
    const { options } = setup("hybrid");
    await expect(resume({ ...options, steps: 12 })).rejects.toThrow(
      /plan differs from the checkpointed run's[\s\S]*total steps: checkpoint 8, now 12[\s\S]*allowPlanChange: true/,
    );
    await expect(resume({ ...options, schedule: { kind: "linear", warmupSteps: 2 } })).rejects.toThrow(
      /schedule: checkpoint \{"kind":"cosine","warmupSteps":2\}, now \{"kind":"linear","warmupSteps":2\}/,
    );
    await expect(resume({ ...options, optimizer: { kind: "adamw", lr: 0.01 } })).rejects.toThrow(
      /optimizer: checkpoint \{"kind":"adamw","lr":0\.05\}, now \{"kind":"adamw","lr":0\.01\}/,
    );
    const warnings: string[] = [];
    const longer = await resume({ ...options, steps: 12, allowPlanChange: true, warn: (m) => void warnings.push(m) });
    expect(longer.steps).toBe(12);
    expect(warnings).toEqual([
      expect.stringMatching(/continuing under a changed plan \(total steps: checkpoint 8, now 12\)/),
    ]);
  });
});

describe("checkpoint folders", () => {
  it("a manifest whose step disagrees with the folder name is named as such", async () => {
    await stopped("loraga", 2);
    const folder = join(dir, "ckpt-00000002");
    await rename(folder, join(dir, "ckpt-00000006"));
    await expect(readCheckpoint(join(dir, "ckpt-00000006"))).rejects.toThrow(
      /ckpt-00000006: manifest\.json says step 2 but the folder is named for step 6/,
    );
  });

  it("a truncated manifest is named, not a JSON crash", async () => {
    await stopped("loraga", 2);
    const manifest = join(dir, "ckpt-00000002", "manifest.json");
    const text = await readFile(manifest, "utf8");
    await writeFile(manifest, text.slice(0, 20));
    await expect(readCheckpoint(join(dir, "ckpt-00000002"))).rejects.toThrow(
      /ckpt-00000002: manifest\.json is not valid JSON, truncated or corrupt/,
    );
  });
});
