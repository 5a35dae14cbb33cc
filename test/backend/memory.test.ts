import * as tf from "@tensorflow/tfjs";
import { expect, test } from "vitest";
import { MemoryMeter, timed, useBackend } from "../../lib/backend/index.js";

test("the meter tracks tensor bytes now and the peak since reset", async () => {
  await useBackend("wasm");
  const meter = new MemoryMeter();
  meter.reset();
  const base = meter.sample();
  const big = tf.zeros([1000]); // 4000 bytes
  const during = meter.sample();
  big.dispose();
  const after = meter.sample();
  expect(during.tensorBytes - base.tensorBytes).toBe(4000);
  expect(after.tensorBytes).toBe(base.tensorBytes);
  expect(after.peakTensorBytes).toBe(during.tensorBytes);
  expect(after.numTensors).toBe(base.numTensors);
  expect(after.rssBytes).toBeGreaterThan(0);
  const { result, ms } = await timed(() => 42);
  expect(result).toBe(42);
  expect(ms).toBeGreaterThanOrEqual(0);
});
