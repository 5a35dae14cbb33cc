// Generation: the KV cache changes cost, never results; batching with left padding equals
// one prompt at a time; sampling is seeded; EOS and max tokens stop a row.
import * as tf from "@tensorflow/tfjs";
import { beforeAll, describe, expect, test } from "vitest";
import { useBackend } from "../../lib/backend/index.js";
import { createModel, generate, loadModel, sampleToken } from "../../lib/models/index.js";
import { mulberry32 } from "../../lib/random/mulberry32.js";
import { CONFIGS, STORIES, randomModel } from "./helpers.js";

beforeAll(async () => {
  await useBackend(); // the default: native where built, else wasm
});

describe("stories260K", () => {
  test("greedy generation gives the same ids with and without the KV cache", async () => {
    const m = await loadModel(STORIES);
    const prompts = [
      [1, 403, 407],
      [1, 261],
    ];
    const opts = { maxNewTokens: 24, temperature: 0, eosTokenId: null };
    const cached = generate(m, prompts, opts);
    const uncached = generate(m, prompts, { ...opts, useCache: false });
    expect(cached.map((r) => r.length)).toEqual([24, 24]);
    expect(cached).toEqual(uncached);
    // A trained model does not repeat one token: the output depends on the prompt.
    expect(new Set(cached[0]).size).toBeGreaterThan(3);
    m.dispose();
  });
});

describe.each(Object.entries(CONFIGS))("%s", (_label, config) => {
  test("a left-padded batch generates what each prompt generates alone", () => {
    const m = randomModel(() => createModel(config), 5);
    const prompts = [[3, 4, 5, 6, 7], [8], [9, 10]];
    const opts = { maxNewTokens: 6, eosTokenId: null };
    const batch = generate(m, prompts, opts);
    expect(batch).toEqual(prompts.map((p) => generate(m, [p], opts)[0]));
    m.dispose();
  });
});

test("generation stops at EOS per row and leaks nothing", () => {
  const m = randomModel(() => createModel(CONFIGS.llamaMqa!), 8);
  const free = generate(m, [[1, 2], [3]], { maxNewTokens: 8, eosTokenId: null });
  // Pick as EOS the third token row 0 produces freely: row 0 must stop right there.
  const eos = free[0]![2]!;
  const before = tf.memory().numTensors;
  const out = generate(m, [[1, 2], [3]], { maxNewTokens: 8, eosTokenId: eos });
  expect(tf.memory().numTensors).toBe(before);
  expect(out[0]).toEqual(free[0]!.slice(0, free[0]!.indexOf(eos) + 1));
  const cut = free[1]!.indexOf(eos);
  expect(out[1]).toEqual(cut < 0 ? free[1] : free[1]!.slice(0, cut + 1));
  m.dispose();
});

test("sampling is reproducible with a seed and varies across seeds", () => {
  const m = randomModel(() => createModel(CONFIGS.gpt2!), 6);
  const opts = { maxNewTokens: 12, temperature: 1.5, eosTokenId: null };
  const a = generate(m, [[1, 2, 3]], { ...opts, seed: 1 });
  expect(generate(m, [[1, 2, 3]], { ...opts, seed: 1 })).toEqual(a);
  expect(generate(m, [[1, 2, 3]], { ...opts, seed: 2 })).not.toEqual(a);
  // top-k 1 is greedy whatever the temperature.
  expect(generate(m, [[1, 2, 3]], { ...opts, topK: 1, seed: 3 })).toEqual(
    generate(m, [[1, 2, 3]], { maxNewTokens: 12, eosTokenId: null }),
  );
  m.dispose();
});

describe("sampleToken", () => {
  const row = Float32Array.from([0, 2, 1, -1, 1.5]);

  test("top-k and top-p never pick outside their set", () => {
    const rng = mulberry32(0);
    for (let i = 0; i < 300; i++) {
      expect([1, 4]).toContain(sampleToken(row, { temperature: 1, topK: 2 }, rng));
      // softmax(row): p(1)=.43, p(4)=.26 → the nucleus for p=0.6 is {1, 4}.
      expect([1, 4]).toContain(sampleToken(row, { temperature: 1, topP: 0.6 }, rng));
    }
  });

  test("frequencies follow softmax(logits / T)", () => {
    const rng = mulberry32(1);
    const counts = new Array(5).fill(0);
    const n = 20000;
    for (let i = 0; i < n; i++) counts[sampleToken(row, { temperature: 2 }, rng)]++;
    const e = Array.from(row, (x) => Math.exp(x / 2));
    const z = e.reduce((a, b) => a + b, 0);
    e.forEach((p, i) => {
      expect(Math.abs(counts[i] / n - p / z)).toBeLessThan(0.015);
    });
  });

  test("bad options are rejected", () => {
    expect(() => sampleToken(row, { temperature: -1 }, Math.random)).toThrow(/temperature must be >= 0/);
    expect(() => sampleToken(row, { temperature: 1, topP: 0 }, Math.random)).toThrow(/topP must be in \(0, 1\]/);
  });
});

test("out-of-vocabulary prompt ids are rejected", () => {
  const m = createModel(CONFIGS.llamaMqa!);
  expect(() => generate(m, [[1, 99]], { maxNewTokens: 2 })).toThrow(/token id 99 is outside the vocabulary \[0, 29\)/);
  m.dispose();
});

test("with the cache each step after the prompt feeds one token per row", () => {
  const m = createModel(CONFIGS.llamaGqaTied!);
  const widths: number[] = [];
  const forward = m.forward.bind(m);
  m.forward = (ids, opts) => {
    widths.push(ids.shape[1] as number);
    return forward(ids, opts);
  };
  generate(
    m,
    [
      [1, 2, 3, 4, 5, 6],
      [7, 8],
    ],
    { maxNewTokens: 5, eosTokenId: null },
  );
  expect(widths).toEqual([6, 1, 1, 1, 1]);
  widths.length = 0;
  generate(
    m,
    [
      [1, 2, 3, 4, 5, 6],
      [7, 8],
    ],
    { maxNewTokens: 3, eosTokenId: null, useCache: false },
  );
  expect(widths).toEqual([6, 7, 8]);
  m.dispose();
});
