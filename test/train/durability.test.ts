// Checkpoints survive a power cut, not only a killed process: every file and the folder holding
// them reach the disk (fsync) before the rename that publishes the checkpoint, and the parent
// folder is fsynced after it. A process can only see this in its system calls, so the write runs
// under strace (Debian's strace, installed by scripts/system-deps.sh).
import { spawnSync } from "node:child_process";
import { mkdtempSync, readFileSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, beforeAll, expect, it } from "vitest";
import { ensureBuilt, ROOT } from "../helpers/ensure-built.js";

const work = mkdtempSync(join(tmpdir(), "ckpt-fsync-"));
beforeAll(ensureBuilt);
afterAll(() => rmSync(work, { recursive: true, force: true }));

const SCRIPT = `
const { saveCheckpoint } = await import(${JSON.stringify(join(ROOT, "dist", "lib", "train", "training-checkpoint.js"))});
const state = { step: 3, rngState: 1, data: {}, optimizer: { name: "AdamW", scalars: {} }, losses: [1], lrs: [0.1],
  evals: [], gradNorms: [], gates: [], tokens: 0 };
const t = { shape: [2], data: new Float32Array([1, 2]) };
await saveCheckpoint(process.argv[1], { trainable: new Map([["w", t]]), optimizer: new Map(), state,
  trainableState: new Map([["a0", t]]) });
`;

it("fsyncs each file and the new folder before the rename, the parent folder after it", () => {
  const dir = join(work, "nested", "checkpoints");
  const log = join(work, "strace.txt");
  const trace = ["-f", "-y", "-e", "trace=fsync,fdatasync,rename,renameat,renameat2", "-o", log];
  const run = spawnSync("strace", [...trace, process.execPath, "--input-type=module", "-e", SCRIPT, dir], {
    encoding: "utf8",
  });
  expect(run.status, run.stderr).toBe(0);
  // "fsync(18</path>) = 0" and 'rename("/from", "/to") = 0', in the order they completed.
  const events = readFileSync(log, "utf8")
    .split("\n")
    .flatMap((line) => {
      const f = /\b(?:fsync|fdatasync)\(\d+<([^>]+)>\)\s+=\s+0/.exec(line);
      if (f) return [{ kind: "fsync", path: f[1] as string }];
      const m = /\brename(?:at2?)?\(.*?"([^"]+)",.*?"([^"]+)".*=\s+0/.exec(line);
      return m ? [{ kind: "rename", path: m[1] as string, to: m[2] as string }] : [];
    })
    .filter((e) => e.path.startsWith(work));
  const publish = events.findIndex((e) => e.kind === "rename" && e.to === join(dir, "ckpt-00000003"));
  expect(publish).toBeGreaterThan(0);
  const tmp = events[publish]!.path;
  const synced = (path: string) => events.findIndex((e) => e.kind === "fsync" && e.path === path);
  for (const f of [
    "trainable.safetensors",
    "optimizer.safetensors",
    "state.json",
    "trainable-state.safetensors",
    "manifest.json",
  ]) {
    expect(synced(join(tmp, f)), f).toBeGreaterThanOrEqual(0);
    expect(synced(join(tmp, f)), f).toBeLessThan(publish);
  }
  expect(synced(tmp)).toBeGreaterThanOrEqual(0);
  expect(synced(tmp)).toBeLessThan(publish);
  expect(events.slice(publish + 1).some((e) => e.kind === "fsync" && e.path === dir)).toBe(true);
  // The folders it created are durable in their parents too.
  expect(synced(join(work, "nested"))).toBeGreaterThanOrEqual(0);
  expect(synced(work)).toBeGreaterThanOrEqual(0);
});
