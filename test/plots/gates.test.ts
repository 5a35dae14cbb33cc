// Gate statistics and the per-policy λ panels, on hand-made records whose answers are known.
import { describe, expect, it } from "vitest";
import { gatePolicyPanels, gateStats } from "../../lib/plots/index.js";
import type { GateRecord } from "../../lib/records/types.js";
import { gateClampTable, gateSummaryTable } from "../../lib/reproduce/gate-tables.js";
import { expectValidFigure } from "./plotly-shape.js";

const series = (layer: string, lambdas: number[]): GateRecord[] =>
  lambdas.map((lambda, i) => ({ step: i + 1, layer, lambda }));

// layer 2 is listed first: stats come back in model order
const run: GateRecord[] = [
  ...series("model.layers.2.proj", [0.5, 0.6, 0.95, 0.95]),
  ...series("model.layers.10.proj", [0.5, 0.05, 0.05, 0.3]),
];

describe("gateStats", () => {
  it("per layer: last λ, range and the fraction of steps at either clamp bound; across layers: spread of the last λ", () => {
    const s = gateStats(run);
    expect(s.layers.map((l) => l.layer)).toEqual(["model.layers.2.proj", "model.layers.10.proj"]);
    expect(s.layers[0]).toMatchObject({ steps: 4, final: 0.95, min: 0.5, max: 0.95, atClamp: 0.5 });
    expect(s.layers[1]).toMatchObject({ steps: 4, final: 0.3, min: 0.05, max: 0.5, atClamp: 0.5 });
    expect(s.finalStd).toBeCloseTo(0.325, 12); // population std of {0.95, 0.3}
    expect([s.finalMin, s.finalMax]).toEqual([0.3, 0.95]);
    expect(s.atClamp).toBe(0.5);
    // another clamp: nothing sits at [0.1, 0.9]
    expect(gateStats(run, [0.1, 0.9]).atClamp).toBe(0);
  });

  it("names the record and field it cannot read, and refuses an empty run", () => {
    expect(() => gateStats([{ step: 1, layer: "a", lambda: "x" } as unknown as GateRecord])).toThrow(
      /gateStats: record 0 field "lambda" must be a number/,
    );
    expect(() => gateStats([])).toThrow(/no gate records/);
  });
});

describe("gate tables over seeds", () => {
  const other = series("model.layers.2.proj", [0.5, 0.5, 0.5, 0.5]).concat(
    series("model.layers.10.proj", [0.5, 0.5, 0.5, 0.7]),
  );
  it("summary: one row per policy, mean ± sample std over its runs", () => {
    const t = gateSummaryTable([{ name: "weight", runs: [run, other] }]);
    expect(t.rows).toHaveLength(1);
    const [name, meanFinal, spread, range, atClamp, layersAt] = t.rows[0]!;
    expect(name).toBe("weight");
    expect(meanFinal).toMatchObject({ mean: (0.625 + 0.6) / 2 });
    expect((spread as { mean: number }).mean).toBeCloseTo((0.325 + 0.1) / 2, 12);
    expect((range as { mean: number }).mean).toBeCloseTo((0.65 + 0.2) / 2, 12);
    expect(atClamp).toMatchObject({ mean: 0.25 });
    expect((atClamp as { std: number }).std).toBeCloseTo(Math.SQRT1_2 * 0.5, 12);
    expect(layersAt).toMatchObject({ mean: 0.5 }); // `run` ends with one layer at 0.95, `other` with none
  });

  it("clamp: layers × policies, the fraction at the clamp averaged over runs", () => {
    const t = gateClampTable([
      { name: "weight", runs: [run, other] },
      { name: "share", runs: [run] },
    ]);
    expect(t.columns).toEqual(["layer", "weight", "share"]);
    expect(t.rows).toEqual([
      ["model.layers.2.proj", 0.25, 0.5],
      ["model.layers.10.proj", 0.25, 0.5],
    ]);
  });
});

describe("gatePolicyPanels", () => {
  it("one panel per policy, a layer keeps its colour across panels, the legend lists each layer once", () => {
    const fig = gatePolicyPanels([
      { name: "weight", runs: [run] },
      { name: "share", runs: [run.map((r) => ({ ...r, lambda: 0.05 }))] },
    ]);
    expectValidFigure(fig);
    const data = fig.data as Record<string, unknown>[];
    const lines = data.filter((t) => t.name !== "clamp");
    expect(lines.map((t) => [t.name, t.yaxis])).toEqual([
      ["model.layers.2.proj", "y"],
      ["model.layers.10.proj", "y"],
      ["model.layers.2.proj", "y2"],
      ["model.layers.10.proj", "y2"],
    ]);
    expect(lines[0]!.line).toEqual(lines[2]!.line);
    expect(lines.map((t) => t.showlegend)).toEqual([true, true, false, false]);
    expect(lines[3]!.y).toEqual([0.05, 0.05, 0.05, 0.05]);
    const clamps = data.filter((t) => t.name === "clamp");
    expect(clamps.map((t) => t.y)).toEqual([
      [0.05, 0.05],
      [0.95, 0.95],
      [0.05, 0.05],
      [0.95, 0.95],
    ]);
    const layout = fig.layout as Record<string, { range?: number[]; title?: { text: string } }>;
    expect(layout.yaxis!.range).toEqual([0, 1]);
    expect(layout.yaxis2!.title!.text).toBe("share");
    expect(() => gatePolicyPanels([])).toThrow(/non-empty array/);
    expect(() => gatePolicyPanels([{ name: "x", runs: [] }])).toThrow(/policy "x" has no runs/);
  });
});
