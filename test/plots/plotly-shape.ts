// Structural checks of figure JSON against what plotly expects for the trace types we emit.
import { expect } from "vitest";
import type { PlotlyFigure } from "../../lib/plots/index.js";

const KNOWN_TYPES = new Set(["scatter", "heatmap"]);

export function expectValidFigure(fig: PlotlyFigure): void {
  expect(JSON.parse(JSON.stringify(fig))).toEqual(fig); // JSON-safe: no typed arrays, NaN or undefined in arrays
  expect(Array.isArray(fig.data)).toBe(true);
  const layout = fig.layout ?? {};
  for (const [i, t] of fig.data.entries()) {
    const where = `trace ${i} (${String(t.name)})`;
    expect(KNOWN_TYPES.has(String(t.type)), `${where} type ${String(t.type)}`).toBe(true);
    const x = t.x as unknown[];
    const y = t.y as unknown[];
    expect(Array.isArray(x) && Array.isArray(y), `${where} has x and y arrays`).toBe(true);
    if (t.type === "heatmap") {
      const z = t.z as unknown[][];
      expect(z.length, `${where} z rows = y length`).toBe(y.length);
      for (const row of z) expect(row.length, `${where} z columns = x length`).toBe(x.length);
      for (const v of z.flat()) expect(v === null || (typeof v === "number" && Number.isFinite(v))).toBe(true);
    } else {
      expect(x.length, `${where} x and y lengths`).toBe(y.length);
      for (const v of y) expect(v === null || (typeof v === "number" && Number.isFinite(v))).toBe(true);
    }
    for (const axis of ["xaxis", "yaxis"] as const) {
      const ref = (t[axis] as string | undefined) ?? axis[0];
      const key = axis + ref.slice(1);
      if (ref.length > 1) expect(layout[key], `${where} refers to ${ref}: layout.${key} must exist`).toBeDefined();
    }
  }
}
