// The tuned model runMethod hands back and saves: GSM8K fine-tuning evaluated on the tuned model
// (not the base), adapters saved in PEFT files that load back to the same outputs, the
// classification head carried as modules_to_save, full fine-tuning saved as a whole model.
import * as tf from "@tensorflow/tfjs";
import { mkdtempSync, readFileSync } from "node:fs";
import { createServer } from "node:http";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { beforeAll, describe, expect, it } from "vitest";
import { loadAdapter } from "../../lib/adapters/index.js";
import { loadGsm8k } from "../../lib/data/gsm8k.js";
import { subsample } from "../../lib/data/sample.js";
import {
  continuationLoss,
  encodeGsm8kExample,
  gsm8kBatches,
  meanLoss,
  runMethod,
  withClassificationHead,
  type RunMethodOptions,
} from "../../lib/experiments/index.js";
import { runMtBench } from "../../lib/eval/mtbench.js";
import { AdapterFileError } from "../../lib/io/errors.js";
import { loadTokenizer, type HfTokenizer } from "../../lib/io/index.js";
import { loadModel, type TransformerModel } from "../../lib/models/index.js";
import { generate } from "../../lib/models/generate.js";
import { smokeBase } from "./helpers.js";

let baseDir: string;
let tokenizer: HfTokenizer;
beforeAll(async () => {
  baseDir = await smokeBase();
  tokenizer = await loadTokenizer(baseDir);
});

const gsm8k = (method: RunMethodOptions["method"]): RunMethodOptions => ({
  baseDir,
  method,
  task: "gsm8k",
  seed: 0,
  steps: 3,
  lr: 1e-2,
  batchSize: 4,
  seqLen: 48,
  trainLimit: 16,
  evalLimit: 2,
  evalLossLimit: 3,
  evalEvery: 3,
  generation: { humaneval: 0, mtbench: 0, maxTokens: 4 },
  targets: ["q_proj", "v_proj"],
});

const PROMPTS = [
  [5, 9, 14, 2],
  [7, 3, 11],
];
const greedy = (m: TransformerModel) =>
  generate(m, PROMPTS, { maxNewTokens: 6, temperature: 0, seed: 0, eosTokenId: null });
const tmp = (p: string) => mkdtempSync(join(tmpdir(), p));
const weights = (m: TransformerModel) =>
  new Map([...m.namedParameters()].map(([k, v]) => [k, Float32Array.from(v.dataSync())]));

/** The solution loss of the run's eval-loss examples on a model, recomputed outside runMethod. */
function solutionLoss(m: TransformerModel, o: RunMethodOptions): number {
  const src = gsm8kBatches(tokenizer, {
    examples: subsample(loadGsm8k("test"), o.evalLossLimit, (o.seed as number) + 1),
    seqLen: o.seqLen as number,
    batchSize: 1,
    shuffle: false,
  });
  return meanLoss(
    Array.from({ length: src.batchesPerEpoch }, () => src.next()),
    (b) => continuationLoss(m, b),
  );
}

