import { expect, test } from "vitest";
import { loadGlue, type GlueTask } from "../../lib/data/glue.js";
import { loadGsm8k } from "../../lib/data/gsm8k.js";
import { subsample } from "../../lib/data/sample.js";
import { evaluateGlue } from "../../lib/eval/glue.js";
import { evaluateGsm8k } from "../../lib/eval/gsm8k.js";
import type { LabelScorer, TextGenerator } from "../../lib/eval/interfaces.js";
import { GLUE_VERBALIZERS, gsm8kPrompt } from "../../lib/eval/prompts.js";

// An oracle scorer that knows the gold labels (looked up by text) and is wrong on a chosen set.
function oracle(task: GlueTask, wrongEvery: number): LabelScorer {
  const gold = new Map(loadGlue(task, "dev").map((e) => [`${e.text}\u0000${e.textPair ?? ""}`, e.label]));
  let seen = 0;
  return {
    async scoreLabels(inputs, labels) {
      expect(labels).toEqual(GLUE_VERBALIZERS[task]);
      return inputs.map((x) => {
        expect(x.prompt).toContain(x.text);
        const y = gold.get(`${x.text}\u0000${x.textPair ?? ""}`)!;
        const p = ++seen % wrongEvery === 0 ? 1 - y : y;
        return p === 1 ? [-2, -1] : [-1, -2];
      });
    },
  };
}

test.each(["sst2", "rte", "mrpc", "cola"] as GlueTask[])(
  "evaluateGlue %s: a perfect scorer gets the best metric",
  async (task) => {
    const r = await evaluateGlue(task, oracle(task, Infinity), { limit: 100, seed: 1 });
    expect(r.n).toBe(100);
    expect(r.metrics[r.primary]).toBe(1);
    expect(r.labels).toEqual(subsample(loadGlue(task, "dev"), 100, 1).map((e) => e.label));
  },
);

test("evaluateGlue metrics follow the task: accuracy for SST-2, F1+accuracy for MRPC, MCC for CoLA", async () => {
  const sst = await evaluateGlue("sst2", oracle("sst2", 4), { batchSize: 7 });
  expect(sst.n).toBe(872);
  expect(Object.keys(sst.metrics)).toEqual(["accuracy"]);
  expect(sst.metrics.accuracy).toBeCloseTo(1 - Math.floor(872 / 4) / 872, 12); // every 4th is flipped
  const mrpc = await evaluateGlue("mrpc", oracle("mrpc", 5), { limit: 50, seed: 2 });
  expect(Object.keys(mrpc.metrics).sort()).toEqual(["accuracy", "f1"]);
  expect(mrpc.metrics.accuracy).toBeCloseTo(0.8, 12);
  const cola = await evaluateGlue("cola", oracle("cola", 3), { limit: 90 });
  expect(Object.keys(cola.metrics)).toEqual(["mcc"]);
  expect(cola.metrics.mcc!).toBeGreaterThan(0);
  expect(cola.metrics.mcc!).toBeLessThan(1);
});

test("evaluateGlue rejects a scorer with the wrong shape, naming the row", async () => {
  const bad: LabelScorer = { scoreLabels: async (xs) => xs.map(() => [0, Number.NaN]) };
  await expect(evaluateGlue("rte", bad, { limit: 3 })).rejects.toThrow(/row 0 for GLUE rte: expected 2 finite scores/);
  const short: LabelScorer = { scoreLabels: async () => [] };
  await expect(evaluateGlue("rte", short, { limit: 3 })).rejects.toThrow(/returned 0 rows for 3 inputs/);
});

test("evaluateGsm8k: exact match with few-shot prompts and stop truncation", async () => {
  const testSet = loadGsm8k("test");
  const byQuestion = new Map(testSet.map((e) => [e.question, e]));
  let promptSeen = "";
  const gen: TextGenerator = {
    async generate(prompts, opts) {
      expect(opts.temperature).toBe(0);
      promptSeen = prompts[0];
      return prompts.map((p) => {
        const q = /Question: ((?:(?!\nAnswer:)[\s\S])*)\nAnswer:$/.exec(p)![1];
        const ex = byQuestion.get(q)!;
        // right on even indices; a chatty continuation with a new question follows, and must be cut
        const n = Number(ex.final.replace(/,/g, "")) + (ex.index % 2 === 0 ? 0 : 1);
        return ` Some reasoning.\n#### ${n}\n\nQuestion: what is 2+2?\nAnswer: 4`;
      });
    },
  };
  const r = await evaluateGsm8k(gen, { limit: 40, seed: 5, fewShot: 2 });
  expect(r.n).toBe(40);
  const evens = r.items.filter((x) => x.index % 2 === 0).length;
  expect(r.exactMatch).toBeCloseTo(evens / 40, 12);
  expect(evens).toBeGreaterThan(5);
  expect(r.items.every((x) => !x.generation.includes("Question:"))).toBe(true);
  const shots = loadGsm8k("train").slice(0, 2);
  expect(promptSeen.startsWith(gsm8kPrompt("", shots).replace(/Question: \nAnswer:$/, ""))).toBe(true);
  expect(promptSeen).not.toContain("<<"); // calculator annotations stripped from shots
});

test("scorerFromLogLikelihood ranks label words as continuations of the prompt", async () => {
  const { scorerFromLogLikelihood } = await import("../../lib/eval/bindings.js");
  // a fake LM that likes " positive" after prompts containing "great" and " negative" otherwise
  const scorer = scorerFromLogLikelihood(async (ctx, cont) =>
    ctx.map((c, i) => ((c.includes("great") ? " positive" : " negative") === cont[i] ? -1 : -5)),
  );
  const ex = [
    { task: "sst2" as const, index: 0, text: "a great film", label: 1 as const, line: 2 },
    { task: "sst2" as const, index: 1, text: "a dull film", label: 0 as const, line: 3 },
    { task: "sst2" as const, index: 2, text: "great? no, dull", label: 0 as const, line: 4 },
  ];
  const r = await evaluateGlue("sst2", scorer, { examples: ex });
  expect(r.predictions).toEqual([1, 0, 1]);
  expect(r.metrics.accuracy).toBeCloseTo(2 / 3, 12);
});
