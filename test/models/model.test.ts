// Model structure, invariants and memory: names, seeding, padding, cache, adapter hook, leaks.
import * as tf from "@tensorflow/tfjs";
import { beforeAll, describe, expect, test } from "vitest";
import { useBackend } from "../../lib/backend/index.js";
import { KVCache, causalLmLoss, createModel, makeConfig, parseConfig, toHfConfig } from "../../lib/models/index.js";
import { CONFIGS, randomModel, relErr } from "./helpers.js";

beforeAll(async () => {
  await useBackend(); // the default: native where built, else wasm
});

function rows(t: tf.Tensor): number[] {
  return Array.from(t.dataSync());
}

describe("structure", () => {
  test("every LLaMA projection is a Linear named by its HF module path", () => {
    const m = createModel(CONFIGS.llamaGqaTied!);
    const names = [...m.linears().keys()];
    const perLayer = [
      "self_attn.q_proj",
      "self_attn.k_proj",
      "self_attn.v_proj",
      "self_attn.o_proj",
      "mlp.gate_proj",
      "mlp.up_proj",
      "mlp.down_proj",
    ];
    expect(names).toEqual([...[0, 1].flatMap((i) => perLayer.map((p) => `model.layers.${i}.${p}`)), "lm_head"]);
    const k = m.linears().get("model.layers.1.self_attn.k_proj")!;
    expect([k.outFeatures, k.inFeatures]).toEqual([2 * 4, 24]); // 2 kv heads of dim 4
    // Tied: lm_head uses the embedding variable itself, and no lm_head.weight parameter exists.
    expect(m.linears().get("lm_head")!.weight).toBe(m.namedParameters().get("model.embed_tokens.weight"));
    expect(m.namedParameters().has("lm_head.weight")).toBe(false);
    m.dispose();
  });

  test("GPT-2 projections are conv1d-layout Linears with [out, in] weights", () => {
    const c = CONFIGS.gpt2!;
    const m = createModel(c);
    const attn = m.linears().get("transformer.h.1.attn.c_attn")!;
    expect(attn.layout).toBe("conv1d");
    expect(attn.weight.shape).toEqual([3 * c.hiddenSize, c.hiddenSize]);
    expect([...m.linears().keys()].filter((n) => n.startsWith("transformer.h.0."))).toEqual([
      "transformer.h.0.attn.c_attn",
      "transformer.h.0.attn.c_proj",
      "transformer.h.0.mlp.c_fc",
      "transformer.h.0.mlp.c_proj",
    ]);
    m.dispose();
  });

  test("the same seed gives the same weights; another seed does not", () => {
    const a = createModel(CONFIGS.llamaMqa!, { seed: 5 });
    const b = createModel(CONFIGS.llamaMqa!, { seed: 5 });
    const c = createModel(CONFIGS.llamaMqa!, { seed: 6 });
    const name = "model.layers.0.mlp.up_proj.weight";
    expect(rows(a.namedParameters().get(name)!)).toEqual(rows(b.namedParameters().get(name)!));
    expect(rows(a.namedParameters().get(name)!)).not.toEqual(rows(c.namedParameters().get(name)!));
    [a, b, c].forEach((m) => {
      m.dispose();
    });
  });

  test("an adapter installed on a Linear changes the model output", () => {
    const m = randomModel(() => createModel(CONFIGS.gpt2!), 1);
    const ids = tf.tensor2d([[1, 2, 3]], undefined, "int32");
    const before = rows(m.forward(ids));
    let calls = 0;
    m.linears().get("transformer.h.0.mlp.c_fc")!.adapter = {
      forward: (x, base) => {
        calls++;
        return tf.mul(base(x), 2);
      },
    };
    const after = rows(m.forward(ids));
    expect(calls).toBe(1);
    expect(relErr(after, before)).toBeGreaterThan(1e-3);
    m.dispose();
  });
});

