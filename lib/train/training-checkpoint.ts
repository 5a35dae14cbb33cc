// Checkpoints that never lose work: each is written into a temporary folder, every file and the
// folder fsynced, sealed with a manifest of sizes and SHA-256 sums, renamed into place and the
// parent folder fsynced, so a crash or a power cut leaves either the whole checkpoint or none.
// Loading verifies the manifest against the files and the folder name and falls back to the
// newest good checkpoint; a bad one is set aside under a new name, never overwritten.
import { createHash } from "node:crypto";
import { mkdir, open, readFile, readdir, rename, rm, stat } from "node:fs/promises";
import { basename, dirname, join, resolve } from "node:path";
import { CheckpointError } from "../io/errors.js";
import { parseSafetensors, serializeSafetensors, type TensorToWrite } from "../io/safetensors.js";
import type { GateRecord, GradNormRecord } from "../records/types.js";
import type { DataPosition } from "./data.js";
import type { TrainPlan } from "./plan.js";

/** 2 added trainable-state.safetensors and the training plan; version 1 checkpoints are still read. */
export const CHECKPOINT_VERSION = 2;
const PREFIX = "ckpt-";
const MANIFEST = "manifest.json";
const FILES_V1 = ["trainable.safetensors", "optimizer.safetensors", "state.json"];
const FILES_V2 = [...FILES_V1, "trainable-state.safetensors"];

/** The trainer's small state: everything but the tensors. */
export interface TrainerState {
  /** Optimiser steps completed. */
  step: number;
  rngState: number;
  data: DataPosition;
  optimizer: { name: string; scalars: Record<string, number> };
  losses: number[];
  lrs: number[];
  evals: Array<{ step: number; metrics: Record<string, number> }>;
  gradNorms: GradNormRecord[];
  gates: GateRecord[];
  tokens: number;
  /** Trainable.checkpointState(), when the set has state beyond its variables. */
  extra?: Record<string, unknown>;
  /** Total steps, schedule and update rule of the run (absent in version 1 checkpoints). */
  plan?: TrainPlan;
}

export interface CheckpointData {
  trainable: Map<string, TensorToWrite>;
  optimizer: Map<string, TensorToWrite>;
  state: TrainerState;
  /** Trainable.checkpointTensors(): tensors of the set's state that are not variables (e.g. LoRA-GA's B₀, A₀). */
  trainableState?: Map<string, TensorToWrite>;
}

interface Manifest {
  version: number;
  step: number;
  files: Record<string, { bytes: number; sha256: string }>;
}

/** Where a checkpoint write is; `onPhase` sees each one (fault-injection tests kill the process there). */
export type CheckpointPhase =
  | { phase: "file"; step: number; file: string }
  | { phase: "sealed"; step: number }
  | { phase: "renamed"; step: number }
  | { phase: "pruned"; step: number; removed: string };

export interface SaveCheckpointOptions {
  /** Keep the newest `keepLast` checkpoints (default 3; 0 keeps all). */
  keepLast?: number;
  onPhase?: (p: CheckpointPhase) => void | Promise<void>;
  /** Told when a bad checkpoint of the same step is set aside. */
  warn?: (message: string) => void;
}

const TMP_PREFIX = ".tmp-";
const TMP_RE = /^\.tmp-ckpt-\d+-(\d+)$/;

function alive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch (e) {
    return (e as NodeJS.ErrnoException).code === "EPERM";
  }
}

/** Temporary folders of writers that died mid-write (killed, crashed): never a checkpoint, only debris. */
async function removeStaleTemps(dir: string): Promise<void> {
  for (const name of await readdir(dir)) {
    const m = TMP_RE.exec(name);
    const pid = m ? Number(m[1]) : 0;
    if (m && pid !== process.pid && !alive(pid)) await rm(join(dir, name), { recursive: true, force: true });
  }
}

const sha256 = (b: Uint8Array) => createHash("sha256").update(b).digest("hex");
const folderName = (step: number) => `${PREFIX}${String(step).padStart(8, "0")}`;

/** Writes and fsyncs a file, so its bytes are on disk before anything refers to it. */
async function writeDurable(path: string, bytes: Uint8Array | string): Promise<void> {
  const fh = await open(path, "w");
  try {
    await fh.writeFile(bytes);
    await fh.sync();
  } finally {
    await fh.close();
  }
}

