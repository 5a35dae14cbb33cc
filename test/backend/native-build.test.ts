// The install-time build and what useBackend() says when it could not build: a missing compiler or
// OpenBLAS is recorded with the command that installs it, and the backend chain falls back to wasm with
// that message. The build script runs for real here, against a scratch output folder.
import * as tf from "@tensorflow/tfjs";
import { spawnSync } from "node:child_process";
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, afterEach, describe, expect, test } from "vitest";
import { nativeStatus, useBackend } from "../../lib/backend/index.js";
import { loadAddon } from "../../lib/backend/native/addon.js";
import { ROOT } from "../helpers/ensure-built.js";

const SCRIPT = join(ROOT, "scripts", "build-native.mjs");
const dirs: string[] = [];
const scratch = () => {
  const d = mkdtempSync(join(tmpdir(), "peft-native-"));
  dirs.push(d);
  return d;
};

afterEach(() => {
  delete process.env.PEFT_NATIVE_DIR;
  delete process.env.PEFT_THREADS;
});
afterAll(() => {
  for (const d of dirs) rmSync(d, { recursive: true, force: true });
});

/** Runs the build script into a scratch folder with extra environment; returns the folder and its status. */
function build(env: Record<string, string>) {
  const out = scratch();
  const r = spawnSync(process.execPath, [SCRIPT, "--out", out, "--quiet"], {
    env: { ...process.env, ...env },
    encoding: "utf8",
  });
  expect(r.status, r.stderr).toBe(0); // never fails the install
  return { out, status: JSON.parse(readFileSync(join(out, "status.json"), "utf8")) };
}

describe("a machine without the toolchain", () => {
  test("no C compiler: the build records it and the fix, and auto selection says so and uses wasm", async () => {
    const { out, status } = build({ PATH: "/nonexistent", CC: "" });
    expect(status).toMatchObject({ ok: false, missing: "a C compiler (cc)", fix: "apt-get install gcc libc6-dev" });
    process.env.PEFT_NATIVE_DIR = out;
    const choice = await useBackend();
    expect(choice.name).toBe("wasm");
    expect(tf.getBackend()).toBe("wasm");
    const native = choice.skipped.find((s) => s.name === "native");
    expect(native?.why).toBe(
      "the native backend was not built: a C compiler (cc) is missing; install it (apt-get install gcc libc6-dev), then run npm run build:native",
    );
    await expect(useBackend("native")).rejects.toThrow(
      /backend 'native' was requested but could not start: .*a C compiler/,
    );
  });

  test("no OpenBLAS: the link failure is reported as OpenBLAS missing, with the packages to install", () => {
    const { out, status } = build({
      PEFT_OPENBLAS_CFLAGS: "-I/nonexistent",
      PEFT_OPENBLAS_LIBS: "-lopenblas_not_installed",
    });
    expect(status).toMatchObject({
      ok: false,
      missing: "OpenBLAS (headers and library)",
      fix: "apt-get install libopenblas-dev libopenblas0-pthread",
    });
    expect(status.detail).toMatch(/openblas_not_installed/);
    expect(nativeStatus(out)).toEqual({
      available: false,
      reason: expect.stringContaining("OpenBLAS (headers and library) is missing"),
    });
  });

  test("never built, or a damaged status file: the message names the file and the command", () => {
    const empty = scratch();
    expect(() => loadAddon(empty)).toThrow(
      `${join(empty, "peft_native.node")} has not been built; run npm run build:native`,
    );
    const damaged = scratch();
    writeFileSync(join(damaged, "status.json"), "{ not json");
    expect(() => loadAddon(damaged)).toThrow(/status\.json is not valid JSON .*npm run build:native/);
  });
});

describe("the built addon", () => {
  test("is what auto selection picks, and reports its BLAS, kernels and threads", async () => {
    const status = JSON.parse(readFileSync(join(ROOT, "native", "build", "status.json"), "utf8"));
    expect(status.ok).toBe(true);
    const choice = await useBackend({ threads: 2 });
    expect(choice).toMatchObject({ name: "native", threads: 2, skipped: expect.any(Array) });
    expect(choice.detail).toMatch(/^OpenBLAS \d+\.\d+\.\d+ with \w+ kernels/);
    const info = loadAddon().addon.info();
    expect(info).toMatchObject({ blasThreads: 2, poolThreads: 2 });
    await useBackend({ backend: "native", threads: 1 });
    expect(loadAddon().addon.info()).toMatchObject({ blasThreads: 1, poolThreads: 1 });
  });

  test("a bad thread count is an error naming where it came from", async () => {
    await expect(useBackend({ threads: 0 })).rejects.toThrow("threads: expected a whole number >= 1, found '0'");
    process.env.PEFT_THREADS = "two";
    await expect(useBackend("wasm")).rejects.toThrow("PEFT_THREADS: expected a whole number >= 1, found 'two'");
  });

  test("offsets outside the heap are a RangeError, not a crash", () => {
    const { addon } = loadAddon();
    const heap = new ArrayBuffer(64);
    expect(() => addon.gemm(heap, 4, 4, 4, 0, 0, 1, 0, 0, 0, 0, 8, 0)).toThrow(
      /gemm C \[8, \+16\) lies outside the heap \(16 elements\)/,
    );
    expect(() => addon.copy(heap, 0, 10, new Int32Array([8, 1, 1]))).toThrow(RangeError);
    expect(() => addon.gather(heap, 0, 0, 8, 1, 4, 2, 1)).not.toThrow(); // index 0 of 4 rows
    const ids = new Int32Array(heap, 0, 1);
    ids[0] = 9;
    expect(() => addon.gather(heap, 4, 0, 12, 1, 4, 1, 1)).toThrow("GatherV2: index 9 at position 0 is not in [0, 3]");
  });
});
