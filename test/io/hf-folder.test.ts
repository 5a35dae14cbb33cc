import { readFile, readdir, writeFile, mkdir, truncate } from "node:fs/promises";
import { join } from "node:path";
import { afterAll, describe, expect, it } from "vitest";
import { CheckpointError } from "../../lib/io/errors.js";
import {
  checkTensors,
  configField,
  optionalConfigField,
  readHfFolder,
  requireModelType,
  writeHfFolder,
} from "../../lib/io/hf-folder.js";
import { serializeSafetensors, type TensorToWrite } from "../../lib/io/safetensors.js";
import { bits, cleanTempDirs, randomTensor, seeded, tempDir } from "./helpers.js";

afterAll(cleanTempDirs);

const config = { model_type: "llama", hidden_size: 8, num_hidden_layers: 2, vocab_size: 11 };

function tinyTensors(seed = 1): Map<string, TensorToWrite> {
  const r = seeded(seed);
  const m = new Map<string, TensorToWrite>();
  m.set("model.embed_tokens.weight", randomTensor([11, 8], r));
  for (let l = 0; l < 2; l++) {
    m.set(`model.layers.${l}.self_attn.q_proj.weight`, randomTensor([8, 8], r));
    m.set(`model.layers.${l}.mlp.up_proj.weight`, randomTensor([12, 8], r));
    m.set(`model.layers.${l}.input_layernorm.weight`, randomTensor([8], r));
  }
  m.set("model.norm.weight", randomTensor([8], r));
  return m;
}

function expectSame(a: Map<string, { shape: number[]; data: Float32Array }>, b: Map<string, TensorToWrite>): void {
  expect([...a.keys()].sort()).toEqual([...b.keys()].sort());
  for (const [name, t] of b) {
    expect(a.get(name)?.shape, name).toEqual(t.shape);
    expect(bits(a.get(name)!.data), name).toEqual(bits(t.data));
  }
}

async function message(p: Promise<unknown> | (() => unknown)): Promise<string> {
  try {
    await (typeof p === "function" ? p() : p);
  } catch (err) {
    expect(err).toBeInstanceOf(CheckpointError);
    return (err as Error).message;
  }
  throw new Error("expected an error");
}

describe("HF folder round trips", () => {
  it("writes one model.safetensors and reads it back bit-exact, with the raw config", async () => {
    const dir = await tempDir();
    const tensors = tinyTensors();
    // Values that an accidental f16/bf16 narrowing or a NaN canonicalisation would change.
    tensors.set("special", { shape: [4], data: Float32Array.from([-0, 1e-40, 3.4e38, 1.0000001]) });
    const files = await writeHfFolder(dir, { ...config, extra: { nested: [1, 2] } }, tensors);
    expect(files).toEqual(["model.safetensors"]);
    const back = await readHfFolder(dir);
    expect(back.config).toEqual({ ...config, extra: { nested: [1, 2] } });
    expect(back.tokenizerPath).toBeUndefined();
    expect(back.weightFiles).toEqual(["model.safetensors"]);
    expectSame(back.tensors, tensors);
  });

  it("shards by size with an index, and the sharded folder loads the same tensors", async () => {
    const dir = await tempDir();
    const tensors = tinyTensors(2);
    const files = await writeHfFolder(dir, config, tensors, { maxShardBytes: 400 });
    expect(files.length).toBeGreaterThan(2);
    expect(files[0]).toBe(`model-00001-of-${String(files.length).padStart(5, "0")}.safetensors`);
    const index = JSON.parse(await readFile(join(dir, "model.safetensors.index.json"), "utf8"));
    expect(Object.keys(index.weight_map).sort()).toEqual([...tensors.keys()].sort());
    const totalBytes = [...tensors.values()].reduce((a, t) => a + t.data.length * 4, 0);
    expect(index.metadata.total_size).toBe(totalBytes);
    // No shard exceeds the limit unless it holds a single tensor larger than it.
    for (const f of files) {
      const names = Object.keys(index.weight_map).filter((n) => index.weight_map[n] === f);
      const bytes = names.reduce((a, n) => a + tensors.get(n)!.data.length * 4, 0);
      expect(bytes <= 400 || names.length === 1, f).toBe(true);
    }
    const sharded = await readHfFolder(dir);
    expect(sharded.weightFiles.sort()).toEqual([...files].sort());
    expectSame(sharded.tensors, tensors);

    // Rewriting as a single file removes the index and shards, so the layouts never disagree.
    await writeHfFolder(dir, config, tensors);
    expect((await readdir(dir)).sort()).toEqual(["config.json", "model.safetensors"]);
    expectSame((await readHfFolder(dir)).tensors, tensors);
    // And back to fewer shards: the old higher-numbered shards go.
    const fewer = await writeHfFolder(dir, config, tensors, { maxShardBytes: 800 });
    expect((await readdir(dir)).sort()).toEqual(["config.json", "model.safetensors.index.json", ...fewer].sort());
    expectSame((await readHfFolder(dir)).tensors, tensors);
  });

  it("reports tokenizer.json when the folder has one", async () => {
    const dir = await tempDir();
    await writeHfFolder(dir, config, tinyTensors());
    await writeFile(join(dir, "tokenizer.json"), "{}");
    expect((await readHfFolder(dir)).tokenizerPath).toBe(join(dir, "tokenizer.json"));
  });
});

