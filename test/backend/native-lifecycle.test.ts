// The native backend is the wasm backend's instance under a second name: resetting the engine or removing
// either name must dispose that instance once, and leave whatever remains working.
import * as tf from "@tensorflow/tfjs";
import { expect, test } from "vitest";
import { useBackend } from "../../lib/backend/index.js";

const product = () => tf.tidy(() => Array.from(tf.matMul(tf.ones([2, 3]), tf.fill([3, 2], 2)).dataSync()));

test("engine reset, then removing native, leaves wasm working, and native comes back", async () => {
  await useBackend("native");
  tf.tensor([1, 2, 3]); // something for reset() to dispose
  tf.engine().reset(); // both registry names point at one instance: a second dispose would throw
  await useBackend("native");
  expect(product()).toEqual([6, 6, 6, 6]);
  tf.removeBackend("native");
  expect(tf.engine().registry.wasm).toBeDefined();
  await useBackend("wasm");
  expect(product()).toEqual([6, 6, 6, 6]);
  await useBackend("native");
  expect(tf.getBackend()).toBe("native");
  expect(product()).toEqual([6, 6, 6, 6]);
});
