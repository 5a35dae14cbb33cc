import { mkdtempSync } from "node:fs";
import { tmpdir } from "node:os";
import { join, resolve } from "node:path";
import { afterEach, expect, test } from "vitest";
import { dataDir } from "../../lib/data/paths.js";
import { projectRoot } from "../../lib/project-root.js";
import { seededPermutation, subsample } from "../../lib/data/sample.js";

const saved = process.env.PEFT_DATA_DIR;
afterEach(() => {
  if (saved === undefined) delete process.env.PEFT_DATA_DIR;
  else process.env.PEFT_DATA_DIR = saved;
});

test("dataDir: PEFT_DATA_DIR wins; else ../shared/data next to the project", () => {
  const d = mkdtempSync(join(tmpdir(), "peft-dd-"));
  process.env.PEFT_DATA_DIR = d;
  expect(dataDir()).toBe(resolve(d));
  delete process.env.PEFT_DATA_DIR;
  expect(dataDir()).toBe(resolve(projectRoot(), "..", "shared", "data"));
});

test("dataDir: a bad PEFT_DATA_DIR lists every expected file and its source", () => {
  process.env.PEFT_DATA_DIR = "/nonexistent/peft-data";
  expect(() => dataDir()).toThrow(
    /PEFT_DATA_DIR=\/nonexistent\/peft-data is not a directory[\s\S]*gsm8k\/test\.jsonl <- github\.com\/openai\/grade-school-math[\s\S]*glue\/cola\/dev\.tsv <- github\.com\/nyu-mll\/CoLA-baselines/,
  );
});

test("subsample: seeded, deterministic, without replacement, in file order", () => {
  const items = Array.from({ length: 1000 }, (_, i) => i);
  const a = subsample(items, 50, 3);
  expect(subsample(items, 50, 3)).toEqual(a);
  expect(new Set(a).size).toBe(50);
  expect([...a].sort((x, y) => x - y)).toEqual(a);
  expect(subsample(items, 50, 4)).not.toEqual(a);
  expect(subsample(items, undefined, 3)).toEqual(items);
  expect(subsample(items, 5000, 3)).toEqual(items);
  expect(() => subsample(items, -1, 0)).toThrow(/limit must be a non-negative integer, found -1/);
});

test("seededPermutation is a permutation and roughly uniform", () => {
  const p = seededPermutation(100, 1);
  expect([...p].sort((a, b) => a - b)).toEqual(Array.from({ length: 100 }, (_, i) => i));
  // position of element 0 over many seeds: each of 4 positions about 1/4 of the time
  const counts = [0, 0, 0, 0];
  for (let s = 0; s < 4000; s++) counts[seededPermutation(4, s).indexOf(0)]++;
  for (const c of counts) expect(Math.abs(c - 1000)).toBeLessThan(150);
});
