// The base model shipped in the repository (models/base-small): pre-training it takes longer than
// a notebook's budget, so it is built once by `peft-nb pretrain` and committed with a record of
// what its bytes depend on (recipe, corpus fingerprints, environment) and the hash of every file.
import { createHash } from "node:crypto";
import { existsSync, readFileSync } from "node:fs";
import { readFile, writeFile } from "node:fs/promises";
import { join } from "node:path";
import { projectRoot } from "../project-root.js";
import type { BuildEnvironment, PretrainReport } from "./pretrain.js";
import type { PretrainRecipe } from "./recipes.js";
import type { CorpusPartFingerprint } from "./sources.js";

export const RECORD_FILE = "record.json";

/** The files whose bytes a rebuild must repeat (pretrain.json holds timings, so it is not one of them). */
export const MODEL_FILES = ["config.json", "model.safetensors", "tokenizer.json", "tokenizer_config.json"] as const;

export interface FileHash {
  bytes: number;
  sha256: string;
}

export interface ShippedRecord {
  /** recipeKey() of the build: the recipe, seed, backend and pipeline version it came from. */
  key: string;
  seed: number;
  recipe: PretrainRecipe;
  environment: BuildEnvironment;
  corpus: CorpusPartFingerprint[];
  files: Record<string, FileHash>;
}

/** The shipped folder of a scale, or null when none is shipped (smoke is built on the fly). */
export function shippedBaseDir(scale: string, root = projectRoot()): string | null {
  return scale === "small" ? join(root, "models", "base-small") : null;
}

export function hashFile(file: string): FileHash {
  const data = readFileSync(file);
  return { bytes: data.length, sha256: createHash("sha256").update(data).digest("hex") };
}

export function hashModelFiles(dir: string): Record<string, FileHash> {
  const out: Record<string, FileHash> = {};
  for (const f of MODEL_FILES) {
    const path = join(dir, f);
    if (!existsSync(path)) throw new Error(`${path}: missing (a base model folder holds ${MODEL_FILES.join(", ")})`);
    out[f] = hashFile(path);
  }
  return out;
}

/** A record for a freshly built folder, from its pre-training report. */
export function recordFor(dir: string, report: PretrainReport): ShippedRecord {
  if (!report.environment)
    throw new Error(`${dir}: the build recorded no environment (build it with peft-nb pretrain)`);
  return {
    key: report.key,
    seed: report.seed,
    recipe: report.recipe,
    environment: report.environment,
    corpus: report.parts.map(({ name, chars, sha256 }) => ({ name, chars, sha256 })),
    files: hashModelFiles(dir),
  };
}

export async function writeRecord(dir: string, record: ShippedRecord): Promise<void> {
  await writeFile(join(dir, RECORD_FILE), `${JSON.stringify(record, null, 2)}\n`);
}

export async function readRecord(dir: string): Promise<ShippedRecord> {
  const file = join(dir, RECORD_FILE);
  let raw: string;
  try {
    raw = await readFile(file, "utf8");
  } catch {
    throw new Error(`${file}: not found (a shipped base model folder holds its record; rebuild with peft-nb pretrain)`);
  }
  try {
    return JSON.parse(raw) as ShippedRecord;
  } catch (err) {
    throw new Error(`${file}: not valid JSON (${(err as Error).message})`);
  }
}

/** One line per file whose bytes differ from `expected` (empty: all match). */
export function compareFiles(expected: Record<string, FileHash>, found: Record<string, FileHash>): string[] {
  const out: string[] = [];
  for (const [name, e] of Object.entries(expected)) {
    const f = found[name];
    if (!f) out.push(`${name}: missing`);
    else if (f.sha256 !== e.sha256)
      out.push(
        `${name}: sha256 ${f.sha256.slice(0, 16)}… (${f.bytes} bytes), recorded ${e.sha256.slice(0, 16)}… (${e.bytes} bytes)`,
      );
  }
  return out;
}

/** Fields of the environment that differ from the recorded one: where they do, the bytes would too. */
export function compareEnvironment(recorded: BuildEnvironment, current: BuildEnvironment): string[] {
  const out: string[] = [];
  for (const k of Object.keys(recorded) as (keyof BuildEnvironment)[]) {
    if (recorded[k] !== current[k])
      out.push(`${k}: recorded ${JSON.stringify(recorded[k])}, here ${JSON.stringify(current[k])}`);
  }
  return out;
}

/** Fails with every file that differs from the folder's record (a corrupt or hand-edited model). */
export async function verifyShipped(dir: string): Promise<ShippedRecord> {
  const record = await readRecord(dir);
  const diff = compareFiles(record.files, hashModelFiles(dir));
  if (diff.length)
    throw new Error(
      `${dir}: the shipped base model does not match its ${RECORD_FILE}:\n  ${diff.join("\n  ")}\nRestore it (git checkout -- ${dir}) or rebuild it with \`peft-nb pretrain\`.`,
    );
  return record;
}
