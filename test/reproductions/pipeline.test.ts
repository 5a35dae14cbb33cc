// The pipeline with a stand-in executor: order, parameters, failure isolation, stale outputs,
// the summary and the report it asks for.
import { existsSync, mkdirSync, mkdtempSync, readFileSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import { listReproductions, selectReproductions, parseScale } from "../../lib/reproduce/catalog.js";
import { runReproductions, type NotebookLike, type PipelineDeps } from "../../lib/reproduce/pipeline.js";
import { resultSections } from "../../lib/reproduce/report-results.js";
import { readManifest, reproductionOutput } from "../../lib/reproduce/outputs.js";
import { recordingSink, setDisplaySink } from "../../lib/display/sink.js";

interface FakeNb extends NotebookLike {
  name: string;
}

function folder(names: string[]): string {
  const dir = mkdtempSync(join(tmpdir(), "repro-nbs-"));
  for (const n of names) writeFileSync(join(dir, `${n}.ipynb`), JSON.stringify({ name: n, metadata: {}, cells: [] }));
  return dir;
}

function deps(
  behaviour: Record<string, "ok" | "fail" | "throw">,
  calls: Array<{ name: string; parameters: Record<string, unknown>; cwd: string }>,
): PipelineDeps<FakeNb> & { reports: string[][] } {
  const reports: string[][] = [];
  return {
    reports,
    readNotebook: (p) => JSON.parse(readFileSync(p, "utf8")) as FakeNb,
    writeNotebook: (p, nb) => writeFileSync(p, JSON.stringify(nb)),
    notebookTitle: (nb, fallback) => `Title of ${nb.name ?? fallback}`,
    buildReport: (entries, opts) => {
      reports.push(entries.map((e) => e.title));
      return `<html>${opts.title}${opts.preambleHtml}</html>`;
    },
    async execute(nb, o) {
      calls.push({ name: nb.name, parameters: o.parameters, cwd: o.cwd });
      const b = behaviour[nb.name] ?? "ok";
      if (b === "throw") throw new Error("kernel did not start");
      const prev = setDisplaySink(recordingSink());
      try {
        reproductionOutput(String(o.parameters.outputDir)).saveTable(`${nb.name}-t`, {
          columns: ["x"],
          rows: [[Number(o.parameters.seed)]],
        });
      } finally {
        setDisplaySink(prev);
      }
      return b === "ok"
        ? { notebook: { ...nb, metadata: { ran: true } }, ok: true }
        : { notebook: nb, ok: false, failure: { message: "cell 3 failed: Error: boom" } };
    },
  };
}

describe("reproduction catalog", () => {
  it("lists the paper's reproductions in report order, extras after, and checks --only", () => {
    const dir = folder(["zeta-extra", "convergence", "main-table", "gate-ablation"]);
    expect(listReproductions(dir)).toEqual(["main-table", "convergence", "gate-ablation", "zeta-extra"]);
    expect(selectReproductions(listReproductions(dir), ["gate-ablation.ipynb", "main-table"])).toEqual([
      "main-table",
      "gate-ablation",
    ]);
    expect(() => selectReproductions(listReproductions(dir), ["nope"])).toThrow(
      /unknown reproduction 'nope': available are main-table/,
    );
    expect(() => parseScale("huge")).toThrow(/expected one of smoke, small, full/);
  });
});

describe("runReproductions", () => {
  it("runs every notebook with scale, seed and its own outputDir; a failure does not stop the others", async () => {
    const dir = folder(["main-table", "resources", "convergence"]);
    const out = mkdtempSync(join(tmpdir(), "repro-run-"));
    const calls: Array<{ name: string; parameters: Record<string, unknown>; cwd: string }> = [];
    const d = deps({ resources: "fail", convergence: "throw" }, calls);
    const s = await runReproductions(
      { reproductionsDir: dir, outDir: out, scale: "smoke", seed: 7, parameters: { backend: "cpu" } },
      d,
    );
    expect(calls.map((c) => c.name)).toEqual(["main-table", "resources", "convergence"]);
    expect(calls[0]!.parameters).toEqual({
      scale: "smoke",
      seed: 7,
      outputDir: join(out, "main-table"),
      backend: "cpu",
    });
    expect(calls.every((c) => c.cwd === dir)).toBe(true);
    expect(s.ok).toBe(false);
    expect(s.results.map((r) => [r.name, r.ok])).toEqual([
      ["main-table", true],
      ["resources", false],
      ["convergence", false],
    ]);
    expect(s.results[1]!.failure).toBe("cell 3 failed: Error: boom");
    expect(s.results[2]!.failure).toMatch(/could not run: kernel did not start/);
    // the executed notebooks that exist are written and go into one report, in order
    expect(JSON.parse(readFileSync(join(out, "main-table.ipynb"), "utf8")).metadata).toEqual({ ran: true });
    expect(existsSync(join(out, "convergence.ipynb"))).toBe(false);
    expect(d.reports).toEqual([["Title of main-table", "Title of resources"]]);
    const report = readFileSync(s.report, "utf8");
    expect(report).toContain("scale smoke, seed 7");
    expect(report).toContain("FAILED");
    // tables from the manifest, also of the notebook that failed later on
    expect(s.results[0]!.tables.map((t) => t.name)).toEqual(["main-table-t"]);
    expect(readFileSync(join(out, "main-table", "tables", "main-table-t.csv"), "utf8")).toBe("x\r\n7\r\n");
    const summary = readFileSync(s.summary, "utf8");
    expect(summary).toMatch(/\| main-table \| ok \|/);
    expect(summary).toMatch(/\| total \| 2 failed \|/);
    expect(JSON.parse(readFileSync(join(out, "summary.json"), "utf8")).ok).toBe(false);
  });

  it("leads the report with every saved table, then every figure, each with its verdict", async () => {
    const out = mkdtempSync(join(tmpdir(), "repro-results-"));
    const prev = setDisplaySink(recordingSink());
    try {
      const o = reproductionOutput(join(out, "resources"));
      o.saveTable("ratios", { columns: ["method", "x"], rows: [["hybrid", 0.9]] }, { verdict: "Nothing holds here." });
      o.saveTable("claims", {
        columns: ["method", "claim", "verdict (±20%)"],
        rows: [
          ["hybrid", "time", "does not hold"],
          ["hybrid", "memory", "holds"],
          ["lora", "time", "does not hold"],
        ],
      });
      o.saveTable("plain", { columns: ["a"], rows: [[1]] });
      o.saveFigure("fig", { data: [{ type: "bar", x: ["a"], y: [1] }] }, { verdict: "Bars." });
    } finally {
      setDisplaySink(prev);
    }
    const m = readManifest(join(out, "resources"));
    const base = m;
    const [ok, failed] = resultSections([
      { ...base, title: "Resources", ok: true },
      { ...base, title: "Again", ok: false, failure: "cell 5 failed: Error: boom", tables: [], figures: [] },
    ]);
    const kinds = ok!.items.map((it) => ("verdict" in it ? `verdict: ${it.verdict}` : Object.keys(it.output)[0]));
    expect(kinds).toEqual([
      "text/html",
      "verdict: **Verdict.** Nothing holds here.",
      "text/html",
      "verdict: **Verdict.** does not hold: hybrid (time), lora (time); holds: hybrid (memory)",
      "text/html",
      "application/vnd.plotly.v1+json",
      "verdict: **Verdict.** Bars.",
    ]);
    expect(ok!.failure).toBeUndefined();
    expect(failed!.failure).toMatch(/The notebook failed: cell 5 failed: Error: boom/);
    expect(() => reproductionOutput(out).saveTable("x", { columns: ["a"], rows: [[1]] }, { verdict: " " })).toThrow(
      /save\('x'\): verdict must be a non-empty string/,
    );
  });

  it("removes a reproduction's stale outputs before it runs again", async () => {
    const dir = folder(["main-table"]);
    const out = mkdtempSync(join(tmpdir(), "repro-run-"));
    mkdirSync(join(out, "main-table", "tables"), { recursive: true });
    writeFileSync(join(out, "main-table", "tables", "old.csv"), "stale");
    const s = await runReproductions({ reproductionsDir: dir, outDir: out, scale: "small" }, deps({}, []));
    expect(s.ok).toBe(true);
    expect(existsSync(join(out, "main-table", "tables", "old.csv"))).toBe(false);
    expect(s.results[0]!.tables.length).toBe(1);
  });

  it("rejects a bad seed and an empty folder before running anything", async () => {
    const calls: Array<{ name: string; parameters: Record<string, unknown>; cwd: string }> = [];
    await expect(
      runReproductions(
        { reproductionsDir: folder(["a"]), outDir: mkdtempSync(join(tmpdir(), "r-")), scale: "smoke", seed: -1 },
        deps({}, calls),
      ),
    ).rejects.toThrow(/seed must be a non-negative integer, found -1/);
    await expect(
      runReproductions(
        { reproductionsDir: folder([]), outDir: mkdtempSync(join(tmpdir(), "r-")), scale: "smoke" },
        deps({}, calls),
      ),
    ).rejects.toThrow(/no reproduction notebooks/);
    expect(calls).toEqual([]);
  });
});