describe.each(Object.entries(CONFIGS))("invariants %s", (_label, config) => {
  test("left- and right-padded rows give the unpadded sequence's logits", () => {
    const m = randomModel(() => createModel(config), 2);
    const seq = [3, 1, 4, 1, 5];
    const v = config.vocabSize;
    const alone = rows(m.forward(tf.tensor2d([seq], undefined, "int32")));
    const ids = tf.tensor2d(
      [
        [0, 0, ...seq],
        [...seq, 0, 0],
      ],
      undefined,
      "int32",
    );
    const mask = tf.tensor2d(
      [
        [0, 0, 1, 1, 1, 1, 1],
        [1, 1, 1, 1, 1, 0, 0],
      ],
      undefined,
      "int32",
    );
    const out = rows(m.forward(ids, { attentionMask: mask }));
    const left = out.slice(2 * v, 7 * v);
    const right = out.slice(7 * v, 12 * v);
    expect(relErr(left, alone)).toBeLessThan(1e-5);
    expect(relErr(right, alone)).toBeLessThan(1e-5);
    m.dispose();
  });

  test("feeding tokens through the KV cache gives the full forward's logits", () => {
    const m = randomModel(() => createModel(config), 3);
    const seq = [
      [2, 7, 1, 8, 2, 8],
      [0, 0, 3, 1, 4, 1],
    ];
    const mask = [
      [1, 1, 1, 1, 1, 1],
      [0, 0, 1, 1, 1, 1],
    ];
    const full = m.forward(tf.tensor2d(seq, undefined, "int32"), {
      attentionMask: tf.tensor2d(mask, undefined, "int32"),
    });
    const cache = new KVCache(config.numLayers);
    const parts: tf.Tensor[] = [];
    for (const [a, b] of [
      [0, 3],
      [3, 4],
      [4, 6],
    ] as const) {
      parts.push(
        m.forward(
          tf.tensor2d(
            seq.map((r) => r.slice(a, b)),
            undefined,
            "int32",
          ),
          {
            cache,
            attentionMask: tf.tensor2d(
              mask.map((r) => r.slice(0, b)),
              undefined,
              "int32",
            ),
          },
        ),
      );
    }
    const stepped = tf.concat(parts, 1);
    expect(cache.length).toBe(6);
    // Compare real positions only.
    const v = config.vocabSize;
    const keep = (x: number[]) => x.filter((_, i) => !(Math.floor(i / v / 6) === 1 && Math.floor(i / v) % 6 < 2));
    expect(relErr(keep(rows(stepped)), keep(rows(full)))).toBeLessThan(1e-5);
    cache.dispose();
    m.dispose();
  });
});

describe("memory", () => {
  test.each(Object.keys(CONFIGS))("a training step of %s leaks no tensors", (label) => {
    const config = CONFIGS[label]!;
    const m = createModel(config, { seed: 1 });
    const opt = tf.train.adam(1e-3);
    const ids = tf.tensor2d(
      [
        [1, 2, 3, 4],
        [0, 5, 6, 7],
      ],
      undefined,
      "int32",
    );
    const mask = tf.tensor2d(
      [
        [1, 1, 1, 1],
        [0, 1, 1, 1],
      ],
      undefined,
      "int32",
    );
    const step = () => {
      const cost = opt.minimize(
        () => causalLmLoss(m.forward(ids, { attentionMask: mask }), ids, { attentionMask: mask }),
        true,
        [...m.namedParameters().values()],
      );
      const v = cost!.dataSync()[0] as number;
      cost!.dispose();
      return v;
    };
    const first = step(); // creates the optimiser's slot variables
    const before = tf.memory().numTensors;
    step();
    const last = step();
    expect(tf.memory().numTensors).toBe(before);
    expect(last).toBeLessThan(first); // the step actually trains
    m.dispose();
    opt.dispose();
    tf.dispose([ids, mask]);
  });

  test("forward and classify leave no tensors behind", () => {
    const m = createModel(
      makeConfig({
        family: "llama",
        task: "sequence-classification",
        vocabSize: 20,
        hiddenSize: 8,
        numLayers: 1,
        numHeads: 2,
        intermediateSize: 8,
      }),
    );
    const ids = tf.tensor2d([[1, 2, 3]], undefined, "int32");
    const before = tf.memory().numTensors;
    m.classify(ids).dispose();
    expect(tf.memory().numTensors).toBe(before);
    expect(() => m.forward(ids)).toThrow(/no lm_head; use classify/);
    m.dispose();
  });
});

