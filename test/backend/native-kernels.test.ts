// Every kernel the native backend replaces, against PyTorch in float64 (values and gradients) and
// against the wasm and cpu backends, on awkward shapes: sizes 1, primes, a K that crosses OpenBLAS's
// blocking, each transpose combination, batch broadcasting. The copies (transpose, slice, split, concat)
// move bits, so there the check is exact equality with the cpu backend.
import * as tf from "@tensorflow/tfjs";
import { fileURLToPath } from "node:url";
import { beforeAll, describe, expect, test } from "vitest";
import { useBackend } from "../../lib/backend/index.js";
import { mulberry32 } from "../../lib/random/mulberry32.js";
import { runPythonJson } from "../helpers/python.js";

const REFERENCE = fileURLToPath(new URL("../reference/backend_matmul.py", import.meta.url));

interface Host {
  shape: number[];
  data: number[];
}

/** Seeded values in [-1, 1) on a 1/1024 grid: exact in float32, so every backend and PyTorch see the same inputs. */
function host(shape: number[], seed: number): Host {
  const rand = mulberry32(seed);
  const n = shape.reduce((a, b) => a * b, 1);
  return { shape, data: Array.from({ length: n }, () => Math.floor(rand() * 2048 - 1024) / 1024) };
}

interface Case {
  name: string;
  a: Host;
  b: Host;
  w: Host;
  ta: boolean;
  tb: boolean;
  bias?: Host;
  activation?: string;
  alpha?: number;
  prelu?: Host;
  /** Backends left out of the comparison: tfjs's cpu and wasm kernels compute general batch broadcasting
   * wrongly, and wasm's _FusedMatMul takes only a rank-1 bias. */
  skip?: string[];
}

/** [batch..., rows, cols] of an operand stored transposed or not. */
function operand(batch: number[], rows: number, cols: number, transposed: boolean): number[] {
  return [...batch, ...(transposed ? [cols, rows] : [rows, cols])];
}

function matmulCases(): Case[] {
  const sizes: [string, number, number, number][] = [
    ["1x1x1", 1, 1, 1],
    ["primes 7x13 k5", 7, 13, 5],
    ["k=1", 31, 17, 1],
    ["n=1", 23, 1, 19],
    ["large K 1031", 9, 11, 1031],
    ["blocked 67x130 k259", 67, 130, 259],
  ];
  // Broadcasting on the small sizes only (what it exercises is the batch walk, not the GEMM), the big ones unbatched.
  const batches: [string, number[], number[], string[]][] = [
    ["rank 2", [], [], []],
    ["batch 3", [3], [3], []],
    ["a batch, b shared", [2, 3], [], []],
    ["b batch, a shared", [], [5], []],
    ["[3,1] x [1,4]", [3, 1], [1, 4], ["wasm", "cpu"]],
  ];
  const out: Case[] = [];
  let seed = 1;
  for (const [sname, m, n, k] of sizes) {
    for (const [bname, ba, bb, skip] of batches) {
      if (m * n * k > 5000 && ba.length + bb.length > 1) continue;
      if (m * n * k > 50_000 && ba.length > 0) continue;
      for (const ta of [false, true]) {
        for (const tb of [false, true]) {
          const batch = tf.backend_util.assertAndGetBroadcastShape(ba, bb);
          out.push({
            name: `${sname}, ${bname}, ta=${ta} tb=${tb}`,
            a: host(operand(ba, m, k, ta), seed++),
            b: host(operand(bb, k, n, tb), seed++),
            w: host([...batch, m, n], seed++),
            ta,
            tb,
            skip,
          });
        }
      }
    }
  }
  return out;
}

function fusedCases(): Case[] {
  const out: Case[] = [];
  let seed = 1000;
  for (const activation of ["linear", "relu", "relu6", "elu", "leakyrelu", "sigmoid", "prelu"]) {
    for (const [ta, tb] of [
      [false, false],
      [true, true],
    ] as const) {
      const [m, n, k] = [13, 7, 29];
      const b = host(operand([], k, n, tb), seed++);
      out.push({
        name: `${activation}, ta=${ta} tb=${tb}`,
        a: host(operand([], m, k, ta), seed++),
        b: { ...b, data: b.data.map((x) => 4 * x) }, // values around 0 and past 6 reach every branch
        w: host([m, n], seed++),
        bias: host([n], seed++),
        ta,
        tb,
        activation,
        alpha: 0.3,
        prelu: activation === "prelu" ? host([n], seed++) : undefined,
        skip: ta ? ["wasm"] : [], // wasm's fused kernel is wrong with transposed operands too
      });
    }
  }
  // tfjs-backend-wasm 4.22 adds a batched product's bias at the wrong offset past the first matrix,
  // and takes only a rank-1 bias: these compare with PyTorch and cpu.
  const batched = { a: host([2, 5, 3], 1), b: host([2, 3, 4], 2), w: host([2, 5, 4], 3), ta: false, tb: false };
  out.push({ name: "batched, bias [n]", ...batched, bias: host([4], 4), activation: "relu", skip: ["wasm"] });
  out.push({ name: "bias [m, 1]", ...batched, bias: host([5, 1], 5), skip: ["wasm"] });
  out.push({ name: "no bias", ...batched, activation: "sigmoid" });
  return out;
}

