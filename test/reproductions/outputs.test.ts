// The helpers notebooks call: files on disk, manifest bookkeeping, claim verdicts, learning signal.
import { existsSync, mkdtempSync, readFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterEach, describe, expect, it } from "vitest";
import { recordingSink, setDisplaySink, type DisplaySink } from "../../lib/display/sink.js";
import { reproductionOutput, readManifest } from "../../lib/reproduce/outputs.js";
import { meanStd } from "../../lib/plots/mean-std.js";
import {
  claimHolds,
  learningSignalTable,
  PAPER_RESOURCE_CLAIMS,
  resourceClaimTable,
} from "../../lib/reproduce/claims.js";
import type { Table } from "../../lib/plots/table.js";
import { runPythonJson } from "../helpers/python.js";

const REF = join(import.meta.dirname, "..", "reference", "reproduce_stats.py");
let previous: DisplaySink | undefined;
afterEach(() => {
  if (previous) setDisplaySink(previous);
  previous = undefined;
});

function recorder() {
  const sink = recordingSink();
  previous = setDisplaySink(sink);
  return sink;
}

const table: Table = {
  columns: ["method", "acc"],
  rows: [
    ["lora", { mean: 0.75, std: 0.02 }],
    ['a,b "quoted"', 0.5],
  ],
  caption: "Accuracy",
};

describe("reproductionOutput", () => {
  it("writes CSV, Markdown and JSON of a table, lists it once in the manifest and shows it", () => {
    const sink = recorder();
    const dir = mkdtempSync(join(tmpdir(), "repro-out-"));
    const out = reproductionOutput(dir);
    out.saveTable("main", table);
    out.saveTable("main", table); // a re-run cell replaces, not duplicates
    const saved = out.manifest().tables[0]!;
    const csv = readFileSync(saved.csv, "utf8").trim().split("\r\n");
    expect(csv[0]).toBe("method,acc");
    expect(csv[1]).toBe("lora,0.750 ± 0.020");
    expect(csv[2]).toBe('"a,b ""quoted""",0.500');
    const md = readFileSync(saved.markdown, "utf8");
    expect(md).toContain("**Accuracy**");
    expect(md).toContain("| lora | 0.750 ± 0.020 |");
    expect(JSON.parse(readFileSync(saved.json, "utf8"))).toEqual(table);
    const m = readManifest(dir);
    expect(m.tables.map((t) => t.name)).toEqual(["main"]);
    expect(m.tables[0]!.measured).toBe(false);
    expect(sink.records.filter((r) => r.kind === "display").length).toBe(2);
    expect(String(sink.records[0]!.data!["text/html"])).toContain("<table");
  });

  it("writes a figure as plotly JSON and displays it with the plotly MIME type", () => {
    const sink = recorder();
    const dir = mkdtempSync(join(tmpdir(), "repro-out-"));
    const fig = { data: [{ type: "scatter", x: [1, 2], y: [3, 4] }], layout: { title: { text: "t" } } };
    reproductionOutput(dir).saveFigure("curves", fig);
    const saved = readManifest(dir).figures[0]!;
    expect(JSON.parse(readFileSync(saved.json, "utf8"))).toEqual(fig);
    expect(readManifest(dir).figures.map((f) => f.name)).toEqual(["curves"]);
    expect(sink.records.some((r) => r.data && "application/vnd.plotly.v1+json" in r.data)).toBe(true);
  });

  it("rejects names that are not safe file names and malformed tables, naming the problem", () => {
    recorder();
    const out = reproductionOutput(mkdtempSync(join(tmpdir(), "repro-out-")));
    expect(() => out.saveTable("../escape", table)).toThrow(/name must be/);
    expect(() => out.saveTable("bad", { columns: ["a", "b"], rows: [[1]] })).toThrow(/row 0 has 1 cells; expected 2/);
    expect(() => out.saveFigure("f", { layout: {} } as never)).toThrow(/expected a plotly figure/);
    expect(existsSync(join(out.dir, "tables", "bad.csv"))).toBe(false);
  });
});