describe("HF folder errors name the file and the problem", () => {
  it("missing folder, a file instead of a folder, missing config.json, bad JSON", async () => {
    const root = await tempDir();
    expect(await message(readHfFolder(join(root, "nope")))).toBe(`${join(root, "nope")}: model folder not found`);
    await writeFile(join(root, "file"), "x");
    expect(await message(readHfFolder(join(root, "file")))).toMatch(/file: not a folder/);
    const empty = join(root, "empty");
    await mkdir(empty);
    expect(await message(readHfFolder(empty))).toBe(`${join(empty, "config.json")}: config.json not found`);
    await writeFile(join(empty, "config.json"), "{ model_type: llama");
    expect(await message(readHfFolder(empty))).toMatch(/config\.json: config\.json is not valid JSON/);
    await writeFile(join(empty, "config.json"), "[1]");
    expect(await message(readHfFolder(empty))).toMatch(/config\.json: config\.json must hold a JSON object/);
  });

  it("unknown or missing architecture lists the supported model_type values", async () => {
    const dir = await tempDir();
    await writeHfFolder(dir, { ...config, model_type: "bert" }, tinyTensors());
    expect(await message(readHfFolder(dir))).toBe(
      `${join(dir, "config.json")}: unknown architecture: model_type "bert" is not supported (supported: "llama", "gpt2")`,
    );
    await writeHfFolder(dir, { hidden_size: 8 }, tinyTensors());
    expect(await message(readHfFolder(dir))).toMatch(
      /missing config field 'model_type' \(expected one of "llama", "gpt2"\)/,
    );
    // Opting out reads the tensors anyway (e.g. to inspect a foreign checkpoint).
    expect((await readHfFolder(dir, { checkArchitecture: false })).tensors.size).toBe(tinyTensors().size);
    expect(requireModelType({ model_type: "gpt2" }, "c.json")).toBe("gpt2");
  });

  it("no weights, with a hint when only pytorch_model.bin is there", async () => {
    const dir = await tempDir();
    await writeFile(join(dir, "config.json"), JSON.stringify(config));
    expect(await message(readHfFolder(dir))).toBe(
      `${dir}: no weights: expected model.safetensors or model.safetensors.index.json`,
    );
    await writeFile(join(dir, "pytorch_model.bin"), "pickle");
    expect(await message(readHfFolder(dir))).toMatch(
      /found pytorch_model\.bin, a pickle format this library does not read/,
    );
  });

  it("an index pointing at a missing shard, or at a shard without the tensor", async () => {
    const dir = await tempDir();
    const files = await writeHfFolder(dir, config, tinyTensors(), { maxShardBytes: 400 });
    const indexPath = join(dir, "model.safetensors.index.json");
    const index = JSON.parse(await readFile(indexPath, "utf8"));
    const lost = files[1] as string;
    const { rm } = await import("node:fs/promises");
    await rm(join(dir, lost));
    expect(await message(readHfFolder(dir))).toMatch(
      new RegExp(
        `^${indexPath.replace(/[.]/g, "\\.")}: weight_map points at shard '${lost.replace(/[.]/g, "\\.")}', which is missing from `,
      ),
    );
    await writeHfFolder(dir, config, tinyTensors(), { maxShardBytes: 400 });
    index.weight_map["model.ghost.weight"] = files[0];
    await writeFile(indexPath, JSON.stringify(index));
    expect(await message(readHfFolder(dir))).toBe(
      `${join(dir, files[0] as string)}: tensor 'model.ghost.weight' is missing: model.safetensors.index.json says this shard holds it`,
    );
    await writeFile(indexPath, JSON.stringify({ metadata: {} }));
    expect(await message(readHfFolder(dir))).toMatch(/index\.json: missing field 'weight_map'/);
    await writeFile(indexPath, JSON.stringify({ weight_map: { a: "../elsewhere.safetensors" } }));
    expect(await message(readHfFolder(dir))).toMatch(/weight_map entry 'a' must be a shard file name in this folder/);
  });

  it("truncated data, truncated header, corrupt header JSON, absurd header length", async () => {
    const dir = await tempDir();
    await writeHfFolder(dir, config, tinyTensors());
    const path = join(dir, "model.safetensors");
    const good = await readFile(path);
    const headerLen = Number(good.readBigUInt64LE(0));

    await truncate(path, good.length - 10);
    expect(await message(readHfFolder(dir))).toMatch(
      new RegExp(
        `model\\.safetensors: truncated: tensor '[^']+' ends at byte \\d+ of the data section, which has ${good.length - 8 - headerLen - 10}`,
      ),
    );

    await writeFile(path, good.subarray(0, 20));
    expect(await message(readHfFolder(dir))).toBe(
      `${path}: truncated header: declares ${headerLen} bytes but only 12 follow`,
    );

    await writeFile(path, good.subarray(0, 5));
    expect(await message(readHfFolder(dir))).toBe(
      `${path}: truncated: 5 bytes, too short for the 8-byte header length`,
    );

    const corrupt = Buffer.from(good);
    corrupt.write("#", 9);
    await writeFile(path, corrupt);
    expect(await message(readHfFolder(dir))).toMatch(/model\.safetensors: corrupt header: not valid JSON/);

    const huge = Buffer.from(good);
    huge.writeBigUInt64LE(1n << 40n, 0);
    await writeFile(path, huge);
    expect(await message(readHfFolder(dir))).toMatch(
      /model\.safetensors: corrupt header: declared header length 1099511627776 exceeds/,
    );
  });

  it("a header whose shape disagrees with its byte span", async () => {
    const dir = await tempDir();
    await writeFile(join(dir, "config.json"), JSON.stringify(config));
    const bytes = serializeSafetensors({ w: { shape: [2, 3], data: new Float32Array(6) } });
    const text = Buffer.from(bytes).toString("latin1").replace('"shape":[2,3]', '"shape":[3,3]');
    await writeFile(join(dir, "model.safetensors"), Buffer.from(text, "latin1"));
    expect(await message(readHfFolder(dir))).toMatch(
      /tensor 'w': shape \[3, 3\] of F32 needs 36 bytes, data_offsets span 24/,
    );
  });
});

