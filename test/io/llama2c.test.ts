import { readFile, writeFile } from "node:fs/promises";
import { join } from "node:path";
import { afterAll, describe, expect, it } from "vitest";
import { CheckpointError } from "../../lib/io/errors.js";
import { readHfFolder, writeHfFolder } from "../../lib/io/hf-folder.js";
import { parseLlama2c, permuteInterleavedToHalf, readLlama2c } from "../../lib/io/llama2c.js";
import { runPythonJson } from "../helpers/python.js";
import { STORIES } from "../helpers/shared.js";
import { cleanTempDirs, tempDir } from "./helpers.js";

afterAll(cleanTempDirs);

const REF = "test/reference/io_rope_reference.py";

interface Check {
  header: number[];
  checked: number;
  mismatches: string[];
  extra: string[];
  max_diff: number;
  max_diff_unpermuted: number;
  max_score: number;
}

async function convertAndCheck(bin: string): Promise<Check> {
  const ckpt = await readLlama2c(bin);
  const dir = await tempDir("llama2c-hf-");
  await writeHfFolder(dir, ckpt.config, ckpt.tensors);
  return runPythonJson<Check>(REF, ["check", bin, join(dir, "model.safetensors")]);
}

function expectRopeEquivalent(r: Check): void {
  expect(r.mismatches).toEqual([]);
  expect(r.extra).toEqual([]);
  // f32 weights, scores in f64: the two conventions agree to rounding error...
  expect(r.max_diff).toBeLessThan(1e-9 * Math.max(1, r.max_score));
  // ...while using the raw weights with half rotation would not (so the check has teeth).
  expect(r.max_diff_unpermuted).toBeGreaterThan(1e-2 * r.max_score);
}

describe("llama2.c checkpoints", () => {
  it("maps a random GQA checkpoint with shared embedding to HF names; RoPE scores match the numpy reference", async () => {
    const dir = await tempDir();
    const bin = join(dir, "gqa.bin");
    runPythonJson(REF, ["make", bin, "3", "16", "24", "2", "4", "2", "19", "9"]);
    const ckpt = await readLlama2c(bin);
    expect(ckpt.config).toMatchObject({
      model_type: "llama",
      hidden_size: 16,
      intermediate_size: 24,
      num_hidden_layers: 2,
      num_attention_heads: 4,
      num_key_value_heads: 2,
      vocab_size: 19,
      max_position_embeddings: 9,
      rms_norm_eps: 1e-5,
      rope_theta: 10000,
      tie_word_embeddings: true,
      bos_token_id: 1,
      eos_token_id: 1,
    });
    expect(ckpt.tensors.has("lm_head.weight")).toBe(false);
    expect(ckpt.tensors.get("model.layers.1.self_attn.k_proj.weight")?.shape).toEqual([8, 16]);
    expect(ckpt.tensors.get("model.layers.0.mlp.down_proj.weight")?.shape).toEqual([16, 24]);
    const r = await convertAndCheck(bin);
    expect(r.checked).toBe(2 + 2 * 7);
    expectRopeEquivalent(r);
  });

  it("reads a separate output matrix (negative vocab_size) stored after the RoPE tables", async () => {
    const dir = await tempDir();
    const bin = join(dir, "untied.bin");
    runPythonJson(REF, ["make", bin, "5", "12", "20", "1", "3", "3", "-13", "6"]);
    const ckpt = await readLlama2c(bin);
    expect(ckpt.config.tie_word_embeddings).toBe(false);
    expect(ckpt.config.vocab_size).toBe(13);
    expect(ckpt.tensors.get("lm_head.weight")?.shape).toEqual([13, 12]);
    const r = await convertAndCheck(bin);
    expect(r.checked).toBe(3 + 7);
    expectRopeEquivalent(r);
  });

  it("loads stories260K into an HF LLaMA folder that reloads bit-exact", async () => {
    const ckpt = await readLlama2c(STORIES);
    // Figures from ../shared/models/README.md.
    expect(ckpt.config).toMatchObject({
      hidden_size: 64,
      intermediate_size: 172,
      num_hidden_layers: 5,
      num_attention_heads: 8,
      num_key_value_heads: 4,
      vocab_size: 512,
      max_position_embeddings: 512,
      tie_word_embeddings: true,
    });
    expect(ckpt.tensors.size).toBe(2 + 5 * 9);
    const params = [...ckpt.tensors.values()].reduce((a, t) => a + t.data.length, 0);
    expect(params).toBeGreaterThan(250_000);
    expect(params).toBeLessThan(270_000);
    expectRopeEquivalent(await convertAndCheck(STORIES));

    const dir = await tempDir();
    await writeHfFolder(dir, ckpt.config, ckpt.tensors);
    const back = await readHfFolder(dir);
    expect(back.config).toEqual(ckpt.config);
    for (const [name, t] of ckpt.tensors) expect(back.tensors.get(name)?.data, name).toEqual(t.data);
  });

  it("permutes each head's rows: interleaved pairs (2i, 2i+1) become halves (i, i+d/2)", () => {
    // 2 heads of size 4, 1 column; the value is the original row index.
    const rows = Float32Array.from([0, 1, 2, 3, 4, 5, 6, 7]);
    expect(Array.from(permuteInterleavedToHalf(rows, 2, 4, 1))).toEqual([0, 2, 1, 3, 4, 6, 5, 7]);
    const cols = Float32Array.from([0, 10, 1, 11, 2, 12, 3, 13]); // one head of 4, 2 columns
    expect(Array.from(permuteInterleavedToHalf(cols, 1, 4, 2))).toEqual([0, 10, 2, 12, 1, 11, 3, 13]);
  });
});

