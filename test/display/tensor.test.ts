import * as tf from "@tensorflow/tfjs";
import { describe, expect, it } from "vitest";
import { tensorSummary, toMimeBundle } from "../../lib/display/index.js";

/** Reads the nested-bracket value text back into numbers ("1." and "nan" are not JSON). */
function parseValues(text: string): unknown {
  const json = text
    .replace(/(\d)\.(?=[,\]\s]|$)/g, "$1.0")
    .replace(/\bnan\b/g, "null")
    .replace(/-inf\b/g, "-1e999")
    .replace(/\binf\b/g, "1e999");
  return JSON.parse(json);
}

function expectClose(actual: unknown, expected: unknown, tol = 1e-4): void {
  if (Array.isArray(expected)) {
    expect(Array.isArray(actual)).toBe(true);
    expect((actual as unknown[]).length).toBe(expected.length);
    expected.forEach((e, i) => {
      expectClose((actual as unknown[])[i], e, tol);
    });
  } else if (typeof expected === "number" && !Number.isFinite(expected)) {
    if (Number.isNaN(expected)) expect(actual).toBeNull();
    else expect(actual).toBe(expected);
  } else {
    expect(Math.abs((actual as number) - (expected as number))).toBeLessThanOrEqual(
      tol * Math.max(1, Math.abs(expected as number)),
    );
  }
}

describe("tensor display", () => {
  it("shows a small float tensor's shape, dtype and every value (checked against tf)", () => {
    const t = tf.randomNormal([2, 3, 4], 0, 3, "float32", 7);
    const { data } = toMimeBundle(t);
    const text = String(data["text/plain"]);
    const [head, ...rest] = text.split("\n");
    expect(head).toBe("Tensor float32 [2,3,4]");
    expectClose(parseValues(rest.join("\n")), t.arraySync());
    expect(String(data["text/html"])).toContain("[2, 3, 4]");
    t.dispose();
  });

  it("shows int32, bool and string tensors in their own notation", () => {
    const i = tf.tensor2d(
      [
        [1, -2],
        [3, 4],
      ],
      [2, 2],
      "int32",
    );
    expect(tensorSummary(i).values).toBe("[[1, -2],\n [3, 4]]");
    const b = tf.tensor1d([true, false], "bool");
    expect(tensorSummary(b).values).toBe("[true, false]");
    const s = tf.tensor1d(["a", 'q"'], "string");
    expect(tensorSummary(s).values).toBe('["a", "q\\""]');
    const scalar = tf.scalar(2.5);
    expect(tensorSummary(scalar).text).toBe("Tensor float32 []\n2.5");
    tf.dispose([i, b, s, scalar]);
  });

  it("truncates large tensors to the edges of each axis with correct stats", () => {
    const t = tf.randomUniform([40, 50], -1, 1, "float32", 3);
    const s = tensorSummary(t, { edgeItems: 2 });
    expect(s.truncated).toBe(true);
    const rows = s.values.split("\n");
    expect(rows.length).toBe(5); // 2 rows, "...", 2 rows
    const full = t.arraySync() as number[][];
    const firstRow = rows[0]!.replace(/^\[\[/, "[").replace(/\],$/, "]").replace(", ...", "");
    expectClose(parseValues(firstRow), [full[0]![0]!, full[0]![1]!, full[0]![48]!, full[0]![49]!]);
    expect(rows[2]).toBe(" ...,");
    const [mn, mx, mean] = [tf.min(t), tf.max(t), tf.mean(t)].map((x) => x.dataSync()[0]!);
    expectClose(s.stats!.min, mn);
    expectClose(s.stats!.max, mx);
    expectClose(s.stats!.mean, mean);
    expect(s.text.length).toBeLessThan(800);
    t.dispose();
  });

  it("shows non-finite values and a disposed tensor without throwing", () => {
    const t = tf.tensor1d([NaN, Infinity, -Infinity, 1e-9, 1e7]);
    const parsed = parseValues(tensorSummary(t).values) as number[];
    expectClose(parsed, [NaN, Infinity, -Infinity, 1e-9, 1e7], 1e-3);
    t.dispose();
    expect(String(toMimeBundle(t).data["text/plain"])).toBe("Tensor float32 [5] (disposed)");
  });

  it("does not leak tensors", () => {
    const t = tf.ones([3, 3]);
    const before = tf.memory().numTensors;
    toMimeBundle(t);
    expect(tf.memory().numTensors).toBe(before);
    t.dispose();
  });
});
