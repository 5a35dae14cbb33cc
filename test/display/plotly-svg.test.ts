import { describe, expect, it } from "vitest";
import { figureSvg } from "../../lib/display/index.js";

function pathPoints(svg: string): number[][][] {
  return [...svg.matchAll(/<path d="([^"]*)"/g)].map((m) =>
    [...m[1]!.matchAll(/[ML](-?[\d.]+),(-?[\d.]+)/g)].map((p) => [Number(p[1]), Number(p[2])]),
  );
}

describe("figureSvg (static fallback)", () => {
  it("draws a line as a path whose points keep the data's shape", () => {
    const xs = [0, 1, 2, 3, 4];
    const svg = figureSvg({ data: [{ type: "scatter", mode: "lines", x: xs, y: xs.map((x) => 2 * x + 1) }] });
    const [pts] = pathPoints(svg);
    expect(pts!.length).toBe(5);
    // Screen y grows downward: a rising line has falling pixel y, at a constant slope.
    const slopes = pts!.slice(1).map((p, i) => (p[1]! - pts![i]![1]!) / (p[0]! - pts![i]![0]!));
    for (const s of slopes) expect(s).toBeCloseTo(slopes[0]!, 1);
    expect(slopes[0]!).toBeLessThan(0);
  });

  it("breaks a line at null values instead of joining across the gap", () => {
    const svg = figureSvg({ data: [{ type: "scatter", mode: "lines", x: [0, 1, 2, 3], y: [1, null, 2, 3] }] });
    const d = /<path d="([^"]*)"/.exec(svg)![1]!;
    expect((d.match(/M/g) ?? []).length).toBe(2);
  });

  it("draws one rect per finite heatmap cell, brightest at the maximum", () => {
    const z = [
      [1, 2, null],
      [4, 9, 6],
    ];
    const svg = figureSvg({ data: [{ type: "heatmap", x: [0, 10, 20], y: ["a", "b"], z }] });
    const traces = /<g class="traces">(.*?)<\/g>/.exec(svg)![1]!;
    const cells = [...traces.matchAll(/<rect x="[^"]*" y="[^"]*" width="[^"]*" height="[^"]*" fill="(rgb[^"]*)"/g)].map(
      (m) => m[1],
    );
    expect(cells.length).toBe(5);
    expect(cells[3]).toBe("rgb(253,231,37)"); // cells in row order: 1, 2, 4, 9, 6; 9 is the maximum: the top of viridis
    expect(cells[0]).toBe("rgb(68,1,84)"); // 1 is the minimum
  });

  it("escapes titles and names, and stays small for a long run", () => {
    const n = 50_000;
    const y = Array.from({ length: n }, (_, i) => Math.sin(i / 100));
    const svg = figureSvg({
      data: [{ type: "scatter", name: "<b>", x: y.map((_, i) => i), y }],
      layout: { title: { text: "a & b" } },
    });
    expect(svg).toContain("a &amp; b");
    expect(svg).toContain("&lt;b&gt;");
    expect(svg).not.toContain("<b>");
    expect(svg.length).toBeLessThan(200_000);
  });
});