describe("config", () => {
  test("toHfConfig and parseConfig round-trip both families", () => {
    for (const c of Object.values(CONFIGS)) {
      const back = parseConfig(toHfConfig(c));
      const { extra: _e, ...rest } = back;
      expect(rest).toEqual({ ...c });
    }
  });

  test("published config.json files parse to the right shapes", () => {
    // Fields as in the hub's gpt2 and TinyLlama-1.1B configs (sizes shrunk where irrelevant).
    const gpt2 = parseConfig({
      activation_function: "gelu_new",
      architectures: ["GPT2LMHeadModel"],
      bos_token_id: 50256,
      eos_token_id: 50256,
      layer_norm_epsilon: 1e-5,
      model_type: "gpt2",
      n_ctx: 1024,
      n_embd: 768,
      n_head: 12,
      n_layer: 12,
      n_positions: 1024,
      resid_pdrop: 0.1,
      vocab_size: 50257,
      task_specific_params: { "text-generation": { do_sample: true } },
    });
    expect(gpt2).toMatchObject({
      family: "gpt2",
      task: "causal-lm",
      hiddenSize: 768,
      headDim: 64,
      intermediateSize: 3072,
      maxPositions: 1024,
      eosTokenId: 50256,
      tieWordEmbeddings: true,
    });
    expect(toHfConfig(gpt2)).toMatchObject({ resid_pdrop: 0.1, n_inner: 3072 });
    const llama = parseConfig({
      architectures: ["LlamaForCausalLM"],
      bos_token_id: 1,
      eos_token_id: [2, 3],
      hidden_act: "silu",
      hidden_size: 2048,
      intermediate_size: 5632,
      max_position_embeddings: 2048,
      model_type: "llama",
      num_attention_heads: 32,
      num_hidden_layers: 22,
      num_key_value_heads: 4,
      rms_norm_eps: 1e-5,
      rope_scaling: null,
      tie_word_embeddings: false,
      vocab_size: 32000,
    });
    expect(llama).toMatchObject({
      family: "llama",
      numKvHeads: 4,
      headDim: 64,
      normEps: 1e-5,
      ropeTheta: 10000,
      eosTokenId: 2,
      tieWordEmbeddings: false,
    });
    const cls = parseConfig({
      ...toHfConfig(CONFIGS.llamaMqa!),
      architectures: ["LlamaForSequenceClassification"],
      id2label: { 0: "neg", 1: "pos", 2: "neutral" },
    });
    expect(cls).toMatchObject({ task: "sequence-classification", numLabels: 3 });
  });

  test("bad configs name the file and field", () => {
    expect(() => parseConfig({ model_type: "mistral" }, "x/config.json")).toThrow(
      /x\/config.json: unknown architecture: model_type "mistral"/,
    );
    expect(() => parseConfig({ model_type: "llama", hidden_size: 8 }, "c.json")).toThrow(
      /c.json: missing field num_attention_heads/,
    );
    expect(() =>
      parseConfig({
        model_type: "llama",
        vocab_size: 9,
        hidden_size: 12,
        num_hidden_layers: 1,
        num_attention_heads: 6,
        num_key_value_heads: 4,
        intermediate_size: 4,
      }),
    ).toThrow(/num_key_value_heads 4 must divide num_attention_heads 6/);
    expect(() => parseConfig({ model_type: "gpt2", vocab_size: 9, n_embd: "8" })).toThrow(
      /field n_embd: expected a number, found "8"/,
    );
  });

  test("bad inputs fail with the expected shape", () => {
    const m = createModel(CONFIGS.llamaMqa!);
    expect(() => m.forward(tf.tensor1d([1, 2], "int32"))).toThrow(
      /inputIds: expected shape \[batch, tokens\], found \[2\]/,
    );
    expect(() =>
      m.forward(tf.tensor2d([[1, 2]], undefined, "int32"), { attentionMask: tf.tensor2d([[1, 1, 1]]) }),
    ).toThrow(/attentionMask: expected shape \[1, 2\]/);
    m.dispose();
  });
});
