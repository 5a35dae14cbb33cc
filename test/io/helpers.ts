// Small shared pieces for the io tests: a seeded generator and temp folders.
import { mkdtemp, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import type { TensorToWrite } from "../../lib/io/safetensors.js";

import { mulberry32 as seeded } from "../../lib/random/mulberry32.js";

export { seeded };

export function randomTensor(shape: number[], rand: () => number): TensorToWrite {
  const n = shape.reduce((a, b) => a * b, 1);
  return { shape, data: Float32Array.from({ length: n }, () => (rand() - 0.5) * 4) };
}

const dirs: string[] = [];
export async function tempDir(prefix = "io-test-"): Promise<string> {
  const d = await mkdtemp(join(tmpdir(), prefix));
  dirs.push(d);
  return d;
}
export async function cleanTempDirs(): Promise<void> {
  await Promise.all(dirs.splice(0).map((d) => rm(d, { recursive: true, force: true })));
}

/** The f32 bit patterns, so comparisons are exact and NaN/-0 count. */
export function bits(data: Float32Array): number[] {
  return Array.from(new Uint32Array(data.buffer, data.byteOffset, data.length));
}
