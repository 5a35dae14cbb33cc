// `peft-nb generate`: ids in → the same ids generate() gives; text in → decoded text out.
import * as tf from "@tensorflow/tfjs";
import { afterEach, beforeAll, expect, test, vi } from "vitest";
import { runCli as peftNb } from "../../cli/main.js";
import { nativeStatus, useBackend } from "../../lib/backend/index.js";
import { loadTokenizer } from "../../lib/io/tokenizer.js";
import { trainByteLevelBpe, writeTokenizer } from "../../lib/io/train-tokenizer.js";
import { createModel, generate, loadModel, makeConfig, saveModel } from "../../lib/models/index.js";
import { STORIES, tmp } from "./helpers.js";

beforeAll(async () => {
  await useBackend("wasm");
});

afterEach(() => {
  vi.restoreAllMocks();
});

async function runCli(args: string[]): Promise<{ code: number; out: string; err: string }> {
  const out: string[] = [];
  const err: string[] = [];
  vi.spyOn(console, "log").mockImplementation((...a: unknown[]) => void out.push(a.join(" ")));
  vi.spyOn(console, "error").mockImplementation((...a: unknown[]) => void err.push(a.join(" ")));
  const code = await peftNb(["generate", ...args]);
  vi.restoreAllMocks();
  return { code, out: out.join("\n"), err: err.join("\n") };
}

test("--ids prints the greedy continuation of stories260K as ids", async () => {
  const r = await runCli([
    "--model",
    STORIES,
    "--ids",
    "1 403 407",
    "--max-tokens",
    "10",
    "--temperature",
    "0",
    "--backend",
    "wasm",
  ]);
  expect(r.err).toMatch(/backend: wasm/);
  expect(r.code).toBe(0);
  const m = await loadModel(STORIES);
  const [expected] = generate(m, [[1, 403, 407]], { maxNewTokens: 10 });
  m.dispose();
  expect(r.out).toBe(expected!.join(" "));
  expect(r.out.split(" ").length).toBeGreaterThan(0);
});

test("--prompt encodes with the folder's tokenizer and prints decoded text", async () => {
  const dir = tmp("cli-text");
  const trained = trainByteLevelBpe("the cat sat on the mat. the dog sat on the log. ".repeat(20), { vocabSize: 280 });
  await writeTokenizer(dir, trained);
  const config = makeConfig({
    family: "gpt2",
    vocabSize: trained.vocabSize,
    hiddenSize: 16,
    numLayers: 1,
    numHeads: 2,
    maxPositions: 64,
    eosTokenId: null,
    bosTokenId: null,
  });
  const model = createModel(config, { seed: 1, std: 0.5 });
  await saveModel(model, dir);
  const tok = await loadTokenizer(dir);
  const prompt = "the cat";
  const [expected] = generate(model, [tok.encode(prompt)], { maxNewTokens: 5 });
  model.dispose();
  const r = await runCli(["--model", dir, "--prompt", prompt, "--max-tokens", "5"]);
  expect(r.code).toBe(0);
  expect(r.out).toBe(tok.decode([...tok.encode(prompt), ...expected!], { skipSpecialTokens: true }));
  expect(r.out.startsWith(prompt)).toBe(true);
  expect(tf.getBackend()).toBe(nativeStatus().available ? "native" : "wasm"); // no --backend: the default
});

test("usage errors say what is wrong and exit 2; load errors exit 1", async () => {
  expect(await runCli(["--ids", "1"])).toMatchObject({ code: 2, err: expect.stringMatching(/--model is required/) });
  expect(await runCli(["--model", STORIES])).toMatchObject({
    code: 2,
    err: expect.stringMatching(/exactly one of --prompt or --ids/),
  });
  expect(await runCli(["--model", STORIES, "--ids", "1 x"])).toMatchObject({
    code: 2,
    err: expect.stringMatching(/--ids: expected non-negative integer token ids, found 'x'/),
  });
  expect(await runCli(["--model", STORIES, "--ids", "1", "--max-tokens=-3"])).toMatchObject({
    code: 2,
    err: expect.stringMatching(/--max-tokens: expected a non-negative integer, found '-3'/),
  });
  expect(await runCli(["--model", STORIES, "--prompt", "hi", "--backend", "wasm"])).toMatchObject({
    code: 2,
    err: expect.stringMatching(/--prompt needs tokenizer.json/),
  });
  expect(await runCli(["--model", "/nonexistent/m", "--ids", "1", "--backend", "wasm"])).toMatchObject({
    code: 1,
    err: expect.stringMatching(/\/nonexistent\/m: model not found/),
  });
});
