// Every code cell of every committed notebook type-checks with the kernel's own checker: tslab's
// language service with its cross-cell declarations, cells in order, `import ... from
// "peft-notebook"` resolved to this package's built types (dist/lib/index.d.ts). A renamed or
// removed export, a changed signature or a typo in a notebook fails here, not halfway through a
// reproduction run. The notebooks are the source (docs/pipeline.md): edited as notebooks, checked here.
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

/** Error diagnostics of cells checked in order from a fresh state, as "cell N line L: TSxxxx message". */
async function errors(cells: readonly string[]): Promise<string[]> {
  await checker.reset();
  const problems: string[] = [];
  for (const [i, code] of cells.entries()) {
    // keepOnError: a cell with an error still declares its names, as when it ran in the kernel,
    // so one mistake is reported once and not again in every later cell.
    for (const d of await checker.check(code, true))
      if (d.category === "error") problems.push(`cell ${i + 1} line ${d.line}: TS${d.code} ${d.message}`);
  }
  return problems;
}

describe("the check itself", () => {
  it("reads peft-notebook's own types and reports what a notebook gets wrong", async () => {
    const problems = await errors([
      'import { attach, ADAPTER_METHODS } from "peft-notebook";',
      "const names: string[] = ADAPTER_METHODS.map((m) => m.name);",
      "const n: number = attach; // an Attachment factory is not a number",
      'import { noSuchExport } from "peft-notebook";',
      "console.log(names.length, missingName);",
    ]);
    expect(problems).toHaveLength(3);
    expect(problems[0]).toMatch(/^cell 3 line 1: TS2322 .*is not assignable to type 'number'/);
    expect(problems[1]).toMatch(/^cell 4 line 1: TS2305 .*has no exported member 'noSuchExport'/);
    expect(problems[2]).toMatch(/^cell 5 line 1: TS2304 Cannot find name 'missingName'/);
  });
});

describe("notebook cells type-check", () => {
  it("finds every notebook", () => {
    expect(notebooks.length).toBe(9);
  });

  it.each(notebooks)("%s", async (file) => {
    const cells = readNotebook(join(ROOT, file)).cells.filter((c) => c.cell_type === "code");
    const problems = await errors(cells.map((c) => joinSource(c.source)));
    expect(problems, `${file} (cells counted among code cells):\n${problems.join("\n")}`).toEqual([]);
  });
});