describe("llama2.c errors", () => {
  function header(...h: number[]): Uint8Array {
    const b = new Uint8Array(28);
    const v = new DataView(b.buffer);
    h.forEach((x, i) => {
      v.setInt32(i * 4, x, true);
    });
    return b;
  }
  function msg(f: () => unknown): string {
    try {
      f();
    } catch (err) {
      expect(err).toBeInstanceOf(CheckpointError);
      return (err as Error).message;
    }
    throw new Error("expected an error");
  }

  it("truncated or oversized files name expected and found sizes", async () => {
    const dir = await tempDir();
    const bin = join(dir, "t.bin");
    runPythonJson(REF, ["make", bin, "1", "8", "12", "1", "2", "2", "5", "4"]);
    const good = await readFile(bin);
    // 28 header bytes + floats: emb 40, rms 8, wq 64, wk 64, wv 64, wo 64, rms 8, w1 96, w2 96, w3 96, final 8, rope 8+8.
    const expected = 28 + 4 * (40 + 8 + 64 * 4 + 8 + 96 * 3 + 8 + 16);
    expect(good.length).toBe(expected);
    const desc = "dim 8, hidden_dim 12, n_layers 1, n_heads 2, n_kv_heads 2, vocab_size 5, seq_len 4";
    expect(msg(() => parseLlama2c(good.subarray(0, 1000), bin))).toBe(
      `${bin}: truncated: the header (${desc}) needs ${expected} bytes, the file has 1000`,
    );
    expect(msg(() => parseLlama2c(Buffer.concat([good, Buffer.alloc(8)]), bin))).toMatch(
      new RegExp(`size mismatch: the header \\(${desc}\\) needs ${expected} bytes, the file has ${expected + 8}`),
    );
    expect(msg(() => parseLlama2c(good.subarray(0, 12), bin))).toBe(
      `${bin}: truncated: 12 bytes, too short for the 28-byte llama2.c header`,
    );
    await writeFile(join(dir, "short.bin"), good.subarray(0, 100));
    await expect(readLlama2c(join(dir, "short.bin"))).rejects.toThrow(/short\.bin: truncated: the header/);
    await expect(readLlama2c(join(dir, "missing.bin"))).rejects.toThrow(
      `${join(dir, "missing.bin")}: llama2.c checkpoint not found`,
    );
  });

  it("bad headers say which field is wrong", () => {
    expect(msg(() => parseLlama2c(header(64, 172, 5, 7, 7, 512, 512), "x.bin"))).toBe(
      "x.bin: bad header: dim 64 is not divisible by n_heads 7",
    );
    expect(msg(() => parseLlama2c(header(64, 172, 5, 8, 3, 512, 512), "x.bin"))).toBe(
      "x.bin: bad header: n_heads 8 is not divisible by n_kv_heads 3",
    );
    expect(msg(() => parseLlama2c(header(-64, 172, 5, 8, 4, 512, 512), "x.bin"))).toBe(
      "x.bin: bad header: dim must be positive, found -64",
    );
    expect(msg(() => parseLlama2c(header(64, 172, 5, 8, 4, 0, 512), "x.bin"))).toBe(
      "x.bin: bad header: vocab_size must be non-zero, found 0",
    );
    expect(msg(() => parseLlama2c(header(24, 172, 5, 8, 4, 512, 512), "x.bin"))).toBe(
      "x.bin: bad header: head size 3 must be even for rotary embeddings",
    );
    expect(msg(() => parseLlama2c(header(0x616b3432, 2, 64, 172, 5, 8, 4), "x.bin"))).toMatch(
      /version 2 \(magic "ak42"\) is not supported/,
    );
  });
});
