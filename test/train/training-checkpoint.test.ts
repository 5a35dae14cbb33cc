// No lost work: a stopped or killed run resumes from its last good checkpoint and continues
// with exactly the loss curve of an uninterrupted run; corrupt checkpoints are named and skipped.
import * as tf from "@tensorflow/tfjs";
import { spawn } from "node:child_process";
import { mkdtemp, readdir, readFile, rm, truncate, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterEach, beforeEach, describe, expect, it } from "vitest";
import { listCheckpoints, loadLatestCheckpoint, readCheckpoint } from "../../lib/train/training-checkpoint.js";
import { resume, train } from "../../lib/train/trainer.js";
import { killRunOptions } from "./fixtures/kill-run.js";

const STEPS = 12;
let dir: string;
let reference: number[];

async function uninterrupted(): Promise<number[]> {
  const d = await mkdtemp(join(tmpdir(), "train-ref-"));
  const { model: _m, ...o } = killRunOptions(d, STEPS, 100);
  const r = await train(o);
  await rm(d, { recursive: true, force: true });
  tf.disposeVariables();
  return r.losses;
}

beforeEach(async () => {
  dir = await mkdtemp(join(tmpdir(), "train-ckpt-"));
  reference ??= await uninterrupted();
});

afterEach(async () => {
  tf.disposeVariables();
  await rm(dir, { recursive: true, force: true });
});

/** Runs until `stopAfter` steps in this process, as if it had been killed there. */
async function stoppedRun(stopAfter: number, every: number) {
  const ctl = new AbortController();
  const { model: _m, ...o } = killRunOptions(dir, STEPS, every);
  const r = await train({
    ...o,
    signal: ctl.signal,
    callbacks: { onStep: (i) => void (i.step === stopAfter && ctl.abort()) },
  });
  tf.disposeVariables();
  return r;
}

