// Plotly accepts our figures for real: each builder's figure is drawn by plotly.js in headless
// Chromium (one launch for all), and the SVG must hold the expected traces. No network is used.
import { mkdtempSync, rmSync } from "node:fs";
import { createRequire } from "node:module";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { chromium, type BrowserContext, type Page } from "playwright-core";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import {
  curvesFigure,
  dashboardFigure,
  gateLines,
  gradNormBranchLines,
  gradNormHeatmap,
  meanStdFigure,
  type PlotlyFigure,
} from "../../lib/plots/index.js";
import { plotlyBundle, plotlyFallbackHtml, PLOTLY_MIME } from "../../lib/display/index.js";
import { curves, gates, gradNorms } from "./fixtures.js";

const CHROMIUM = process.env.CHROMIUM_PATH ?? "/usr/bin/chromium";
const PLOTLY_JS = createRequire(import.meta.url).resolve("plotly.js-dist-min");

let context: BrowserContext;
let page: Page;
let userDataDir: string;
const requests: string[] = [];
const pageErrors: string[] = [];

beforeAll(async () => {
  userDataDir = mkdtempSync(join(tmpdir(), "plots-chromium-"));
  context = await chromium.launchPersistentContext(userDataDir, {
    executablePath: CHROMIUM,
    headless: true,
    args: [
      "--headless",
      "--no-sandbox",
      "--disable-gpu",
      "--disable-quic",
      "--no-first-run",
      "--disable-background-networking",
      "--disable-component-update",
      "--disable-sync",
    ],
  });
  context.on("request", (r) => requests.push(r.url()));
  await context.route(/^https?:/, (route) => route.abort());
  page = context.pages()[0] ?? (await context.newPage());
  page.on("pageerror", (e) => pageErrors.push(e.message));
  await page.setContent("<!doctype html><html><body></body></html>");
  await page.addScriptTag({ path: PLOTLY_JS });
});

afterAll(async () => {
  await context?.close();
  if (userDataDir) rmSync(userDataDir, { recursive: true, force: true });
});

interface Drawn {
  svgs: number;
  scatter: number;
  heatmap: number;
  fullData: number;
}

async function draw(fig: PlotlyFigure): Promise<Drawn> {
  // The figure travels the way the kernel sends it: as the plotly MIME payload.
  const payload = plotlyBundle(fig).data[PLOTLY_MIME];
  return page.evaluate(async (f) => {
    const div = document.createElement("div");
    div.style.width = "700px";
    div.style.height = "500px";
    document.body.appendChild(div);
    const P = (globalThis as unknown as { Plotly: { newPlot: (...a: unknown[]) => Promise<unknown> } }).Plotly;
    await P.newPlot(div, (f as { data: unknown }).data, (f as { layout: unknown }).layout, { staticPlot: true });
    return {
      svgs: div.querySelectorAll("svg.main-svg").length,
      scatter: div.querySelectorAll("g.scatterlayer g.trace").length,
      heatmap: div.querySelectorAll("g.heatmaplayer g.hm, g.imagelayer g.hm").length,
      fullData: ((div as unknown as { _fullData?: unknown[] })._fullData ?? []).length,
    };
  }, payload);
}

describe("plotly.js renders every figure builder's output", () => {
  const norms = gradNorms();
  const runs = curves();
  const cases: [string, () => PlotlyFigure][] = [
    ["gradNormHeatmap", () => gradNormHeatmap(norms, { log: true })],
    ["gradNormBranchLines", () => gradNormBranchLines(norms)],
    ["gateLines", () => gateLines(gates())],
    ["curvesFigure", () => curvesFigure(runs)],
    ["meanStdFigure", () => meanStdFigure(runs)],
    [
      "dashboardFigure",
      () =>
        dashboardFigure(
          [
            { step: 0, loss: 2 },
            { step: 10, loss: 1 },
          ],
          norms,
        ),
    ],
  ];
  for (const [name, build] of cases) {
    it(name, async () => {
      const fig = build();
      const drawn = await draw(fig);
      const scatter = fig.data.filter((t) => t.type === "scatter").length;
      const heatmap = fig.data.filter((t) => t.type === "heatmap").length;
      expect(drawn.svgs).toBeGreaterThan(0);
      expect(drawn.fullData).toBe(fig.data.length);
      expect(drawn.scatter).toBe(scatter);
      expect(drawn.heatmap).toBe(heatmap);
      expect(pageErrors).toEqual([]);
    });
  }

  it("the static text/html fallback is a well-formed SVG that stays inside its box", async () => {
    for (const [name, build] of cases) {
      const fig = build();
      const r = await page.evaluate((markup) => {
        const div = document.createElement("div");
        div.innerHTML = markup;
        document.body.appendChild(div);
        const svg = div.querySelector("svg");
        if (!svg) return null;
        const box = svg.getBoundingClientRect();
        const drawn = [...svg.querySelectorAll("g.traces > *")].map((e) => e.getBoundingClientRect());
        return {
          paths: svg.querySelectorAll("g.traces path").length,
          rects: svg.querySelectorAll("g.traces rect").length,
          inside: drawn.every(
            (b) =>
              b.left >= box.left - 1 && b.right <= box.right + 1 && b.top >= box.top - 1 && b.bottom <= box.bottom + 1,
          ),
        };
      }, plotlyFallbackHtml(fig));
      expect(r, name).not.toBeNull();
      expect(r!.paths, name).toBe(fig.data.filter((t) => t.type === "scatter").length);
      expect(r!.rects > 0, name).toBe(fig.data.some((t) => t.type === "heatmap"));
      expect(r!.inside, name).toBe(true);
    }
    if (process.env.PLOTS_SCREENSHOT) await page.screenshot({ path: process.env.PLOTS_SCREENSHOT, fullPage: true });
    expect(pageErrors).toEqual([]);
  });

  it("made no network request", () => {
    expect(requests.filter((u) => /^(https?|wss?):/.test(u))).toEqual([]);
  });
});
