// lib/io against an independent numpy safetensors parser/writer (test/reference/io_safetensors_interop.py).
import { copyFile, writeFile } from "node:fs/promises";
import { join } from "node:path";
import { afterAll, describe, expect, it } from "vitest";
import { readHfFolder, writeHfFolder } from "../../lib/io/hf-folder.js";
import { readSafetensors, writeSafetensors, type TensorToWrite } from "../../lib/io/safetensors.js";
import { runPythonJson } from "../helpers/python.js";
import { bits, cleanTempDirs, randomTensor, seeded, tempDir } from "./helpers.js";

afterAll(cleanTempDirs);

const REF = "test/reference/io_safetensors_interop.py";

interface Described {
  dtype: string;
  shape: number[];
  bits: number[];
}

function fixture(): Map<string, TensorToWrite> {
  const r = seeded(11);
  return new Map<string, TensorToWrite>([
    ["model.layers.0.self_attn.q_proj.weight", randomTensor([6, 4], r)],
    ["model.norm.weight", randomTensor([4], r)],
    ["scalar", { shape: [], data: Float32Array.from([Math.PI]) }],
    ["empty", { shape: [0, 3], data: new Float32Array(0) }],
    ["special", { shape: [2, 3], data: Float32Array.from([-0, NaN, Infinity, -Infinity, 1e-45, 3.4028234e38]) }],
  ]);
}

describe("safetensors interop with an independent numpy parser", () => {
  it("a file written here parses there with the same names, shapes and bits, aligned and without holes", async () => {
    const dir = await tempDir();
    const path = join(dir, "w.safetensors");
    const tensors = fixture();
    await writeSafetensors(path, tensors, { format: "pt", note: "ü" });
    const out = runPythonJson<{ metadata: Record<string, string>; tensors: Record<string, Described> }>(REF, [
      "read",
      path,
    ]);
    expect(out.metadata).toEqual({ format: "pt", note: "ü" });
    expect(Object.keys(out.tensors).sort()).toEqual([...tensors.keys()].sort());
    for (const [name, t] of tensors) {
      expect(out.tensors[name]?.dtype, name).toBe("F32");
      expect(out.tensors[name]?.shape, name).toEqual(t.shape);
      expect(out.tensors[name]?.bits, name).toEqual(bits(t.data));
    }
  });

  it("a sharded HF folder written here loads there the way transformers resolves the index", async () => {
    const dir = await tempDir();
    const tensors = fixture();
    const files = await writeHfFolder(dir, { model_type: "llama", hidden_size: 4 }, tensors, { maxShardBytes: 64 });
    expect(files.length).toBeGreaterThan(1);
    const out = runPythonJson<{ files: string[]; config: unknown; tensors: Record<string, Described> }>(REF, [
      "folder",
      dir,
    ]);
    expect(out.files).toEqual([...files].sort());
    expect(out.config).toEqual({ model_type: "llama", hidden_size: 4 });
    for (const [name, t] of tensors) expect(out.tensors[name]?.bits, name).toEqual(bits(t.data));
  });

  it("f16, bf16, f64 and integer files written there widen here to the f32 values numpy computes", async () => {
    const dir = await tempDir();
    const expected = runPythonJson<Record<string, Record<string, { shape: number[]; bits: number[] }>>>(REF, [
      "write",
      dir,
    ]);
    expect(Object.keys(expected).sort()).toEqual(["bf16.safetensors", "f16.safetensors", "mixed.safetensors"]);
    const dtypes: Record<string, string> = { a: "F16", b: "F16", w: "BF16", d: "F64", i: "I64", j: "I32", u: "U8" };
    for (const [file, tensors] of Object.entries(expected)) {
      const got = await readSafetensors(join(dir, file));
      expect([...got.tensors.keys()].sort(), file).toEqual(Object.keys(tensors).sort());
      for (const [name, t] of Object.entries(tensors)) {
        const mine = got.tensors.get(name)!;
        expect(mine.dtype, `${file}:${name}`).toBe(dtypes[name]);
        expect(mine.shape, `${file}:${name}`).toEqual(t.shape);
        expect(bits(mine.data), `${file}:${name}`).toEqual(t.bits);
      }
    }
    // The same widening through a model folder (what lib/models loads).
    await copyFile(join(dir, "bf16.safetensors"), join(dir, "model.safetensors"));
    await writeFile(join(dir, "config.json"), JSON.stringify({ model_type: "llama" }));
    const folder = await readHfFolder(dir);
    expect(bits(folder.tensors.get("w")!.data)).toEqual(expected["bf16.safetensors"]!.w!.bits);
  });
});
