// One build of a base model from its recipe, as `peft-nb pretrain` runs it: the environment the
// bytes depend on is recorded, the corpus and environment are compared with the shipped record
// before any training, and the built files are compared with it after.
import * as tf from "@tensorflow/tfjs";
import { mkdir } from "node:fs/promises";
import type { BackendChoice } from "../backend/select.js";
import { pretrainBaseModel, type BuildEnvironment, type PretrainReport } from "./pretrain.js";
import { recipeKey, type PretrainRecipe } from "./recipes.js";
import { compareEnvironment, compareFiles, recordFor, type ShippedRecord } from "./shipped.js";
import { corpusParts, fingerprintPart, pythonStdlibVersion, type CorpusPartFingerprint } from "./sources.js";

/** What the active backend and this machine would put in a build's record. */
export function currentEnvironment(backend: BackendChoice, recipe: PretrainRecipe): BuildEnvironment {
  return {
    backend: backend.name,
    threads: backend.threads ?? null,
    detail: backend.detail ?? null,
    node: process.version,
    tfjs: tf.version.tfjs,
    pythonStdlib: recipe.corpus.some((s) => s.source === "python-stdlib") ? pythonStdlibVersion() : null,
  };
}

/** Corpus parts whose text differs from the recorded fingerprints (cheap: no tokenizer, no model). */
export function compareCorpus(
  recorded: readonly CorpusPartFingerprint[],
  recipe: PretrainRecipe,
  dataDir?: string,
): string[] {
  const found = corpusParts(recipe.corpus, dataDir).map(fingerprintPart);
  const out: string[] = [];
  for (const r of recorded) {
    const f = found.find((p) => p.name === r.name);
    if (!f) out.push(`${r.name}: not in this recipe's corpus`);
    else if (f.sha256 !== r.sha256)
      out.push(
        `${r.name}: ${f.chars} chars, sha256 ${f.sha256.slice(0, 16)}…; recorded ${r.chars} chars, ${r.sha256.slice(0, 16)}…`,
      );
  }
  for (const f of found) if (!recorded.some((r) => r.name === f.name)) out.push(`${f.name}: not in the record`);
  return out;
}

/** Why a rebuild here would not repeat the record's bytes (empty: it should). */
export function rebuildHazards(
  record: ShippedRecord,
  recipe: PretrainRecipe,
  env: BuildEnvironment,
  dataDir?: string,
): string[] {
  const hazards: string[] = [];
  const key = recipeKey(recipe, record.seed, env.backend);
  if (key !== record.key)
    hazards.push(`recipe: the record was built as ${record.key}, this recipe and backend give ${key}`);
  hazards.push(...compareEnvironment(record.environment, env).map((d) => `environment ${d}`));
  hazards.push(...compareCorpus(record.corpus, recipe, dataDir).map((d) => `corpus ${d}`));
  return hazards;
}

export interface BuildOptions {
  recipe: PretrainRecipe;
  seed: number;
  out: string;
  environment: BuildEnvironment;
  dataDir?: string;
  /** Durable training checkpoints here; rerunning the build resumes from the newest. */
  checkpointDir?: string;
  progress?: boolean;
}

export interface BuildResult {
  report: PretrainReport;
  record: ShippedRecord;
}

export async function buildBaseModel(o: BuildOptions): Promise<BuildResult> {
  await mkdir(o.out, { recursive: true });
  const report = await pretrainBaseModel(o.out, o.recipe, o.seed, {
    key: recipeKey(o.recipe, o.seed, o.environment.backend),
    environment: o.environment,
    progress: o.progress ?? false,
    ...(o.dataDir ? { dataDir: o.dataDir } : {}),
    ...(o.checkpointDir ? { checkpoint: { dir: o.checkpointDir, every: 100 } } : {}),
  });
  return { report, record: recordFor(o.out, report) };
}

/** Files of a build that differ from a record (empty: byte-identical). */
export function compareWithRecord(built: ShippedRecord, recorded: ShippedRecord): string[] {
  return compareFiles(recorded.files, built.files);
}
