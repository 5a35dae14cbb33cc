// (IA)³: identity at attach, merge equals the adapted output, save → load reproduces it.
import * as tf from "@tensorflow/tfjs";
import { mkdtemp, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { expect, it } from "vitest";
import { attach, loadAdapter } from "../../lib/adapters/index.js";
import { inputs, maxAbsDiff, Mlp } from "./host.js";

it("ia3: identity at attach, merge ≡ adapted, files round-trip", async () => {
  const model = new Mlp([16, 32, 16], 3);
  const x = inputs(4, 16, 1);
  const before = model.forward(x);
  const att = attach(model, { method: "ia3", targets: ["up_proj", "down_proj"] });
  expect(maxAbsDiff(model.forward(x), before)).toBe(0);
  for (const v of att.variables()) v.assign(tf.add(v, inputs(1, v.size, 5).reshape(v.shape)));
  const adapted = model.forward(x);
  expect(maxAbsDiff(adapted, before)).toBeGreaterThan(1e-3);
  att.merge();
  expect(maxAbsDiff(model.forward(x), adapted)).toBeLessThan(1e-5);
  att.unmerge();
  const dir = await mkdtemp(join(tmpdir(), "ia3-"));
  await att.save(dir);
  att.detach();
  const fresh = new Mlp([16, 32, 16], 3);
  const loaded = await loadAdapter(fresh, dir);
  expect(loaded.method).toBe("ia3");
  expect(maxAbsDiff(fresh.forward(x), adapted)).toBeLessThan(1e-6);
  await rm(dir, { recursive: true });
});