describe("claims and learning signal", () => {
  it("a claim holds exactly at the claimed ratio and within the tolerance, not beyond", () => {
    const time = PAPER_RESOURCE_CLAIMS.find((c) => c.resource === "time")!;
    expect(time.ratio * 2.1).toBeCloseTo(1, 12);
    expect(claimHolds(time, time.ratio)).toBe(true);
    expect(claimHolds(time, time.ratio * 1.19)).toBe(true);
    expect(claimHolds(time, time.ratio * 1.21)).toBe(false);
    expect(claimHolds(time, 1)).toBe(false);
    expect(() => claimHolds(time, Number.NaN)).toThrow(/positive number/);
  });

  it("the claim table has one row per method and claim with the verdict the ratios imply", () => {
    const t = resourceClaimTable([
      { method: "hybrid", timeRatio: 0.4, memoryRatio: 0.9 },
      { method: "lora", timeRatio: 0.9, memoryRatio: 0.3 },
    ]);
    expect(t.rows.length).toBe(2 * PAPER_RESOURCE_CLAIMS.length);
    const verdict = (m: string, text: RegExp) => t.rows.find((r) => r[0] === m && text.test(String(r[1])))!.at(-1);
    expect(verdict("hybrid", /time/)).toBe("holds");
    expect(verdict("hybrid", /memory/)).toBe("does not hold");
    expect(verdict("lora", /time/)).toBe("does not hold");
    expect(verdict("lora", /memory/)).toBe("holds");
    const savings = t.rows.map((r) => (r[4] as number) * (r[3] as number));
    for (const s of savings) expect(s).toBeCloseTo(1, 12);
  });

  it("judges gains against the base with the right sign and leaves floor columns unjudged", () => {
    const t = learningSignalTable(
      { sst2: 0.5, loss: 3, gsm8k: 0 },
      { lora: { sst2: { mean: 0.7, std: 0.1 }, loss: 2.5, gsm8k: 0 }, bad: { sst2: 0.4, loss: 3.5, gsm8k: 0 } },
      { floor: ["gsm8k"], lowerIsBetter: ["loss"] },
    );
    const row = (m: string, c: string) => t.rows.find((r) => r[0] === m && r[1] === c)!;
    expect(row("lora", "sst2")[4]).toBeCloseTo(0.2, 12);
    expect(row("lora", "sst2")[5]).toBe("beats base");
    expect(row("lora", "loss")[4]).toBeCloseTo(0.5, 12);
    expect(row("bad", "sst2")[5]).toBe("does not beat base");
    expect(row("bad", "loss")[5]).toBe("does not beat base");
    expect(row("lora", "gsm8k")[5]).toMatch(/floor/);
    expect(() => learningSignalTable({ a: 1 }, { m: { a: Number.NaN } })).toThrow(/m \/ a: expected finite/);
  });

  it("with sigmas, calls a gain clear only beyond that many standard deviations of the difference", () => {
    const base = { sst2: { mean: 0.5, std: 0.03 }, loss: 3 };
    const t = learningSignalTable(
      base,
      {
        clear: { sst2: { mean: 0.7, std: 0.04 }, loss: 2.5 },
        noisy: { sst2: { mean: 0.58, std: 0.04 }, loss: 2.9 },
      },
      { lowerIsBetter: ["loss"], sigmas: 2 },
    );
    expect(t.columns).toEqual(["method", "column", "untuned base", "fine-tuned", "gain", "std of gain", "verdict"]);
    const row = (m: string, c: string) => t.rows.find((r) => r[0] === m && r[1] === c)!;
    // std of the gain: hypot(0.04, 0.03) = 0.05; 2 std = 0.1.
    expect(row("clear", "sst2")[5]).toBeCloseTo(0.05, 12);
    expect(row("clear", "sst2")[6]).toBe("beats base by > 2 std");
    expect(row("noisy", "sst2")[6]).toBe("beats base");
    // Plain numbers have no spread: any gain is clear.
    expect(row("noisy", "loss")[6]).toBe("beats base by > 2 std");
  });

  it("mean ± std matches numpy's sample statistics", () => {
    const samples = [[0.71, 0.74, 0.69], [1, 2], [3.5]];
    const ref = runPythonJson<Array<{ mean: number; std: number }>>(REF, [], JSON.stringify(samples));
    samples.forEach((s, i) => {
      const got = meanStd(s);
      expect(got.mean).toBeCloseTo(ref[i]!.mean, 12);
      expect(got.std).toBeCloseTo(ref[i]!.std, 12);
    });
    expect(() => meanStd([])).toThrow(/no values/);
  });
});
