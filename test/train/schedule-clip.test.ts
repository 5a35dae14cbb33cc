// Schedules against transformers' formulas driven through torch's LambdaLR, and clipping against
// torch.nn.utils.clip_grad_norm_, plus the invariants each must satisfy.
import * as tf from "@tensorflow/tfjs";
import { describe, expect, it } from "vitest";
import { runPythonJson } from "../helpers/python.js";
import { lrMultiplier, type ScheduleSpec } from "../../lib/train/schedule.js";
import { clipByGlobalNorm, squaredNorms } from "../../lib/train/clip.js";

const SCHEDULE = new URL("../reference/train_schedule.py", import.meta.url).pathname;
const CLIP = new URL("../reference/train_clip.py", import.meta.url).pathname;

describe("learning-rate schedules", () => {
  const cases: Array<[ScheduleSpec, number]> = [
    [{ kind: "constant", warmupSteps: 0 }, 10],
    [{ kind: "constant", warmupSteps: 4 }, 12],
    [{ kind: "linear", warmupSteps: 3 }, 15],
    [{ kind: "linear", warmupSteps: 0 }, 7],
    [{ kind: "cosine", warmupSteps: 5 }, 25],
    [{ kind: "cosine", warmupSteps: 2, numCycles: 1.5 }, 20],
  ];
  it("constant, linear and cosine with warmup match the reference lr at every step", () => {
    const lr = 3e-4;
    const ref = runPythonJson<{ lrs: number[][] }>(
      SCHEDULE,
      [],
      JSON.stringify({
        cases: cases.map(([spec, total]) => ({
          kind: spec.kind,
          warmup: spec.warmupSteps ?? 0,
          total,
          numCycles: spec.numCycles ?? 0.5,
          lr,
        })),
      }),
    );
    cases.forEach(([spec, total], c) => {
      expect(ref.lrs[c]).toHaveLength(total);
      ref.lrs[c]!.forEach((want, s) => {
        expect(lr * lrMultiplier(spec, s, total)).toBeCloseTo(want, 12);
      });
    });
  });

  it("satisfies the shape invariants", () => {
    const total = 100;
    const w = 10;
    for (const kind of ["constant", "linear", "cosine"] as const) {
      expect(lrMultiplier({ kind, warmupSteps: w }, 0, total)).toBe(0);
      expect(lrMultiplier({ kind, warmupSteps: w }, 5, total)).toBeCloseTo(0.5, 12);
      expect(lrMultiplier({ kind, warmupSteps: w }, w, total)).toBeCloseTo(1, 12);
    }
    expect(lrMultiplier({ kind: "linear", warmupSteps: w }, total, total)).toBe(0);
    expect(lrMultiplier({ kind: "cosine", warmupSteps: w }, w + (total - w) / 2, total)).toBeCloseTo(0.5, 12);
    expect(lrMultiplier({ kind: "cosine", warmupSteps: w }, total, total)).toBeCloseTo(0, 12);
    expect(lrMultiplier((s, t) => s / t, 3, 6)).toBe(0.5);
    expect(() => lrMultiplier({ kind: "step" } as unknown as ScheduleSpec, 0, 1)).toThrow(/schedule.kind.*"step"/);
    expect(() => lrMultiplier({ kind: "linear", warmupSteps: -1 }, 0, 1)).toThrow(/warmupSteps/);
  });
});

describe("gradient clipping by global norm", () => {
  const make = (scale: number) => [
    tf.randomNormal([3, 4], 0, scale, "float32", 1),
    tf.randomNormal([5], 0, scale, "float32", 2),
    tf.randomNormal([2, 2, 2], 0, scale, "float32", 3),
  ];

  it.each([
    [0.1, 1.0],
    [3, 1.0],
    [1, 0.5],
  ])("grads of scale %f, max norm %f match clip_grad_norm_", (scale, maxNorm) => {
    const grads = make(scale);
    const ref = runPythonJson<{ norm: number; grads: number[][] }>(
      CLIP,
      [],
      JSON.stringify({ maxNorm, grads: grads.map((g) => ({ shape: g.shape, data: Array.from(g.dataSync()) })) }),
    );
    const { grads: clipped, norm } = clipByGlobalNorm(grads, maxNorm);
    expect(norm).toBeCloseTo(ref.norm, 5);
    clipped.forEach((g, i) => {
      Array.from(g.dataSync()).forEach((v, j) => {
        expect(Math.abs(v - ref.grads[i]![j]!)).toBeLessThan(1e-6);
      });
    });
    const after = Math.sqrt(squaredNorms(clipped).reduce((a, b) => a + b, 0));
    if (norm > maxNorm) expect(after).toBeCloseTo(maxNorm, 4);
    else expect(after).toBeCloseTo(norm, 5);
    tf.dispose([...grads, ...clipped]);
  });

  it("rejects a non-positive max norm", () => {
    expect(() => clipByGlobalNorm([], 0)).toThrow(/maxNorm must be positive/);
  });
});
