// The rebuild machinery end to end at smoke: `peft-nb pretrain` and buildBaseModel repeat each
// other's bytes and the record names them; the record's environment is the active backend's.
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, describe, expect, it } from "vitest";
import { runCli } from "../../cli/main.js";
import { useBackend } from "../../lib/backend/index.js";
import {
  buildBaseModel,
  compareWithRecord,
  currentEnvironment,
  hashModelFiles,
  recipeFor,
} from "../../lib/pretrain/index.js";

const root = mkdtempSync(join(tmpdir(), "rebuild-"));
afterAll(() => rmSync(root, { recursive: true, force: true }));

describe("peft-nb pretrain (smoke)", () => {
  it("builds the same bytes as buildBaseModel, and records them with the environment", async () => {
    const recipe = recipeFor("smoke");
    const backend = await useBackend();
    const env = currentEnvironment(backend, recipe);
    const a = await buildBaseModel({ recipe, seed: 0, out: join(root, "a"), environment: env });
    expect(a.record.environment).toEqual(env);
    expect(a.record.environment.backend).toBe(backend.name);
    expect(a.record.corpus.map((p) => p.name)).toEqual(a.report.parts.map((p) => p.name));

    const out: string[] = [];
    const err: string[] = [];
    const code = await runCli(["pretrain", "--scale", "smoke", "--out", join(root, "b")], {
      out: (t) => out.push(t),
      err: (t) => err.push(t),
    });
    expect(err).toEqual([]);
    expect(code).toBe(0);
    const b = hashModelFiles(join(root, "b"));
    expect(compareWithRecord({ ...a.record, files: b }, a.record)).toEqual([]);
    for (const [name, h] of Object.entries(a.record.files)) expect(out.join("\n")).toContain(`${name}  ${h.sha256}`);
    // A different seed is a different model: the comparison names the weights.
    const c = await buildBaseModel({ recipe, seed: 1, out: join(root, "c"), environment: env });
    expect(compareWithRecord(c.record, a.record).join("\n")).toMatch(/^model\.safetensors: sha256/m);
  });

  it("refuses a scale it has no recipe for and --ship outside small", async () => {
    const err: string[] = [];
    const io = { out: () => {}, err: (t: string) => err.push(t) };
    expect(await runCli(["pretrain", "--scale", "huge"], io)).toBe(2);
    expect(err.join("\n")).toMatch(/--scale: expected small or smoke, found huge/);
    expect(await runCli(["pretrain", "--scale", "smoke", "--ship"], io)).toBe(2);
    expect(err.join("\n")).toMatch(/--ship: only the small base model at seed 0 is shipped/);
  });
});