interface Result {
  out: Float32Array;
  ga: Float32Array;
  gb: Float32Array;
  gbias?: Float32Array;
}

function t(h: Host): tf.Tensor {
  return tf.tensor(h.data, h.shape);
}

/** Value and gradients of sum(op(a, b) * w) on the active backend. */
function evaluate(c: Case, fused: boolean): Result {
  return tf.tidy(() => {
    const [a, b, w] = [t(c.a), t(c.b), t(c.w)];
    const bias = c.bias ? t(c.bias) : undefined;
    const prelu = c.prelu ? t(c.prelu) : undefined;
    const op = (x: tf.Tensor, y: tf.Tensor, z?: tf.Tensor) =>
      fused
        ? tf.fused.matMul({
            a: x,
            b: y,
            transposeA: c.ta,
            transposeB: c.tb,
            bias: z,
            activation: (c.activation ?? "linear") as tf.fused.Activation,
            leakyreluAlpha: c.alpha,
            preluActivationWeights: prelu,
          })
        : tf.matMul(x, y, c.ta, c.tb);
    // The forward value through the kernel itself (under tf.grads, tfjs unfuses non-linear activations).
    const out = op(a, b, bias).dataSync() as Float32Array;
    const inputs = bias ? [a, b, bias] : [a, b];
    const grads = tf.grads((...xs: tf.Tensor[]) => tf.sum(tf.mul(op(xs[0]!, xs[1]!, xs[2]), w)))(inputs);
    const [ga, gb, gbias] = grads.map((g) => g.dataSync() as Float32Array);
    return { out, ga: ga!, gb: gb!, gbias };
  });
}

/** max |x - ref| / max |ref| */
function relErr(x: ArrayLike<number>, ref: ArrayLike<number>): number {
  expect(x.length).toBe(ref.length);
  let err = 0;
  let scale = 0;
  for (let i = 0; i < ref.length; i++) {
    err = Math.max(err, Math.abs((x[i] as number) - (ref[i] as number)));
    scale = Math.max(scale, Math.abs(ref[i] as number));
  }
  return err / (scale || 1);
}

function compare(label: string, got: Result, ref: Record<string, ArrayLike<number> | undefined>, tol: number) {
  for (const key of ["out", "ga", "gb", "gbias"] as const) {
    const r = ref[key];
    if (!r) continue;
    const e = relErr(got[key]!, r);
    expect(e, `${label} ${key}: relative error ${e}`).toBeLessThan(tol);
  }
}

async function onBackends(cases: Case[], fused: boolean) {
  const results: Record<string, Result[]> = {};
  for (const backend of ["native", "wasm", "cpu"]) {
    await useBackend(backend);
    results[backend] = cases.map((c) => (c.skip?.includes(backend) ? (null as unknown as Result) : evaluate(c, fused)));
  }
  const torch = runPythonJson<Record<string, number[]>[]>(REFERENCE, [], JSON.stringify(cases));
  return { results, torch };
}

describe("GEMM kernels (BatchMatMul, _FusedMatMul)", () => {
  beforeAll(async () => {
    await useBackend("native");
  });

  test("BatchMatMul: values and gradients match PyTorch (float64) and the wasm and cpu backends", async () => {
    const cases = matmulCases();
    const { results, torch } = await onBackends(cases, false);
    cases.forEach((c, i) => {
      const native = results.native![i]!;
      // float32 accumulation over K terms: error grows like sqrt(K) ulps of the largest partial sum
      compare(`native vs torch, ${c.name}`, native, torch[i]!, 2e-6 * Math.sqrt(c.a.data.length));
      for (const other of ["wasm", "cpu"].filter((b) => !c.skip?.includes(b))) {
        compare(
          `native vs ${other}, ${c.name}`,
          native,
          results[other]![i]! as unknown as Record<string, Float32Array>,
          1e-5,
        );
      }
    });
  });

  test("_FusedMatMul: bias and every activation match PyTorch and the wasm and cpu backends", async () => {
    const cases = fusedCases();
    const { results, torch } = await onBackends(cases, true);
    cases.forEach((c, i) => {
      compare(`native vs torch, ${c.name}`, results.native![i]!, torch[i]!, 1e-5);
      for (const other of ["wasm", "cpu"].filter((b) => !c.skip?.includes(b))) {
        compare(`native vs ${other}, ${c.name}`, results.native![i]!, results[other]![i]! as never, 1e-5);
      }
    });
  });

  test("a product whose inner dimensions differ is an error that names both shapes", async () => {
    await useBackend("native");
    const a = tf.zeros([2, 3]);
    const b = tf.zeros([4, 5]);
    expect(() => tf.matMul(a, b)).toThrow(/inner shapes \(3\) and \(4\)|\[2,3\].*\[4,5\]/);
    tf.dispose([a, b]);
  });
});