describe("checkTensors", () => {
  const tensors = new Map([
    ["a", { shape: [2, 3] }],
    ["b", { shape: [4] }],
    ["rotary.inv_freq", { shape: [2] }],
  ]);

  it("passes and returns the unexpected names", () => {
    const r = checkTensors(
      tensors,
      new Map([
        ["a", [2, 3]],
        ["b", [4]],
      ]),
      "m.safetensors",
    );
    expect(r.unexpected).toEqual(["rotary.inv_freq"]);
  });

  it("names the tensor, expected and found shape", async () => {
    expect(await message(() => checkTensors(tensors, new Map([["a", [3, 2]]]), "m.safetensors"))).toBe(
      "m.safetensors: tensor 'a' has the wrong shape: expected [3, 2], found [2, 3]",
    );
    expect(await message(() => checkTensors(tensors, new Map([["b", [4, 1]]]), "m.safetensors"))).toBe(
      "m.safetensors: tensor 'b' has the wrong shape: expected [4, 1], found [4]",
    );
    expect(await message(() => checkTensors(tensors, new Map([["lm_head.weight", [5, 2]]]), "m.safetensors"))).toBe(
      "m.safetensors: tensor 'lm_head.weight' is missing (expected shape [5, 2])",
    );
  });

  it("hints at a name-prefix difference", async () => {
    const gpt2 = new Map([["h.0.attn.c_attn.weight", { shape: [4, 12] }]]);
    expect(
      await message(() =>
        checkTensors(gpt2, new Map([["transformer.h.0.attn.c_attn.weight", [4, 12]]]), "g.safetensors"),
      ),
    ).toBe(
      "g.safetensors: tensor 'transformer.h.0.attn.c_attn.weight' is missing (expected shape [4, 12]); found 'h.0.attn.c_attn.weight' — a different name prefix?",
    );
  });

  it("lists every problem at once, and unexpected tensors when asked", async () => {
    const msg = await message(() =>
      checkTensors(
        tensors,
        new Map([
          ["a", [2, 3]],
          ["b", [5]],
          ["c", [1]],
        ]),
        "dir",
        { rejectUnexpected: true },
      ),
    );
    expect(msg).toBe(
      "dir: 3 tensor problems:\n  - tensor 'b' has the wrong shape: expected [5], found [4]\n  - tensor 'c' is missing (expected shape [1])\n  - unexpected tensor 'rotary.inv_freq'",
    );
  });
});

describe("config fields", () => {
  const cfg = { hidden_size: 64, rms_norm_eps: 1e-5, name: 3 };
  it("returns present fields and fallbacks", () => {
    expect(configField(cfg, "hidden_size", "integer", "c.json")).toBe(64);
    expect(configField(cfg, "rms_norm_eps", "number", "c.json")).toBe(1e-5);
    expect(optionalConfigField(cfg, "rope_theta", "number", 10000, "c.json")).toBe(10000);
  });
  it("names the missing or mistyped field, expected and found", async () => {
    expect(await message(() => configField(cfg, "vocab_size", "integer", "c.json"))).toBe(
      "c.json: missing config field 'vocab_size' (expected an integer)",
    );
    expect(await message(() => configField(cfg, "rms_norm_eps", "integer", "c.json"))).toBe(
      "c.json: config field 'rms_norm_eps' must be an integer, found 0.00001",
    );
    expect(await message(() => optionalConfigField(cfg, "name", "string", "x", "c.json"))).toBe(
      "c.json: config field 'name' must be a string, found 3",
    );
  });
});
