import { describe, expect, it } from "vitest";
import { mulberry32, mulberry32Step, permutation } from "../../lib/random/mulberry32.js";
import { runPythonJson } from "../helpers/python.js";

describe("mulberry32", () => {
  it("matches an independent Python implementation bit for bit", () => {
    const seeds = [0, 1, 42, 0xdeadbeef, 4294967295];
    const ref = runPythonJson<Record<string, number[]>>("test/reference/random_mulberry32.py", seeds.map(String));
    for (const seed of seeds) {
      const rand = mulberry32(seed);
      const ours = Array.from({ length: 64 }, () => rand());
      expect(ours).toEqual(ref[String(seed)]);
    }
  });

  it("the step function and the stream agree, so a stored state resumes the stream", () => {
    const rand = mulberry32(7);
    let state = 7;
    for (let i = 0; i < 10; i++) {
      const [next, value] = mulberry32Step(state);
      expect(value).toBe(rand());
      state = next;
    }
  });

  it("permutation is a seeded permutation of 0..n-1", () => {
    const p = permutation(100, mulberry32(3));
    expect([...p].sort((a, b) => a - b)).toEqual(Array.from({ length: 100 }, (_, i) => i));
    expect(permutation(100, mulberry32(3))).toEqual(p);
    expect(permutation(100, mulberry32(4))).not.toEqual(p);
  });
});
