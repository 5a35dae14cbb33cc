import { writeFile } from "node:fs/promises";
import { join } from "node:path";
import { afterAll, describe, expect, it } from "vitest";
import { readModelCheckpoint } from "../../lib/io/model-checkpoint.js";
import { writeHfFolder } from "../../lib/io/hf-folder.js";
import { runPythonJson } from "../helpers/python.js";
import { cleanTempDirs, randomTensor, seeded, tempDir } from "./helpers.js";

afterAll(cleanTempDirs);

describe("readModelCheckpoint", () => {
  it("dispatches a folder to the HF reader and a .bin file to the llama2.c reader", async () => {
    const dir = await tempDir();
    const w = randomTensor([3, 2], seeded(9));
    await writeHfFolder(join(dir, "hf"), { model_type: "gpt2", n_embd: 2 }, new Map([["wte.weight", w]]));
    await writeFile(join(dir, "hf", "tokenizer.json"), "{}");
    const hf = await readModelCheckpoint(join(dir, "hf"));
    expect(hf.format).toBe("hf-folder");
    expect(hf.config).toEqual({ model_type: "gpt2", n_embd: 2 });
    expect(hf.tensors.get("wte.weight")?.data).toEqual(w.data);
    expect(hf.tokenizerPath).toBe(join(dir, "hf", "tokenizer.json"));

    const bin = join(dir, "m.bin");
    runPythonJson("test/reference/io_rope_reference.py", ["make", bin, "2", "8", "12", "1", "2", "1", "7", "4"]);
    const l2c = await readModelCheckpoint(bin);
    expect(l2c.format).toBe("llama2c");
    expect(l2c.config).toMatchObject({ model_type: "llama", num_key_value_heads: 1, vocab_size: 7 });
    expect(l2c.tensors.get("model.layers.0.self_attn.k_proj.weight")?.shape).toEqual([4, 8]);
    expect(l2c.tokenizerPath).toBeUndefined();
  });

  it("says what it expected for a missing path or an unknown file", async () => {
    const dir = await tempDir();
    await expect(readModelCheckpoint(join(dir, "x"))).rejects.toThrow(
      `${join(dir, "x")}: checkpoint not found (expected a Hugging Face model folder or a llama2.c .bin file)`,
    );
    await writeFile(join(dir, "w.pt"), "x");
    await expect(readModelCheckpoint(join(dir, "w.pt"))).rejects.toThrow(/w\.pt: unrecognised checkpoint/);
  });
});