describe("checkpoints and resume", () => {
  it("a run stopped after step 7 resumes from step 6 with a bit-identical loss curve", async () => {
    const stopped = await stoppedRun(7, 3);
    expect(stopped.stopped).toBe(true);
    expect(stopped.losses).toEqual(reference.slice(0, 7));
    expect((await listCheckpoints(dir)).map((c) => c.step)).toEqual([3, 6]);
    const { model: _m, ...o } = killRunOptions(dir, STEPS, 3);
    const resumed = await resume(o);
    expect(resumed.resumedFrom).toMatch(/ckpt-00000006$/);
    expect(resumed.resources.steps).toBe(STEPS - 6);
    expect(resumed.losses).toEqual(reference);
    expect(resumed.gradNorms.filter((g) => g.layer === "model.fc2").map((g) => g.step)).toEqual(
      Array.from({ length: STEPS }, (_, i) => i + 1),
    );
    // keepLast 2, and nothing half-written left behind.
    expect((await readdir(dir)).sort()).toEqual(["ckpt-00000009", "ckpt-00000012"]);
  });

  it("a truncated newest checkpoint is named in a warning and the previous one is used", async () => {
    await stoppedRun(8, 2);
    const newest = join(dir, "ckpt-00000008");
    const file = join(newest, "trainable.safetensors");
    await truncate(file, 100);
    const warnings: string[] = [];
    const { model: _m, ...o } = killRunOptions(dir, STEPS, 2);
    const resumed = await resume({ ...o, warn: (m) => void warnings.push(m) });
    expect(warnings).toHaveLength(2);
    expect(warnings[0]).toContain(newest);
    expect(warnings[0]).toMatch(/trainable\.safetensors is truncated.*100 bytes/);
    expect(resumed.resumedFrom).toMatch(/ckpt-00000006$/);
    expect(resumed.losses).toEqual(reference);
    // Writing step 8 again set the bad folder aside instead of overwriting it.
    expect(warnings[1]).toMatch(/ckpt-00000008 existed and was moved to .*ckpt-00000008\.replaced-/);
    const aside = (await readdir(dir)).filter((n) => n.startsWith("ckpt-00000008.replaced-"));
    expect(aside).toHaveLength(1);
    expect((await readFile(join(dir, aside[0]!, "trainable.safetensors"))).byteLength).toBe(100);
  });

  it("detects a corrupted byte, a missing manifest, and starts over when nothing is good", async () => {
    await stoppedRun(4, 2);
    const [first, second] = await listCheckpoints(dir);
    const bytes = await readFile(join(second!.path, "optimizer.safetensors"));
    bytes[bytes.length - 1] ^= 0xff;
    await writeFile(join(second!.path, "optimizer.safetensors"), bytes);
    await expect(readCheckpoint(second!.path)).rejects.toThrow(/optimizer\.safetensors is corrupt: SHA-256/);
    await rm(join(first!.path, "manifest.json"));
    const warnings: string[] = [];
    expect(await loadLatestCheckpoint(dir, (m) => void warnings.push(m))).toBeNull();
    expect(warnings[0]).toMatch(/ckpt-00000004.*corrupt.*falling back to .*ckpt-00000002/);
    expect(warnings[1]).toMatch(/ckpt-00000002.*manifest\.json is missing.*no earlier checkpoint/);
    const { model: _m, ...o } = killRunOptions(dir, STEPS, 2);
    const fresh = await resume({ ...o, warn: (m) => void warnings.push(m) });
    // The resume meets both bad folders again, starts over, and sets each aside when its step comes round.
    expect(warnings[4]).toMatch(/no good checkpoint.*starting from step 0/);
    expect(warnings.slice(5)).toEqual([
      expect.stringMatching(/ckpt-00000002 existed and was moved to/),
      expect.stringMatching(/ckpt-00000004 existed and was moved to/),
    ]);
    expect(fresh.losses).toEqual(reference);
  });

  it("refuses a checkpoint whose tensors do not fit the model, naming the tensor", async () => {
    await stoppedRun(2, 2);
    const { model: _m, ...o } = killRunOptions(dir, STEPS, 2);
    const wrong = tf.variable(tf.zeros([3, 3]));
    await expect(
      resume({ ...o, trainable: { groups: () => [{ layer: "model.fc1", branch: "full", variables: [wrong] }] } }),
    ).rejects.toThrow(/trainable\.safetensors.*'model\.fc1\/full\/0' has shape \[16, 8\], the live parameter \[3, 3\]/);
  });

  it("a child process killed mid-run resumes here with the uninterrupted loss curve", async () => {
    const every = 3;
    const child = spawn(
      process.execPath,
      [
        "--import",
        "./test/train/fixtures/ts-register.mjs",
        "test/train/fixtures/train-child.ts",
        dir,
        String(STEPS),
        String(every),
      ],
      { stdio: ["ignore", "pipe", "pipe"] },
    );
    let stderr = "";
    child.stderr.on("data", (d) => (stderr += d));
    const killedAt = await new Promise<number>((resolve, reject) => {
      let out = "";
      child.stdout.on("data", (d) => {
        out += d;
        const m = [...out.matchAll(/step (\d+)\n/g)].map((x) => Number(x[1]));
        const last = m.at(-1) ?? 0;
        if (last >= 8) {
          child.kill("SIGKILL");
          resolve(last);
        }
      });
      child.on("exit", (code, signal) => {
        if (signal !== "SIGKILL") reject(new Error(`child exited ${code} before being killed:\n${out}\n${stderr}`));
      });
    });
    await new Promise((r) => child.once("close", r));
    expect(killedAt).toBeLessThan(STEPS);
    const saved = await listCheckpoints(dir);
    expect(saved.at(-1)!.step).toBeLessThan(STEPS);
    const { model: _m, ...o } = killRunOptions(dir, STEPS, every);
    const resumed = await resume(o);
    expect(resumed.resumedFrom).toContain(`ckpt-${String(saved.at(-1)!.step).padStart(8, "0")}`);
    expect(resumed.losses).toEqual(reference);
  });
});
