// Headless execution through this project's own kernel (kernel.json's argv), rich display included.
import { join } from "node:path";
import { beforeAll, describe, expect, it } from "vitest";
import { defaultKernelArgv } from "../../kernel/client/kernel-argv.js";
import { readNotebook } from "../../kernel/notebook/notebook-file.js";
import { cellTags, joinSource, type CodeCell, type Notebook, type Output } from "../../kernel/notebook/nbformat.js";
import { executeNotebook } from "../../kernel/runner/execute-notebook.js";
import { buildNotebookReport } from "../../kernel/report/html-report.js";
import { ensureBuilt } from "./peft-kernel.js";

const FIXTURE = join(import.meta.dirname, "..", "fixtures", "notebooks", "smoke.ipynb");

function notebook(...sources: string[]): Notebook {
  return {
    nbformat: 4,
    nbformat_minor: 5,
    metadata: {},
    cells: sources.map((source, i) => ({
      cell_type: "code",
      id: `c${i + 1}`,
      source,
      metadata: {},
      outputs: [],
      execution_count: null,
    })),
  };
}

const outputsOf = (nb: Notebook, i: number): Output[] => (nb.cells[i] as CodeCell).outputs;

describe("executeNotebook through the peft-nb kernel", () => {
  beforeAll(() => ensureBuilt(), 300_000);

  it("runs the fixture with parameters: streams, result, counts", async () => {
    const r = await executeNotebook(readNotebook(FIXTURE), {
      argv: defaultKernelArgv(),
      parameters: { greeting: "hey", repeats: 3 },
      cellTimeoutMs: 60_000,
    });
    expect(r.failure).toBeUndefined();
    const code = r.notebook.cells.filter((c): c is CodeCell => c.cell_type === "code");
    const injected = code.find((c) => cellTags(c).includes("injected-parameters"))!;
    expect(injected.outputs).toEqual([]);
    const by = (s: string) => code.find((c) => joinSource(c.source).includes(s))!.outputs;
    expect(by("console.log(`${greeting}")).toEqual([
      { output_type: "stream", name: "stdout", text: "hey 0\nhey 1\nhey 2\n" },
    ]);
    expect(by("console.error")).toEqual([{ output_type: "stream", name: "stderr", text: "to stderr\n" }]);
    const result = by("const total");
    expect(result).toHaveLength(1);
    expect(result[0]!.output_type === "execute_result" && result[0]!.data["text/plain"]).toBe("18");
    expect(code.map((c) => c.execution_count)).toEqual(code.map((_, i) => i + 1));
  });

  it("collects rich displays, in-place updates and clear_output(wait) into nbformat", async () => {
    const fig = { data: [{ type: "scatter", x: [1, 2], y: [3, 4] }], layout: { title: { text: "loss" } } };
    const r = await executeNotebook(
      notebook(
        `display.html("<b>bold</b>");\nconst plot = display.plotly(${JSON.stringify(fig)});`,
        'const h = display.html("0%", { id: "progress" });',
        'h.update("100%");\nconsole.log("updated");',
        'console.log("frame 1");\nclearOutput({ wait: true });\nconsole.log("frame 2");',
        'display.json({ a: [1, 2] });\nthrow new TypeError("bad input: expected 3, found 4");',
        'console.log("never")',
      ),
      { argv: defaultKernelArgv(), cellTimeoutMs: 60_000 },
    );
    const nb = r.notebook;
    const first = outputsOf(nb, 0);
    expect(first.map((o) => o.output_type)).toEqual(["display_data", "display_data"]);
    expect(first[0]!.output_type === "display_data" && first[0]!.data["text/html"]).toBe("<b>bold</b>");
    expect(first[1]!.output_type === "display_data" && first[1]!.data["application/vnd.plotly.v1+json"]).toEqual(fig);
    const progress = outputsOf(nb, 1);
    expect(progress).toHaveLength(1);
    expect(progress[0]!.output_type === "display_data" && progress[0]!.data["text/html"]).toBe("100%");
    expect(outputsOf(nb, 2)).toEqual([{ output_type: "stream", name: "stdout", text: "updated\n" }]);
    expect(outputsOf(nb, 3)).toEqual([{ output_type: "stream", name: "stdout", text: "frame 2\n" }]);
    const failing = outputsOf(nb, 4);
    expect(failing[0]!.output_type === "display_data" && failing[0]!.data["application/json"]).toEqual({ a: [1, 2] });
    const err = failing.find((o) => o.output_type === "error");
    expect(err?.output_type === "error" && err.ename).toBe("TypeError");
    expect(r.failure?.message).toBe("cell 5 (id c5) failed: TypeError: bad input: expected 3, found 4");
    expect(outputsOf(nb, 5)).toEqual([]);

    const html = buildNotebookReport(nb, "rich");
    expect(html.includes('data-plotly-for="plotly-figure-1"')).toBe(true);
    expect(html.includes('<div class="output-html">100%</div>')).toBe(true);
    expect(html.includes('<div class="output-html">0%</div>')).toBe(false);
    expect(html.includes("Execution stopped: cell 5 (id c5) failed: TypeError")).toBe(true);
  });

  it("relays the numbers of a progress bar with a kind (runs done / total) as the cell draws it", async () => {
    const seen: Array<{ kind: string; current: number; total: number }> = [];
    const r = await executeNotebook(
      notebook(
        `import { progressBar } from "peft-notebook";
const runs = progressBar({ total: 3, label: "runs", kind: "runs", minIntervalMs: 0 });
const steps = progressBar({ total: 2, label: "steps", minIntervalMs: 0 });
for (let i = 1; i <= 3; i++) { steps.update(i); runs.update(i); }
runs.close(); steps.close();`,
      ),
      {
        argv: defaultKernelArgv(),
        cellTimeoutMs: 60_000,
        onProgress: (p) => seen.push({ kind: p.kind, current: p.current, total: p.total }),
      },
    );
    expect(r.failure).toBeUndefined();
    // The bar without a kind publishes no numbers; the runs bar every redraw, from 0 to 3.
    expect(seen).toEqual([0, 1, 2, 3].map((current) => ({ kind: "runs", current, total: 3 })));
  });

  it("keeps output a timer prints after its cell ended in that cell", async () => {
    const r = await executeNotebook(
      notebook(
        'setTimeout(() => console.log("late"), 300);\nconsole.log("early");',
        'await new Promise((r) => setTimeout(r, 1500));\nconsole.log("second");',
      ),
      { argv: defaultKernelArgv(), cellTimeoutMs: 60_000 },
    );
    expect(r.failure).toBeUndefined();
    expect(outputsOf(r.notebook, 0)).toEqual([{ output_type: "stream", name: "stdout", text: "early\nlate\n" }]);
    expect(outputsOf(r.notebook, 1)).toEqual([{ output_type: "stream", name: "stdout", text: "second\n" }]);
  });

  it("interrupts a spinning cell at its timeout", async () => {
    // The limit leaves the first cell time for the runtime's and the type checker's cold start (3 s alone,
    // 10-15 s under the full suite on 2 cores); the spin cell then runs into it.
    const r = await executeNotebook(notebook("let n = 0;", "while (true) { n++; }", "n"), {
      argv: defaultKernelArgv(),
      cellTimeoutMs: 30_000,
    });
    expect(r.failure?.kind).toBe("timeout");
    expect(r.failure?.cellIndex).toBe(1);
    expect(outputsOf(r.notebook, 2)).toEqual([]);
  });
});