/** fsyncs a folder, making the names created, renamed or removed in it durable. */
async function syncDir(dir: string): Promise<void> {
  let fh: Awaited<ReturnType<typeof open>>;
  try {
    fh = await open(dir, "r");
  } catch (e) {
    // Platforms that cannot open a folder (Windows) have no folder fsync to do.
    if (["EISDIR", "EPERM", "EACCES"].includes((e as NodeJS.ErrnoException).code ?? "")) return;
    throw e;
  }
  try {
    await fh.sync();
  } catch (e) {
    if (!["EINVAL", "ENOTSUP", "EBADF"].includes((e as NodeJS.ErrnoException).code ?? "")) throw e;
  } finally {
    await fh.close();
  }
}

/** Creates `dir` (and its parents) and makes each new name durable in the folder above it. */
async function mkdirDurable(dir: string): Promise<void> {
  const made = await mkdir(dir, { recursive: true });
  if (!made) return;
  const first = resolve(made);
  const created = [resolve(dir)];
  for (let d = created[0] as string; d !== first && dirname(d) !== d; d = dirname(d)) created.unshift(dirname(d));
  for (const d of created) await syncDir(dirname(d));
}

/**
 * Writes checkpoint `state.step` under `dir` atomically and durably and removes all but the newest
 * `keepLast` (a number, for the older signature, or options).
 */
export async function saveCheckpoint(
  dir: string,
  data: CheckpointData,
  options: number | SaveCheckpointOptions = {},
): Promise<string> {
  const o = typeof options === "number" ? { keepLast: options } : options;
  const keepLast = o.keepLast ?? 3;
  const step = data.state.step;
  await mkdirDurable(dir);
  const files: Record<string, Uint8Array> = {
    "trainable.safetensors": serializeSafetensors(data.trainable),
    "optimizer.safetensors": serializeSafetensors(data.optimizer),
    "state.json": new TextEncoder().encode(JSON.stringify(data.state)),
    "trainable-state.safetensors": serializeSafetensors(data.trainableState ?? new Map()),
  };
  const manifest: Manifest = { version: CHECKPOINT_VERSION, step, files: {} };
  const tmp = join(dir, `${TMP_PREFIX}${folderName(step)}-${process.pid}`);
  await removeStaleTemps(dir);
  await rm(tmp, { recursive: true, force: true });
  await mkdir(tmp);
  for (const [name, bytes] of Object.entries(files)) {
    await writeDurable(join(tmp, name), bytes);
    manifest.files[name] = { bytes: bytes.byteLength, sha256: sha256(bytes) };
    await o.onPhase?.({ phase: "file", step, file: name });
  }
  // The manifest goes last: a folder without one was never completed.
  await writeDurable(join(tmp, MANIFEST), JSON.stringify(manifest, null, 1));
  await syncDir(tmp);
  await o.onPhase?.({ phase: "sealed", step });
  const final = join(dir, folderName(step));
  await setAside(final, o.warn);
  await rename(tmp, final);
  await syncDir(dir);
  await o.onPhase?.({ phase: "renamed", step });
  if (keepLast > 0) {
    // Only older ones: a newer folder is one a resume skipped as bad, set aside when its step comes.
    const upToNow = (await listCheckpoints(dir)).filter((c) => c.step <= step);
    for (const old of upToNow.slice(0, -keepLast)) {
      await rm(old.path, { recursive: true, force: true });
      await o.onPhase?.({ phase: "pruned", step, removed: old.path });
    }
    await syncDir(dir);
  }
  return final;
}

/**
 * A folder already named like the checkpoint being written is one a resume skipped as bad (or one
 * of an earlier run in the same folder): renamed to `<name>.replaced-<time>`, never deleted.
 */
async function setAside(final: string, warn?: (message: string) => void): Promise<void> {
  if (!(await stat(final).catch(() => null))) return;
  const aside = `${final}.replaced-${new Date().toISOString().replace(/[:.]/g, "-")}`;
  await rename(final, aside);
  warn?.(`checkpoint ${final} existed and was moved to ${aside} before writing the new one`);
}

