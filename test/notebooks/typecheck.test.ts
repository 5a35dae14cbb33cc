// Every code cell of every committed notebook type-checks with the kernel's own checker: tslab's
// language service with its cross-cell declarations, cells in order, `import ... from
// "peft-notebook"` resolved to this package's built types (dist/lib/index.d.ts). A renamed or
// removed export, a changed signature or a typo in a notebook fails here, not halfway through a
// reproduction run.
import { readdirSync } from "node:fs";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { ensureBuilt, ROOT } from "../helpers/ensure-built.js";
import { readNotebook } from "../../kernel/notebook/notebook-file.js";
import { joinSource } from "../../kernel/notebook/nbformat.js";

type CheckerModule = typeof import("../../kernel/executor/checker.js");
let checker: InstanceType<CheckerModule["Checker"]>;

beforeAll(async () => {
  await ensureBuilt(); // the worker and the package types come from dist/
  const { Checker } = (await import(join(ROOT, "dist", "kernel", "executor", "checker.js"))) as CheckerModule;
  checker = new Checker();
});
afterAll(() => checker?.close());

const notebooks = ["notebooks", "reproductions"].flatMap((dir) =>
  readdirSync(join(ROOT, dir))
    .filter((f) => f.endsWith(".ipynb"))
    .map((f) => join(dir, f)),
);

describe("notebook cells type-check", () => {
  it("finds every notebook", () => {
    expect(notebooks.length).toBe(8);
  });

  it.each(notebooks)("%s", async (file) => {
    await checker.reset();
    const problems: string[] = [];
    const cells = readNotebook(join(ROOT, file)).cells;
    for (const [i, cell] of cells.entries()) {
      if (cell.cell_type !== "code") continue;
      const diags = await checker.check(joinSource(cell.source), true);
      for (const d of diags)
        if (d.category === "error") problems.push(`cell ${i + 1} line ${d.line}:${d.column}: TS${d.code} ${d.message}`);
    }
    expect(problems, `${file}:\n${problems.join("\n")}`).toEqual([]);
  });
});
