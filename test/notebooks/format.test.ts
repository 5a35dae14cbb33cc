// Every tutorial and reproduction notebook is valid nbformat 4 by Jupyter's own validator
// (Debian's python3-nbformat), is committed without outputs, carries the peft-nb kernelspec, and
// the reproductions have the parameters cell the pipeline injects into, with every parameter the
// pipeline documents. (typecheck.test.ts type-checks their cells.)
import { spawnSync } from "node:child_process";
import { readdirSync } from "node:fs";
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import { PYTHON } from "../helpers/python.js";
import { readNotebook } from "../../kernel/notebook/notebook-file.js";
import { cellTags, joinSource } from "../../kernel/notebook/nbformat.js";

const ROOT = join(import.meta.dirname, "..", "..");
const files = (dir: string) =>
  readdirSync(join(ROOT, dir))
    .filter((f) => f.endsWith(".ipynb"))
    .map((f) => join(ROOT, dir, f));
const ALL = [...files("notebooks"), ...files("reproductions")];

describe("notebook files", () => {
  it("pass nbformat.validate", () => {
    const r = spawnSync(
      PYTHON,
      [
        "-c",
        "import sys, nbformat\nfor p in sys.argv[1:]:\n    nbformat.validate(nbformat.read(p, 4))\nprint(len(sys.argv) - 1)",
        ...ALL,
      ],
      { encoding: "utf8" },
    );
    expect(r.status, r.stderr).toBe(0);
    expect(Number(r.stdout.trim())).toBe(ALL.length);
    expect(ALL.length).toBe(9);
  });

  it("are committed clean: no outputs, no execution counts (the pipeline writes executed copies to out/)", () => {
    const dirty: string[] = [];
    for (const f of ALL)
      readNotebook(f).cells.forEach((c, i) => {
        if (c.cell_type === "code" && (c.outputs.length > 0 || c.execution_count !== null))
          dirty.push(`${f} cell ${i + 1}`);
      });
    // Jupyter: Edit → Clear Outputs of All Cells, then save.
    expect(dirty, "clear the outputs of these notebooks before committing").toEqual([]);
  });

  it("reproductions open with the paper's claim and declare every pipeline parameter", () => {
    for (const f of files("reproductions")) {
      const nb = readNotebook(f);
      expect(nb.metadata.kernelspec, f).toEqual({
        name: "peft-nb",
        display_name: "TypeScript (PEFT)",
        language: "typescript",
      });
      expect(nb.cells[0]!.cell_type, f).toBe("markdown");
      expect(joinSource(nb.cells[0]!.source), f).toMatch(/What the paper reports[\s\S]*What is rerun here/);
      const params = nb.cells.filter((c) => cellTags(c).includes("parameters"));
      expect(params.length, f).toBe(1);
      for (const name of ["scale", "seed", "seeds", "dataDir", "modelPath", "outputDir", "backend"]) {
        expect(joinSource(params[0]!.source), `${f}: ${name}`).toMatch(new RegExp(`^let ${name}\\b`, "m"));
      }
    }
  });
});
