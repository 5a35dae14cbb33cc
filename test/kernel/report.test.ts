// HTML export: each MIME type rendered, text cleaned as a terminal shows it, plotly.js once.
import { readFileSync } from "node:fs";
import { describe, expect, it } from "vitest";
import { buildHtmlReport, buildNotebookReport, notebookTitle } from "../../kernel/report/html-report.js";
import { plotlyBundlePath } from "../../kernel/report/plotly-bundle.js";
import { applyCarriageReturns, scriptSafeJson, stripAnsi } from "../../kernel/report/text.js";
import type { Cell, Notebook, Output } from "../../kernel/notebook/nbformat.js";

function nbWith(outputs: Output[], extra: Cell[] = []): Notebook {
  return {
    nbformat: 4,
    nbformat_minor: 5,
    metadata: {},
    cells: [...extra, { cell_type: "code", id: "c1", source: "show()", metadata: {}, execution_count: 4, outputs }],
  };
}

const PLOTLY_HEAD = readFileSync(plotlyBundlePath(), "utf8").slice(0, 120);
const count = (hay: string, needle: string) => hay.split(needle).length - 1;
const figure = (title: string) => ({
  data: [{ type: "scatter", x: [1, 2, 3], y: [2, 1, 3] }],
  layout: { title: { text: title } },
});

describe("rendering outputs", () => {
  it("renders markdown cells and text/markdown outputs through marked", () => {
    const html = buildNotebookReport(
      nbWith(
        [{ output_type: "display_data", data: { "text/markdown": "| a | b |\n|---|---|\n| 1 | 2 |" }, metadata: {} }],
        [{ cell_type: "markdown", source: ["# Title\n", "Some *emphasis* and `code`."], metadata: {} }],
      ),
      "t",
    );
    expect(html).toContain("<h1>Title</h1>");
    expect(html).toContain("<em>emphasis</em>");
    expect(html).toContain("<code>code</code>");
    expect(html).toMatch(/<table>[\s\S]*<td>1<\/td>[\s\S]*<\/table>/);
  });

  it("shows code with its prompt, escaped", () => {
    const nb = nbWith([]);
    (nb.cells[0] as { source: string }).source = "if (a < b && c > d) {}";
    const html = buildNotebookReport(nb, "t");
    expect(html).toContain("In [4]:");
    expect(html).toContain("if (a &lt; b &amp;&amp; c &gt; d) {}");
    expect(buildNotebookReport(nb, "t", { showCode: false })).not.toContain("if (a &lt; b");
  });

  it("strips ANSI, applies carriage returns and escapes text/plain and streams", () => {
    const html = buildNotebookReport(
      nbWith([
        { output_type: "stream", name: "stdout", text: "step 10%\rstep 50%\rstep 100%\ndone <ok>\n" },
        {
          output_type: "execute_result",
          execution_count: 4,
          data: { "text/plain": "\u001b[31mred\u001b[0m & <tag>" },
          metadata: {},
        },
      ]),
      "t",
    );
    expect(html).toContain("step 100%\ndone &lt;ok&gt;");
    expect(html).not.toContain("step 50%");
    expect(html).toContain("red &amp; &lt;tag&gt;");
    expect(html).not.toContain("\u001b");
  });

  it("embeds HTML, SVG, PNG and JSON, each by its own rule", () => {
    const png = "iVBORw0KGgoAAAANSUhEUgAAAAEAAAABCAYAAAAfFcSJAAAADUlEQVR42mP8z8BQDwAEhQGAhKmMIQAAAABJRU5ErkJggg==";
    const html = buildNotebookReport(
      nbWith([
        {
          output_type: "display_data",
          data: { "text/html": "<b class='x'>bold</b>", "text/plain": "plain fallback" },
          metadata: {},
        },
        {
          output_type: "display_data",
          data: {
            "image/svg+xml":
              '<svg xmlns="http://www.w3.org/2000/svg" width="4" height="4"><rect width="4" height="4"/></svg>',
          },
          metadata: {},
        },
        { output_type: "display_data", data: { "image/png": `${png.slice(0, 40)}\n${png.slice(40)}` }, metadata: {} },
        { output_type: "display_data", data: { "application/json": { loss: [1.5, 0.5], tag: "<a>" } }, metadata: {} },
      ]),
      "t",
    );
    expect(html).toContain("<b class='x'>bold</b>");
    expect(html).not.toContain("plain fallback");
    expect(html).toContain('<rect width="4" height="4"/>');
    expect(html).toContain(`src="data:image/png;base64,${png}"`);
    expect(html).toMatch(/&quot;loss&quot;: \[\s*1\.5,\s*0\.5\s*\]/);
    expect(html).toContain("&quot;tag&quot;: &quot;&lt;a&gt;&quot;");
  });

  it("renders an error traceback without ANSI codes", () => {
    const html = buildNotebookReport(
      nbWith([
        {
          output_type: "error",
          ename: "TypeError",
          evalue: "x is undefined",
          traceback: ["\u001b[0;31mTypeError\u001b[0m: x is undefined", "    at cell 1:3"],
        },
      ]),
      "t",
    );
    expect(html).toMatch(/<pre class="output-error">TypeError: x is undefined\n {4}at cell 1:3<\/pre>/);
  });

  it("marks the failed cell and says where the run stopped", () => {
    const nb = nbWith([{ output_type: "error", ename: "E", evalue: "v", traceback: [] }]);
    nb.metadata.peft_nb = { status: "failed", failure: { cellIndex: 0, message: "cell 1 (id c1) failed: E: v" } };
    const html = buildNotebookReport(nb, "t");
    expect(html).toContain("Execution stopped: cell 1 (id c1) failed: E: v");
    expect(html).toContain('class="cell code-cell failed"');
    expect(html).toContain('<pre class="output-error">E: v</pre>');
  });
});