describe("copy kernels (Transpose, Slice, SplitV, Concat) and shared Identity/Cast", () => {
  /** Runs fn on native and on cpu and expects bitwise-equal outputs. */
  async function same(fn: () => tf.Tensor | tf.Tensor[]) {
    const outputs: Record<string, { shape: number[]; data: number[] }[]> = {};
    for (const backend of ["native", "cpu"]) {
      await useBackend(backend);
      outputs[backend] = tf.tidy(() => {
        const r = fn();
        return (Array.isArray(r) ? r : [r]).map((x) => ({ shape: x.shape, data: Array.from(x.dataSync()) }));
      });
    }
    expect(outputs.native).toEqual(outputs.cpu);
    expect(outputs.native!.length).toBeGreaterThan(0);
  }

  const shapes = [[1], [7], [3, 1, 5], [2, 3, 4, 5], [4, 1, 6, 1, 3], [33, 17], [2, 40, 3, 16]];
  const ints = (shape: number[]) =>
    tf
      .range(
        0,
        shape.reduce((a, b) => a * b, 1),
        1,
        "int32",
      )
      .reshape(shape);
  const floats = (shape: number[]) => tf.tensor(host(shape, shape.length).data, shape);

  test("Transpose: every permutation of ranks 2-4, plus rank 5 with unit dimensions, float32 and int32", async () => {
    const perms = (n: number): number[][] =>
      n === 1
        ? [[0]]
        : perms(n - 1).flatMap((p) => Array.from({ length: n }, (_, i) => [...p.slice(0, i), n - 1, ...p.slice(i)]));
    await same(() =>
      shapes.flatMap((s) =>
        (s.length <= 4
          ? perms(s.length)
          : [
              [4, 2, 0, 3, 1],
              [0, 1, 2, 4, 3],
            ]
        ).flatMap((p) => [tf.transpose(floats(s), p), tf.transpose(ints(s), p)]),
      ),
    );
  });

  test("Slice and SplitV along every axis, contiguous and strided", async () => {
    await same(() =>
      shapes.flatMap((s) =>
        s.flatMap((d, axis) => {
          const begin = s.map((_, i) => (i === axis ? Math.floor(d / 3) : 0));
          const size = s.map((x, i) => (i === axis ? Math.max(1, Math.ceil(d / 2)) : x));
          const parts = d > 1 ? [1, d - 1] : [1];
          return [
            tf.slice(floats(s), begin, size),
            tf.slice(ints(s), begin, size),
            ...tf.split(floats(s), parts, axis),
          ];
        }),
      ),
    );
  });

  test("Concat along every axis, with an empty input, float32 and int32", async () => {
    await same(() =>
      shapes.flatMap((s) =>
        s.flatMap((_, axis) => {
          const other = s.map((x, i) => (i === axis ? 2 : x));
          const empty = s.map((x, i) => (i === axis ? 0 : x));
          return [
            tf.concat([floats(s), floats(other), tf.zeros(empty)], axis),
            tf.concat([ints(other), ints(s)], axis),
          ];
        }),
      ),
    );
  });

  test("Identity and same-dtype Cast share memory safely: values survive disposal of the source, nothing leaks", async () => {
    await useBackend("native");
    const before = tf.memory();
    const x = tf.tensor([1.5, -2, 3]);
    const y = tf.clone(x);
    const z = tf.cast(x, "float32");
    const i = tf.cast(x, "int32");
    x.dispose();
    expect(Array.from(y.dataSync())).toEqual([1.5, -2, 3]);
    expect(Array.from(z.dataSync())).toEqual([1.5, -2, 3]);
    expect(Array.from(i.dataSync())).toEqual([1, -2, 3]);
    tf.dispose([y, z, i]);
    expect(tf.memory().numTensors).toBe(before.numTensors);
    expect(tf.memory().numBytes).toBe(before.numBytes);
  });
});
