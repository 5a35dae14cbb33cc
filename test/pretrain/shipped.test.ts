// The base model shipped in the repository (models/base-small): its files are the bytes its record
// names, the record is of the recipe in the code and of the corpus on this machine, ensureBaseModel
// returns it at small, and a changed byte or a different environment is named, not loaded.
import { cpSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, describe, expect, it } from "vitest";
import { loadModel } from "../../lib/models/index.js";
import {
  compareCorpus,
  ensureBaseModel,
  MODEL_FILES,
  pythonStdlibVersion,
  readPretrainReport,
  readRecord,
  rebuildHazards,
  recipeFor,
  recipeKey,
  shippedBaseDir,
  verifyShipped,
} from "../../lib/pretrain/index.js";

const dir = shippedBaseDir("small")!;
const temps: string[] = [];
afterAll(() => {
  for (const d of temps) rmSync(d, { recursive: true, force: true });
});

describe("the shipped small base model", () => {
  it("holds the files its record names, byte for byte, within 25 MB", async () => {
    const record = await verifyShipped(dir);
    expect(Object.keys(record.files).sort()).toEqual([...MODEL_FILES].sort());
    const total = Object.values(record.files).reduce((n, f) => n + f.bytes, 0);
    expect(total).toBeLessThan(25 * 1024 * 1024);
  });

  it("was built from the recipe in the code, at its recorded thread count", async () => {
    const record = await readRecord(dir);
    const recipe = recipeFor("small");
    expect(record.recipe).toEqual(recipe);
    expect(record.key).toBe(recipeKey(recipe, 0, record.environment.backend));
    expect(record.environment.threads).toBe(recipe.threads);
  });

  it("was trained on the corpus this machine builds from the recipe", async () => {
    const record = await readRecord(dir);
    // The Python sources are Debian's: another package version is a different part (rebuildHazards names it).
    const samePython = pythonStdlibVersion() === record.environment.pythonStdlib;
    const diff = compareCorpus(record.corpus, recipeFor("small")).filter(
      (d) => samePython || !d.startsWith("python-stdlib:"),
    );
    expect(diff).toEqual([]);
  });

  it("is what ensureBaseModel returns at small, a model of several million parameters that learnt", async () => {
    expect(await ensureBaseModel({ scale: "small" })).toBe(dir);
    const report = await readPretrainReport(dir);
    const model = await loadModel(dir);
    try {
      expect(model.parameterCount()).toBe(report.parameters);
      expect(report.parameters).toBeGreaterThan(3_000_000);
    } finally {
      model.dispose();
    }
    for (const p of report.parts) expect(p.lossAfter, p.name).toBeLessThan(p.lossBefore - 1);
  });

  it("names a changed byte instead of loading it", async () => {
    const copy = mkdtempSync(join(tmpdir(), "shipped-"));
    temps.push(copy);
    cpSync(dir, copy, { recursive: true });
    const file = join(copy, "model.safetensors");
    const bytes = readFileSync(file);
    bytes[bytes.length - 1] ^= 1;
    writeFileSync(file, bytes);
    await expect(verifyShipped(copy)).rejects.toThrow(/model\.safetensors: sha256 .* recorded/);
  });

  it("names every way a rebuild here would differ from the record", async () => {
    const record = await readRecord(dir);
    const recipe = recipeFor("small");
    expect(rebuildHazards(record, recipe, { ...record.environment, pythonStdlib: pythonStdlibVersion() })).toEqual(
      pythonStdlibVersion() === record.environment.pythonStdlib ? [] : expect.any(Array),
    );
    const other = rebuildHazards(
      record,
      { ...recipe, train: { ...recipe.train, steps: 7 } },
      {
        ...record.environment,
        threads: 1,
        detail: "OpenBLAS 0.3.99 with Haswell kernels",
      },
    );
    expect(other.join("\n")).toMatch(/^recipe: the record was built as small-s0-/m);
    expect(other.join("\n")).toMatch(/^environment threads: recorded 2, here 1$/m);
    expect(other.join("\n")).toMatch(/^environment detail: recorded .*, here "OpenBLAS 0.3.99 with Haswell kernels"$/m);
  });
});