describe("a report that leads with results", () => {
  it("puts every result and its verdict above the notebooks, which fold below", () => {
    const nb = nbWith([{ output_type: "stream", name: "stdout", text: "cell output\n" }]);
    const html = buildHtmlReport([{ title: "Resources", notebook: nb }], {
      title: "Reproduction",
      results: [
        {
          title: "Resources",
          items: [
            { output: { "text/html": "<table><tr><td>hybrid 0.9</td></tr></table>" } },
            { verdict: "**Verdict.** the time claim does *not* hold" },
            { output: { "application/vnd.plotly.v1+json": figure("ratios") } },
          ],
        },
        { title: "Main table", failure: "The notebook failed: cell 4", items: [] },
      ],
    });
    const at = (needle: string) => {
      const i = html.indexOf(needle);
      expect(i, needle).toBeGreaterThan(-1);
      return i;
    };
    // Results (table, verdict, figure) come before the folded notebook and its code.
    expect(at("hybrid 0.9")).toBeLessThan(
      at('<div class="verdict"><p><strong>Verdict.</strong> the time claim does <em>not</em> hold'),
    );
    expect(at('<div class="verdict">')).toBeLessThan(at('id="plotly-figure-1"'));
    expect(at('id="plotly-figure-1"')).toBeLessThan(at('<details class="notebook-fold">'));
    expect(at('<details class="notebook-fold">')).toBeLessThan(at("cell output"));
    expect(html).toContain("<summary>Resources: the notebook (code and outputs)</summary>");
    expect(html).toContain('<div class="run-failure" role="alert">The notebook failed: cell 4</div>');
    expect(html).toContain('<a href="#results-resources">Resources</a>');
    expect(count(html, PLOTLY_HEAD)).toBe(1);
    expect(at("<h1>Reproduction</h1>")).toBeLessThan(at('<section class="results">'));
  });

  it("leaves notebooks unfolded when there are no results, as before", () => {
    const html = buildHtmlReport([{ title: "A", notebook: nbWith([]) }]);
    expect(html).not.toContain("<details");
    expect(html).not.toContain('class="results"');
  });
});

describe("plotly and several notebooks on one page", () => {
  it("inlines plotly.js exactly once for any number of figures, and prefers the figure over its HTML fallback", () => {
    const a = nbWith([
      {
        output_type: "display_data",
        data: { "application/vnd.plotly.v1+json": figure("first"), "text/html": "<div>fallback needing a CDN</div>" },
        metadata: {},
      },
    ]);
    const b = nbWith([
      { output_type: "display_data", data: { "application/vnd.plotly.v1+json": figure("second") }, metadata: {} },
    ]);
    const html = buildHtmlReport(
      [
        { title: "A", notebook: a },
        { title: "B", notebook: b },
      ],
      { title: "All" },
    );
    expect(count(html, PLOTLY_HEAD)).toBe(1);
    expect(count(html, 'class="plotly-output"')).toBe(2);
    expect(html).not.toContain("fallback needing a CDN");
    expect(html).not.toMatch(/<script[^>]+src=/);
    expect(html).not.toMatch(/<link[^>]+href=/);
    expect(html).toContain('<a href="#a">A</a>');
    expect(html).toContain('<section class="notebook" id="b">');
  });

  it("leaves plotly.js out of a page without figures", () => {
    const html = buildNotebookReport(nbWith([{ output_type: "stream", name: "stdout", text: "x\n" }]), "t");
    expect(count(html, PLOTLY_HEAD)).toBe(0);
    expect(html.length).toBeLessThan(20_000);
  });

  it("keeps figure JSON intact even when it contains </script>", () => {
    const nasty = figure("</script><script>alert(1)</script>");
    const html = buildNotebookReport(
      nbWith([{ output_type: "display_data", data: { "application/vnd.plotly.v1+json": nasty }, metadata: {} }]),
      "t",
    );
    const m = /<script type="application\/json" data-plotly-for="plotly-figure-1">([\s\S]*?)<\/script>/.exec(html);
    expect(m).not.toBeNull();
    expect(JSON.parse(m![1]!)).toEqual(nasty);
  });

  it("gives distinct anchors to notebooks with the same title and refuses an empty list", () => {
    const n = nbWith([]);
    const html = buildHtmlReport([
      { title: "Run", notebook: n },
      { title: "Run", notebook: n },
    ]);
    expect(html).toContain('id="run"');
    expect(html).toContain('id="run-2"');
    expect(() => buildHtmlReport([])).toThrow(/no notebooks/);
  });
});

describe("text helpers", () => {
  it("behave like a terminal", () => {
    expect(applyCarriageReturns("a\rb\r\nc")).toBe("b\nc");
    expect(applyCarriageReturns("keep\r")).toBe("keep");
    expect(stripAnsi("\u001b[1;32mok\u001b[0m")).toBe("ok");
    expect(JSON.parse(scriptSafeJson({ s: "</script>\u2028" }))).toEqual({ s: "</script>\u2028" });
    expect(scriptSafeJson("</script>")).not.toContain("<");
  });

  it("titles a notebook by its first heading", () => {
    expect(
      notebookTitle(
        nbWith([], [{ cell_type: "markdown", source: "intro\n\n## Real title ##\n", metadata: {} }]),
        "file",
      ),
    ).toBe("Real title");
    expect(notebookTitle(nbWith([]), "file")).toBe("file");
  });
});
