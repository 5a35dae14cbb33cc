import { describe, expect, test } from "vitest";
import { mulberry32 } from "../../lib/random/mulberry32.js";
import { accuracy, confusion, f1Binary, matthewsCorrcoef } from "../../lib/eval/metrics.js";
import { runPythonJson } from "../helpers/python.js";

describe("hand-computed cases", () => {
  // pred 1 1 0 0 1 0 ; label 1 0 0 1 1 0 -> tp=2 fp=1 fn=1 tn=2
  const pred = [1, 1, 0, 0, 1, 0];
  const label = [1, 0, 0, 1, 1, 0];
  test("confusion counts", () => {
    expect(confusion(pred, label)).toEqual({ tp: 2, fp: 1, tn: 2, fn: 1 });
  });
  test("accuracy = 4/6", () => expect(accuracy(pred, label)).toBeCloseTo(4 / 6, 12));
  test("F1 = 2*2/(2*2+1+1) = 2/3", () => expect(f1Binary(pred, label)).toBeCloseTo(2 / 3, 12));
  test("MCC = (2*2-1*1)/sqrt(3*3*3*3) = 1/3", () => expect(matthewsCorrcoef(pred, label)).toBeCloseTo(1 / 3, 12));
  test("perfect and inverted predictions give MCC +1 and -1", () => {
    expect(matthewsCorrcoef(label, label)).toBeCloseTo(1, 12);
    expect(
      matthewsCorrcoef(
        label.map((x) => 1 - x),
        label,
      ),
    ).toBeCloseTo(-1, 12);
  });
  test("undefined MCC (constant prediction) is 0, as sklearn", () => {
    expect(matthewsCorrcoef([1, 1, 1, 1], [1, 0, 1, 0])).toBe(0);
    expect(matthewsCorrcoef([0, 1, 0, 1], [0, 0, 0, 0])).toBe(0);
  });
  test("F1 with no positives anywhere is 0; F1 of all-positive predictions", () => {
    expect(f1Binary([0, 0], [0, 0])).toBe(0);
    // tp=2, fp=2, fn=0 -> 4/6
    expect(f1Binary([1, 1, 1, 1], [1, 0, 1, 0])).toBeCloseTo(2 / 3, 12);
  });
  test("bad input is named", () => {
    expect(() => accuracy([1], [1, 0])).toThrow(/differ in length: 1 vs 2/);
    expect(() => f1Binary([], [])).toThrow(/empty/);
    expect(() => matthewsCorrcoef([2, 0], [1, 0])).toThrow(/index 0.*prediction 2/);
  });
});

test("random cases match the independent numpy reference", () => {
  const rand = mulberry32(7);
  const cases: { pred: number[]; label: number[] }[] = [];
  for (let c = 0; c < 40; c++) {
    const n = 1 + Math.floor(rand() * 60);
    const bias = rand();
    const label = Array.from({ length: n }, () => (rand() < bias ? 1 : 0));
    const noise = rand();
    const pred = label.map((y) => (rand() < noise ? 1 - y : y));
    cases.push({ pred, label });
  }
  const ref = runPythonJson<{ accuracy: number; f1: number; mcc: number }[]>(
    "test/reference/eval_metrics.py",
    [],
    JSON.stringify(cases),
  );
  expect(ref).toHaveLength(cases.length);
  cases.forEach((c, i) => {
    expect(accuracy(c.pred, c.label)).toBeCloseTo(ref[i].accuracy, 10);
    expect(f1Binary(c.pred, c.label)).toBeCloseTo(ref[i].f1, 10);
    expect(matthewsCorrcoef(c.pred, c.label)).toBeCloseTo(ref[i].mcc, 10);
  });
});
