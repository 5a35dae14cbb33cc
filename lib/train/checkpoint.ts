// Checkpoints that never lose work: each is written into a temporary folder, sealed with a
// manifest of sizes and SHA-256 sums, then renamed into place, so a crash leaves either the
// whole checkpoint or none. Loading verifies the manifest and falls back to the newest good one.
import { createHash } from "node:crypto";
import { mkdir, readFile, readdir, rename, rm, stat, writeFile } from "node:fs/promises";
import { join } from "node:path";
import { CheckpointError } from "../io/errors.js";
import { parseSafetensors, serializeSafetensors, type TensorToWrite } from "../io/safetensors.js";
import type { GateRecord, GradNormRecord } from "../records/types.js";
import type { DataPosition } from "./data.js";

export const CHECKPOINT_VERSION = 1;
const PREFIX = "ckpt-";
const MANIFEST = "manifest.json";

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
}

export interface CheckpointData {
  trainable: Map<string, TensorToWrite>;
  optimizer: Map<string, TensorToWrite>;
  state: TrainerState;
}

interface Manifest {
  version: number;
  step: number;
  files: Record<string, { bytes: number; sha256: string }>;
}

const sha256 = (b: Uint8Array) => createHash("sha256").update(b).digest("hex");
const folderName = (step: number) => `${PREFIX}${String(step).padStart(8, "0")}`;

/** Writes checkpoint `state.step` under `dir` atomically and removes all but the newest `keepLast`. */
export async function saveCheckpoint(dir: string, data: CheckpointData, keepLast = 3): Promise<string> {
  await mkdir(dir, { recursive: true });
  const files: Record<string, Uint8Array> = {
    "trainable.safetensors": serializeSafetensors(data.trainable),
    "optimizer.safetensors": serializeSafetensors(data.optimizer),
    "state.json": new TextEncoder().encode(JSON.stringify(data.state)),
  };
  const manifest: Manifest = { version: CHECKPOINT_VERSION, step: data.state.step, files: {} };
  const tmp = join(dir, `.tmp-${folderName(data.state.step)}-${process.pid}`);
  await rm(tmp, { recursive: true, force: true });
  await mkdir(tmp);
  for (const [name, bytes] of Object.entries(files)) {
    await writeFile(join(tmp, name), bytes);
    manifest.files[name] = { bytes: bytes.byteLength, sha256: sha256(bytes) };
  }
  // The manifest goes last: a folder without one was never completed.
  await writeFile(join(tmp, MANIFEST), JSON.stringify(manifest, null, 1));
  const final = join(dir, folderName(data.state.step));
  await rm(final, { recursive: true, force: true });
  await rename(tmp, final);
  if (keepLast > 0) {
    for (const old of (await listCheckpoints(dir)).slice(0, -keepLast))
      await rm(old.path, { recursive: true, force: true });
  }
  return final;
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
  let manifest: Manifest;
  try {
    manifest = JSON.parse(await readFile(join(path, MANIFEST), "utf8")) as Manifest;
  } catch (e) {
    throw new CheckpointError(path, `${MANIFEST} is missing or unreadable (${(e as Error).message})`);
  }
  if (manifest.version !== CHECKPOINT_VERSION) {
    throw new CheckpointError(path, `${MANIFEST}: version ${manifest.version}, expected ${CHECKPOINT_VERSION}`);
  }
  const bytes: Record<string, Uint8Array> = {};
  for (const name of ["trainable.safetensors", "optimizer.safetensors", "state.json"]) {
    const want = manifest.files?.[name];
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
    for (const [k, t] of parseSafetensors(bytes[name] as Uint8Array, join(path, name)).tensors)
      out.set(k, { shape: t.shape, data: t.data });
    return out;
  };
  return { trainable: tensors("trainable.safetensors"), optimizer: tensors("optimizer.safetensors"), state };
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