describe("GSM8K training rows", () => {
  it("hold the evaluator's prompt end, then the solution and EOS, within seqLen", () => {
    const [ex] = loadGsm8k("train");
    const whole = encodeGsm8kExample(tokenizer, ex!, 4000);
    const solution = whole.ids.length - whole.contStart;
    for (const seqLen of [16, 48, 400]) {
      const row = encodeGsm8kExample(tokenizer, ex!, seqLen);
      expect(row.ids.length).toBeLessThanOrEqual(seqLen);
      const prompt = tokenizer.encode(`Question: ${ex!.question}\nAnswer:`, { addSpecialTokens: false });
      // the context is the prompt's tail, so "Answer:" is always right before the solution
      expect(row.ids.slice(0, row.contStart)).toEqual(prompt.slice(prompt.length - row.contStart));
      // the solution keeps at least half the row (all of it when it fits)
      expect(row.ids.length - row.contStart).toBeGreaterThanOrEqual(Math.min(solution, Math.floor(seqLen / 2)));
      const text = tokenizer.decode(row.ids.slice(row.contStart), { skipSpecialTokens: true });
      expect(` ${ex!.answer.replace(/<<[^>]*>>/g, "")}`.startsWith(text)).toBe(true);
    }
    expect(whole.ids.at(-1)).toBe(tokenizer.eosId);
    expect(tokenizer.decode(whole.ids.slice(whole.contStart), { skipSpecialTokens: true })).toMatch(/#### 72$/);
  });
});

describe("runMethod on GSM8K", () => {
  it("evaluates the tuned model, which keepModel hands back", async () => {
    const o = gsm8k("lora");
    const r = await runMethod(o, { keepModel: true });
    try {
      expect(r.primary).toBe("gsm8kExactMatch");
      expect(Object.keys(r.metrics).sort()).toEqual(["devLoss", "gsm8kExactMatch"]);
      expect(r.notes?.humaneval).toMatch(/left out/);
      // the reported loss is the kept (tuned) model's, and differs from the untuned base's
      expect(r.metrics.devLoss).toBeCloseTo(solutionLoss(r.tuned.model, o), 5);
      const base = await loadModel(baseDir);
      expect(Math.abs(solutionLoss(base, o) - r.metrics.devLoss!)).toBeGreaterThan(1e-3);
      base.dispose();
    } finally {
      r.tuned.dispose();
    }
    expect(() => r.tuned.generator()).toThrow(/disposed/);
  });

  it("the base row scores the same evaluator on the untuned model", async () => {
    const r = await runMethod(gsm8k("base"));
    const base = await loadModel(baseDir);
    expect(r.metrics.devLoss).toBeCloseTo(solutionLoss(base, gsm8k("base")), 5);
    base.dispose();
    expect(r.resources).toBeNull();
  });

  it("refuses head scoring and GLUE generation settings, naming the option", async () => {
    await expect(runMethod({ ...gsm8k("lora"), scoring: "head" })).rejects.toThrow(/scoring "head" applies to GLUE/);
    const { generation: _g, ...rest } = gsm8k("lora");
    await expect(runMethod({ ...rest, task: "sst2", generation: { humaneval: 1 } })).rejects.toThrow(
      /generation settings apply to task gsm8k only/,
    );
    await expect(runMethod({ ...gsm8k("lora"), generation: { maxTokens: 0 } })).rejects.toThrow(/generation.maxTokens/);
    await expect(runMethod({ ...gsm8k("lora"), task: "squad" as never })).rejects.toThrow(/unknown task "squad"/);
  });
});

describe("MT-Bench on the tuned model", () => {
  it("a configured judge scores the answers the tuned model gives", async () => {
    // An OpenAI-compatible judge that keeps what it was shown and rates everything 6.
    const shown: string[] = [];
    const server = createServer(async (req, res) => {
      let raw = "";
      for await (const chunk of req) raw += chunk;
      shown.push(
        JSON.parse(raw)
          .messages.map((m: { content: string }) => m.content)
          .join("\n"),
      );
      res
        .writeHead(200, { "content-type": "application/json" })
        .end(JSON.stringify({ choices: [{ message: { role: "assistant", content: "Rating: [[6]]" } }] }));
    });
    await new Promise<void>((r) => server.listen(0, "127.0.0.1", r));
    const saved = { url: process.env.PEFT_JUDGE_BASE_URL, model: process.env.PEFT_JUDGE_MODEL };
    process.env.PEFT_JUDGE_BASE_URL = `http://127.0.0.1:${(server.address() as { port: number }).port}/v1`;
    process.env.PEFT_JUDGE_MODEL = "fake-judge";
    try {
      const { lr: _lr, ...rest } = gsm8k("lora");
      // the default (smaller) rate: at 1e-2 three steps teach this tiny model to answer chat prompts with EOS at once
      const o = { ...rest, generation: { humaneval: 0, mtbench: 2, maxTokens: 6 } };
      const r = await runMethod(o, { keepModel: true });
      try {
        expect(r.metrics.mtbenchScore).toBe(6);
        expect(shown.length).toBe(4); // 2 questions × 2 turns
        // The run keeps what was rated: both answers of each question, with the judge's ratings.
        expect(r.samples?.mtbench?.map((a) => a.ratings)).toEqual([
          [6, 6],
          [6, 6],
        ]);
        // The judge saw exactly what the kept tuned model answers (asked again, same seed), not what the base answers.
        const judge = { baseUrl: process.env.PEFT_JUDGE_BASE_URL!, model: "fake-judge" };
        const seenInRun = shown.splice(0).sort(); // judge requests run concurrently: compare as sets
        await runMtBench(r.tuned.generator(), { judge, limit: 2, seed: 0, maxTokens: 6 });
        expect(shown.splice(0).sort()).toEqual(seenInRun);
        // And the kept model is the tuned one, not the base: its logits at a judged prompt differ. (Comparing the
        // base's answers instead depends on the budget: the smoke base and the tuned model may both answer EOS.)
        const base = await loadModel(baseDir);
        const ids = tf.tensor2d(
          [tokenizer.encode("### User:\nWhat is 2 + 2?\n\n### Assistant:\n")],
          undefined,
          "int32",
        );
        const diff = tf.tidy(
          () => tf.max(tf.abs(tf.sub(r.tuned.model.forward(ids), base.forward(ids)))).dataSync()[0] as number,
        );
        ids.dispose();
        base.dispose();
        expect(diff).toBeGreaterThan(1e-4);
      } finally {
        r.tuned.dispose();
      }
    } finally {
      server.close();
      if (saved.url === undefined) delete process.env.PEFT_JUDGE_BASE_URL;
      else process.env.PEFT_JUDGE_BASE_URL = saved.url;
      if (saved.model === undefined) delete process.env.PEFT_JUDGE_MODEL;
      else process.env.PEFT_JUDGE_MODEL = saved.model;
    }
  });
});

describe("MT-Bench answers without a judge", () => {
  it("are the tuned model's, kept in the run's samples, and the note says they were not judged", async () => {
    const saved = process.env.PEFT_JUDGE_BASE_URL;
    delete process.env.PEFT_JUDGE_BASE_URL;
    try {
      const { lr: _lr, ...rest } = gsm8k("lora");
      const r = await runMethod(
        { ...rest, generation: { humaneval: 0, mtbench: 2, maxTokens: 6 } },
        { keepModel: true },
      );
      try {
        expect(r.metrics.mtbenchScore).toBeUndefined();
        expect(r.notes?.mtbench).toMatch(/^not judged: no judge configured .*; 2 questions answered$/);
        const kept = r.samples?.mtbench ?? [];
        expect(kept.map((a) => a.answers.length)).toEqual([2, 2]);
        expect(kept.every((a) => a.ratings === undefined)).toBe(true);
        // The same questions asked of the kept tuned model again (same seed) give the same answers.
        const again = await runMtBench(r.tuned.generator(), { limit: 2, seed: 0, maxTokens: 6 });
        expect(again.answers.map((a) => [a.questionId, a.answers])).toEqual(kept.map((a) => [a.questionId, a.answers]));
      } finally {
        r.tuned.dispose();
      }
    } finally {
      if (saved !== undefined) process.env.PEFT_JUDGE_BASE_URL = saved;
    }
  });
});

describe("saved tuned models", () => {
  it.each(["lora", "boft", "hybrid"] as const)(
    "a %s adapter saved by runMethod loads back to the same generations",
    async (method) => {
      const dir = tmp(`tuned-${method}-`);
      const r = await runMethod(gsm8k(method), { keepModel: true, saveTo: dir });
      try {
        const tunedOut = greedy(r.tuned.model);
        const cfg = JSON.parse(readFileSync(join(dir, "adapter_config.json"), "utf8"));
        expect(cfg.modules_to_save).toBeNull();
        const fresh = await loadModel(baseDir);
        const untunedOut = greedy(fresh);
        const att = await loadAdapter(fresh, dir);
        att.eval();
        expect(greedy(fresh)).toEqual(tunedOut);
        // the adapter is what makes the difference: logits move away from the base's
        const ids = tf.tensor2d([PROMPTS[0]!], [1, 4], "int32");
        const diff = tf.tidy(() => {
          const withAdapter = fresh.forward(ids);
          att.detach();
          return tf.max(tf.abs(tf.sub(withAdapter, fresh.forward(ids)))).dataSync()[0] as number;
        });
        ids.dispose();
        expect(diff).toBeGreaterThan(1e-4);
        expect(untunedOut.length).toBe(2);
        fresh.dispose();
      } finally {
        r.tuned.dispose();
      }
    },
  );

  it("a head-scored GLUE adapter carries its classification head as modules_to_save", async () => {
    const dir = tmp("tuned-head-");
    const o: RunMethodOptions = {
      baseDir,
      method: "lora",
      task: "sst2",
      seed: 0,
      steps: 2,
      trainLimit: 16,
      evalLimit: 8,
      evalLossLimit: 4,
      seqLen: 32,
      batchSize: 4,
      scoring: "head",
      targets: ["q_proj", "v_proj"],
    };
    const r = await runMethod(o, { keepModel: true, saveTo: dir });
    try {
      const cfg = JSON.parse(readFileSync(join(dir, "adapter_config.json"), "utf8"));
      expect(cfg.modules_to_save).toEqual(["score"]);
      const tunedHead = r.tuned.model.namedParameters().get("score.weight")!.dataSync();
      // a freshly headed model (another seed: another random head) takes the tuned head from the file
      const lm = await loadModel(baseDir);
      const fresh = withClassificationHead(lm, 2, 123);
      lm.dispose();
      expect(fresh.namedParameters().get("score.weight")!.dataSync()).not.toEqual(tunedHead);
      const att = await loadAdapter(fresh, dir);
      expect(Array.from(fresh.namedParameters().get("score.weight")!.dataSync())).toEqual(Array.from(tunedHead));
      const ids = tf.tensor2d([PROMPTS[0]!], [1, 4], "int32");
      att.eval();
      const a = tf.tidy(() => Array.from(fresh.classify(ids).dataSync()));
      const b = tf.tidy(() => Array.from(r.tuned.model.classify(ids).dataSync()));
      ids.dispose();
      for (const [i, v] of a.entries()) expect(v).toBeCloseTo(b[i]!, 5);
      att.detach();
      // a causal-LM host has no score weight: the error names the tensor and what is needed
      const plain = await loadModel(baseDir);
      await expect(loadAdapter(plain, dir)).rejects.toThrow(AdapterFileError);
      await expect(loadAdapter(plain, dir)).rejects.toThrow(/modules_to_save tensor 'base_model.model.score.weight'/);
      expect(plain.linears().get("model.layers.0.self_attn.q_proj")!.adapter).toBeNull();
      plain.dispose();
      fresh.dispose();
    } finally {
      r.tuned.dispose();
    }
  });

  it("full fine-tuning saves the whole tuned model with its tokenizer", async () => {
    const dir = tmp("tuned-full-");
    const r = await runMethod(gsm8k("full"), { keepModel: true, saveTo: dir });
    try {
      const back = await loadModel(dir);
      const want = weights(r.tuned.model);
      for (const [k, v] of weights(back)) expect(v, k).toEqual(want.get(k));
      expect(readFileSync(join(dir, "tokenizer.json"), "utf8")).toBe(
        readFileSync(join(baseDir, "tokenizer.json"), "utf8"),
      );
      back.dispose();
    } finally {
      r.tuned.dispose();
    }
  });

  it("the untuned base has nothing to save", async () => {
    const r = await runMethod(gsm8k("base"), { keepModel: true });
    try {
      await expect(r.tuned.save(tmp("tuned-base-"))).rejects.toThrow(/base model has nothing tuned to save/);
    } finally {
      r.tuned.dispose();
    }
  });
});
