import { afterEach, beforeEach, describe, expect, it } from "vitest";
import { PLOTLY_MIME } from "../../lib/display/index.js";
import { recordingSink, setDisplaySink, type DisplaySink } from "../../lib/display/sink.js";
import { liveDashboard, type PlotlyFigure } from "../../lib/plots/index.js";
import { gradNorms, LAYERS, STEPS } from "./fixtures.js";
import { expectValidFigure } from "./plotly-shape.js";

let sink: ReturnType<typeof recordingSink>;
let previous: DisplaySink;
beforeEach(() => {
  sink = recordingSink();
  previous = setDisplaySink(sink);
});
afterEach(() => void setDisplaySink(previous));

const figureOf = (i: number) => sink.records[i]!.data![PLOTLY_MIME] as PlotlyFigure;

describe("liveDashboard", () => {
  it("redraws one display id in place, throttled, and closes with the full state", () => {
    let t = 0;
    const dash = liveDashboard({ now: () => t, minIntervalMs: 500 });
    const norms = gradNorms();
    for (const step of STEPS) {
      t += 100; // 100 ms per step: one redraw per 5 steps
      dash.push({ step, loss: 3 / (1 + step) });
      dash.push({ step, loss: 4 / (1 + step), metric: "val_loss" });
      dash.push(norms.filter((r) => r.step === step));
    }
    dash.close();
    dash.close();
    expect(sink.records[0]!.kind).toBe("display");
    expect(sink.records.slice(1).every((r) => r.kind === "update" && r.displayId === dash.id)).toBe(true);
    // first push draws, then every 500 ms over 1.5 s, then the final state: far fewer than 45 pushes
    expect(sink.records.length).toBeGreaterThanOrEqual(3);
    expect(sink.records.length).toBeLessThanOrEqual(6);
    const last = figureOf(sink.records.length - 1);
    expectValidFigure(last);
    expect(last.data.map((d) => d.type)).toEqual(["scatter", "scatter", "heatmap"]);
    expect(last.data[0]!.x).toEqual(STEPS);
    expect(last.data[1]!.name).toBe("val_loss");
    const hm = last.data[2]!;
    expect(hm.y).toEqual(LAYERS);
    expect((hm.z as unknown[][])[0]!.length).toBe(STEPS.length);
    expect(hm.yaxis).toBe("y2");
    // the first draw only had the first step
    expect(figureOf(0).data[0]!.x).toEqual([STEPS[0]]);
  });

  it("rejects records it cannot place", () => {
    const dash = liveDashboard();
    expect(() => dash.push({ step: 1 } as never)).toThrow(/record 0 is neither \{ step, loss \} nor a GradNormRecord/);
  });
});
