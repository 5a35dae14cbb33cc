// The exported page in a real browser: Debian's headless Chromium opens it from disk, plotly
// draws every figure, and no request leaves the machine.
import { mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { pathToFileURL } from "node:url";
import { chromium, type Page } from "playwright-core";
import { describe, expect, it } from "vitest";
import { buildHtmlReport } from "../../kernel/report/html-report.js";
import type { Notebook, Output } from "../../kernel/notebook/nbformat.js";
import { writeNotebook } from "../../kernel/notebook/notebook-file.js";
import { runCli } from "../../cli/main.js";
import { ensureBuilt } from "./peft-kernel.js";

const CHROMIUM = "/usr/bin/chromium";
const ARGS = [
  "--headless",
  "--no-sandbox",
  "--disable-gpu",
  "--disable-quic",
  "--no-first-run",
  "--disable-background-networking",
  "--disable-component-update",
  "--disable-sync",
];

function nb(outputs: Output[]): Notebook {
  return {
    nbformat: 4,
    nbformat_minor: 5,
    metadata: {},
    cells: [
      { cell_type: "markdown", source: "# Loss curves\n\nTraining *loss* per step.", metadata: {} },
      { cell_type: "code", source: "display.plotly(fig)", metadata: {}, execution_count: 1, outputs },
    ],
  };
}

const plot = (name: string): Output => ({
  output_type: "display_data",
  data: {
    "application/vnd.plotly.v1+json": {
      data: [{ type: "scatter", mode: "lines", name, x: [0, 1, 2, 3], y: [2.3, 1.7, 1.2, 1.0] }],
      layout: { title: { text: name }, width: 500, height: 300 },
    },
    "text/html": `<script src="https://cdn.plot.ly/plotly-3.0.0.min.js"></script>`,
    "text/plain": `Figure ${name}`,
  },
  metadata: {},
});

interface Visit {
  requests: string[];
  pageErrors: string[];
}

/** Opens `file` in a fresh headless Chromium profile, runs `check`, and records every request. */
async function visit(file: string, check: (page: Page) => Promise<void>): Promise<Visit> {
  const profile = mkdtempSync(join(tmpdir(), "peft-nb-chromium-"));
  const context = await chromium.launchPersistentContext(profile, {
    executablePath: CHROMIUM,
    args: ARGS,
    headless: true,
  });
  const visit: Visit = { requests: [], pageErrors: [] };
  try {
    await context.route("**/*", (route) => {
      const url = route.request().url();
      visit.requests.push(url);
      return LOCAL.test(url) ? route.continue() : route.abort();
    });
    const page = context.pages()[0] ?? (await context.newPage());
    page.on("request", (r) => visit.requests.push(r.url()));
    page.on("pageerror", (e) => visit.pageErrors.push(String(e)));
    await page.goto(pathToFileURL(file).href);
    await check(page);
  } finally {
    await context.close();
    rmSync(profile, { recursive: true, force: true });
  }
  return visit;
}

const LOCAL = /^(file|data|blob|about):/;

describe("HTML report in headless Chromium", () => {
  it("renders every plotly figure offline", async () => {
    const dir = mkdtempSync(join(tmpdir(), "peft-nb-report-"));
    const file = join(dir, "report.html");
    writeFileSync(
      file,
      buildHtmlReport(
        [
          { title: "LoRA", notebook: nb([plot("lora")]) },
          { title: "BOFT", notebook: nb([plot("boft"), { output_type: "stream", name: "stdout", text: "done\n" }]) },
        ],
        { title: "Runs" },
      ),
    );
    const v = await visit(file, async (page) => {
      await page.waitForFunction("document.querySelectorAll('.plotly-output svg.main-svg').length >= 2", undefined, {
        timeout: 30_000,
      });
      const figures = await page.$$eval(".plotly-output", (els) =>
        els.map((e) => ({
          svgs: e.querySelectorAll("svg.main-svg").length,
          traces: e.querySelectorAll(".scatterlayer .trace").length,
          title: e.querySelector(".gtitle")?.textContent ?? "",
        })),
      );
      expect(figures.map((f) => f.title)).toEqual(["lora", "boft"]);
      for (const f of figures) {
        expect(f.svgs).toBeGreaterThan(0);
        expect(f.traces).toBe(1);
      }
      expect(await page.textContent("h1")).toBe("Runs");
      expect(await page.$$eval(".markdown-cell em", (els) => els.map((e) => e.textContent))).toEqual(["loss", "loss"]);
    });
    rmSync(dir, { recursive: true, force: true });
    expect(v.pageErrors).toEqual([]);
    expect(v.requests.length).toBeGreaterThan(0);
    expect(v.requests.filter((u) => !LOCAL.test(u))).toEqual([]);
  });

  it("leads with the results, draws the figures of folded notebooks too, shown when unfolded", async () => {
    const dir = mkdtempSync(join(tmpdir(), "peft-nb-report-results-"));
    const file = join(dir, "report.html");
    const figure = (name: string) =>
      (plot(name) as { data: Record<string, unknown> }).data["application/vnd.plotly.v1+json"];
    writeFileSync(
      file,
      buildHtmlReport([{ title: "LoRA", notebook: nb([plot("lora in notebook")]) }], {
        title: "Reproduction",
        results: [
          {
            title: "LoRA",
            items: [
              { output: { "text/html": "<table><tr><td>lora</td><td>0.61</td></tr></table>" } },
              { verdict: "**Verdict.** holds" },
              { output: { "application/vnd.plotly.v1+json": figure("lora result") } },
            ],
          },
        ],
      }),
    );
    const v = await visit(file, async (page) => {
      await page.waitForFunction("document.querySelectorAll('.plotly-output svg.main-svg').length >= 2", undefined, {
        timeout: 30_000,
      });
      // The first figure on the page is the result's; the notebook's is folded away until opened.
      expect(await page.textContent(".results .plotly-output .gtitle")).toBe("lora result");
      expect(await page.isVisible(".results .verdict strong")).toBe(true);
      expect(await page.isVisible("details.notebook-fold .plotly-output")).toBe(false);
      await page.click("details.notebook-fold > summary");
      expect(await page.isVisible("details.notebook-fold .plotly-output .scatterlayer .trace")).toBe(true);
      expect(await page.textContent("details.notebook-fold .plotly-output .gtitle")).toBe("lora in notebook");
    });
    rmSync(dir, { recursive: true, force: true });
    expect(v.pageErrors).toEqual([]);
    expect(v.requests.filter((u) => !LOCAL.test(u))).toEqual([]);
  });

  it("renders the report `peft-nb run --html` writes for a notebook run through the peft-nb kernel", async () => {
    await ensureBuilt();
    const dir = mkdtempSync(join(tmpdir(), "peft-nb-report-run-"));
    const src = join(dir, "plot.ipynb");
    const fig = {
      data: [{ type: "bar", x: ["lora", "boft", "hybrid"], y: [0.61, 0.64, 0.66] }],
      layout: { title: { text: "accuracy" } },
    };
    writeNotebook(src, {
      nbformat: 4,
      nbformat_minor: 5,
      metadata: { kernelspec: { name: "peft-nb", display_name: "TypeScript (PEFT)", language: "typescript" } },
      cells: [
        { cell_type: "markdown", id: "m", source: "# Accuracy by method", metadata: {} },
        {
          cell_type: "code",
          id: "p",
          source: `const shown = display.plotly(${JSON.stringify(fig)});`,
          metadata: {},
          outputs: [],
          execution_count: null,
        },
      ],
    });
    const html = join(dir, "plot.html");
    const log: string[] = [];
    const code = await runCli(["run", src, "--html", html, "-q", "--timeout", "120"], {
      out: (l) => log.push(l),
      err: (l) => log.push(l),
    });
    expect(code, log.join("\n")).toBe(0);
    const v = await visit(html, async (page) => {
      await page.waitForSelector(".plotly-output svg.main-svg", { timeout: 30_000 });
      expect(await page.$$eval(".plotly-output .barlayer .point", (els) => els.length)).toBe(3);
      expect(await page.textContent(".plotly-output .gtitle")).toBe("accuracy");
    });
    rmSync(dir, { recursive: true, force: true });
    expect(v.pageErrors).toEqual([]);
    expect(v.requests.filter((u) => !LOCAL.test(u))).toEqual([]);
  });
});
