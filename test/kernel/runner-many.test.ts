// Several notebooks in one run: a failure stops only its notebook, one report gathers all.
import { mkdtempSync, readFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import { tslabKernelArgv } from "../../kernel/client/kernel-argv.js";
import { readNotebook, writeNotebook } from "../../kernel/notebook/notebook-file.js";
import type { CodeCell, Notebook } from "../../kernel/notebook/nbformat.js";
import { runNotebooks } from "../../kernel/runner/run-notebooks.js";

function notebook(title: string, ...sources: string[]): Notebook {
  return {
    nbformat: 4,
    nbformat_minor: 5,
    metadata: {},
    cells: [
      { cell_type: "markdown", source: `# ${title}`, metadata: {} },
      {
        cell_type: "code",
        source: 'let scale = "small";',
        metadata: { tags: ["parameters"] },
        outputs: [],
        execution_count: null,
      },
      ...sources.map(
        (source): CodeCell => ({ cell_type: "code", source, metadata: {}, outputs: [], execution_count: null }),
      ),
    ],
  };
}

describe("runNotebooks", () => {
  it("runs every notebook, stops only the failing one, and writes one report", async () => {
    const src = mkdtempSync(join(tmpdir(), "peft-nb-many-src-"));
    const out = join(mkdtempSync(join(tmpdir(), "peft-nb-many-out-")), "results");
    writeNotebook(
      join(src, "broken.ipynb"),
      notebook("Broken table", 'throw new Error("no data for " + scale)', 'console.log("unreachable")'),
    );
    writeNotebook(join(src, "fine.ipynb"), notebook("Fine figure", 'console.log("scale=" + scale)'));
    const seen: string[] = [];
    const results = await runNotebooks(
      [
        { path: join(src, "broken.ipynb") },
        { path: join(src, "missing.ipynb") },
        { path: join(src, "fine.ipynb"), parameters: { scale: "full" } },
      ],
      {
        outDir: out,
        argv: tslabKernelArgv(),
        parameters: { scale: "smoke" },
        htmlReport: "report.html",
        onNotebook: (r) => seen.push(r.title),
      },
    );
    expect(seen).toEqual(["Broken table", "missing", "Fine figure"]);
    const [broken, missing, fine] = results;
    expect(broken!.ok).toBe(false);
    expect(broken!.failure?.message).toMatch(/^cell 4 failed: .*no data for smoke/);
    expect(missing!.ok).toBe(false);
    expect(missing!.error).toMatch(/cannot read notebook .*missing\.ipynb/);
    expect(fine!.ok).toBe(true);
    const fineNb = readNotebook(join(out, "fine.ipynb"));
    const printed = (fineNb.cells.at(-1) as CodeCell).outputs;
    expect(printed).toEqual([{ output_type: "stream", name: "stdout", text: "scale=full\n" }]);
    const brokenNb = readNotebook(join(out, "broken.ipynb"));
    expect((brokenNb.cells.at(-1) as CodeCell).execution_count).toBeNull();
    const html = readFileSync(join(out, "report.html"), "utf8");
    expect(html).toMatch(
      /<li><a href="#broken-table">Broken table<\/a> \(failed\)<\/li><li><a href="#fine-figure">Fine figure<\/a><\/li>/,
    );
    expect(html).toContain("Not run:<ul><li>missing: cannot read notebook");
    expect(html).toContain("scale=full");
  });
});