/** Checkpoint folders under `dir`, oldest first (unverified). */
export async function listCheckpoints(dir: string): Promise<Array<{ step: number; path: string }>> {
  let names: string[];
  try {
    names = await readdir(dir);
  } catch (e) {
    if ((e as NodeJS.ErrnoException).code === "ENOENT") return [];
    throw e;
  }
  return names
    .filter((n) => n.startsWith(PREFIX) && /^\d+$/.test(n.slice(PREFIX.length)))
    .map((n) => ({ step: Number(n.slice(PREFIX.length)), path: join(dir, n) }))
    .sort((a, b) => a.step - b.step);
}

/** Reads one checkpoint, verifying every file against the manifest; throws CheckpointError (lib/io) naming the bad part. */
export async function readCheckpoint(path: string): Promise<CheckpointData> {
  let text: string;
  try {
    text = await readFile(join(path, MANIFEST), "utf8");
  } catch (e) {
    throw new CheckpointError(path, `${MANIFEST} is missing or unreadable (${(e as Error).message})`);
  }
  let manifest: Manifest;
  try {
    manifest = JSON.parse(text) as Manifest;
  } catch (e) {
    throw new CheckpointError(path, `${MANIFEST} is not valid JSON, truncated or corrupt (${(e as Error).message})`);
  }
  if (manifest === null || typeof manifest !== "object" || typeof manifest.files !== "object" || !manifest.files)
    throw new CheckpointError(path, `${MANIFEST} must be an object with version, step and files`);
  if (manifest.version !== 1 && manifest.version !== CHECKPOINT_VERSION) {
    throw new CheckpointError(
      path,
      `${MANIFEST}: version ${manifest.version}, expected ${CHECKPOINT_VERSION} (or 1, still read)`,
    );
  }
  const folder = /^ckpt-(\d+)$/.exec(basename(path));
  if (folder && Number(folder[1]) !== manifest.step)
    throw new CheckpointError(
      path,
      `${MANIFEST} says step ${manifest.step} but the folder is named for step ${Number(folder[1])}`,
    );
  const bytes: Record<string, Uint8Array> = {};
  for (const name of manifest.version === 1 ? FILES_V1 : FILES_V2) {
    const want = manifest.files[name];
    if (!want) throw new CheckpointError(path, `${MANIFEST} does not list ${name}`);
    const file = join(path, name);
    let b: Uint8Array;
    try {
      b = await readFile(file);
    } catch {
      throw new CheckpointError(path, `${name} is missing`);
    }
    if (b.byteLength !== want.bytes)
      throw new CheckpointError(
        path,
        `${name} is truncated or padded: ${b.byteLength} bytes, manifest says ${want.bytes}`,
      );
    if (sha256(b) !== want.sha256)
      throw new CheckpointError(path, `${name} is corrupt: SHA-256 differs from the manifest`);
    bytes[name] = b;
  }
  const state = JSON.parse(new TextDecoder().decode(bytes["state.json"])) as TrainerState;
  if (state.step !== manifest.step)
    throw new CheckpointError(path, `state.json step ${state.step} differs from manifest step ${manifest.step}`);
  const tensors = (name: string) => {
    const out = new Map<string, TensorToWrite>();
    const b = bytes[name];
    if (!b) return out;
    for (const [k, t] of parseSafetensors(b, join(path, name)).tensors) out.set(k, { shape: t.shape, data: t.data });
    return out;
  };
  return {
    trainable: tensors("trainable.safetensors"),
    optimizer: tensors("optimizer.safetensors"),
    state,
    trainableState: tensors("trainable-state.safetensors"),
  };
}

/**
 * The newest checkpoint that verifies; each bad one met on the way is reported through `warn`
 * with its path and what is wrong. Null when there is no good checkpoint.
 */
export async function loadLatestCheckpoint(
  dir: string,
  warn: (message: string) => void = (m) => console.warn(m),
): Promise<(CheckpointData & { path: string }) | null> {
  const all = await listCheckpoints(dir);
  for (let i = all.length - 1; i >= 0; i--) {
    const { path } = all[i] as { path: string };
    try {
      if (!(await stat(path)).isDirectory()) continue;
      return { ...(await readCheckpoint(path)), path };
    } catch (e) {
      const msg = e instanceof CheckpointError ? e.message : `${path}: ${(e as Error).message}`;
      warn(`${msg}; ${i > 0 ? `falling back to ${(all[i - 1] as { path: string }).path}` : "no earlier checkpoint"}`);
    }
  }
  return null;
}
