// The run cache's key: everything that decides a run's result. The options with every default
// applied (resolveRunOptions, so the defaults have one owner), the contents of the base model
// and of the task's data files, the MT-Bench judge (endpoint and model) when a run is judged, the library's package version and the code runMethod reaches,
// the tfjs version and the backend. Changing any of them is a cache miss, never a stale hit.
import * as tf from "@tensorflow/tfjs";
import { createHash } from "node:crypto";
import { existsSync, readFileSync } from "node:fs";
import { dirname, join } from "node:path";
import { fileURLToPath } from "node:url";
import { glueFile } from "../data/glue.js";
import { canonicalJson } from "../io/canonical-json.js";
import { dataDir } from "../data/paths.js";
import { projectRoot } from "../project-root.js";
import { resolveRunOptions, type ResolvedRunOptions, type RunMethodOptions } from "../experiments/run-method.js";
import { isGenerativeTask, type RunTask } from "../experiments/tasks.js";
import { judgeFromEnv } from "../eval/judge.js";
import { fileDigest, moduleClosureDigest, modelFolderDigest } from "./fingerprint.js";

/** Bumped when the cached file's layout changes (the code fingerprint covers behaviour changes). */
export const RUN_CACHE_VERSION = 3;

/** The module whose import closure is the code a run executes. */
function runMethodModule(): string {
  const js = fileURLToPath(new URL("../experiments/run-method.js", import.meta.url));
  return existsSync(js) ? js : `${js.slice(0, -3)}.ts`;
}

let codeVersion: { package: string; code: string } | undefined;

/**
 * peft-notebook's package version and a digest of the library code runMethod executes. Read once
 * per process, at first use: the code this process loaded, even if the files change under it.
 */
export function runCodeVersion(): { package: string; code: string } {
  if (codeVersion) return codeVersion;
  const pkg = JSON.parse(readFileSync(join(projectRoot(), "package.json"), "utf8")) as { version: string };
  const entry = runMethodModule();
  // Paths relative to lib/ (or dist/lib/): the same code in another checkout has the same digest.
  codeVersion = { package: pkg.version, code: moduleClosureDigest(entry, dirname(dirname(entry))) };
  return codeVersion;
}

/** The data files a run reads: a GLUE task's train and dev, or every file a GSM8K run trains on or generates for. */
function dataFiles(task: RunTask): string[] {
  if (isGenerativeTask(task))
    return ["gsm8k/train.jsonl", "gsm8k/test.jsonl", "humaneval/HumanEval.jsonl", "mtbench/question.jsonl"];
  return [glueFile(task, "train"), glueFile(task, "dev")];
}

/** Contents of the task's data files (null for a file that is not there). */
function dataDigest(task: RunTask, dir: string | undefined): Record<string, string | null> {
  let root: string | null;
  try {
    root = dir ?? dataDir();
  } catch {
    root = null;
  }
  const out: Record<string, string | null> = {};
  for (const rel of dataFiles(task)) out[rel] = root ? fileDigest(join(root, rel)) : null;
  return out;
}

/** Which judge scores MT-Bench (endpoint and model; never the key), when a run asks for MT-Bench. */
function judgeIdentity(o: ResolvedRunOptions): { baseUrl: string; model: string } | null {
  if (!o.generation || o.generation.mtbench === 0) return null;
  const j = judgeFromEnv();
  return j ? { baseUrl: j.baseUrl, model: j.model } : null;
}

/** The material the key hashes, exposed so a test (or a curious user) can see what a run depends on. */
export function runKeyMaterial(o: RunMethodOptions): Record<string, unknown> {
  const resolved = resolveRunOptions(o);
  const { baseDir, dataDir: data, progress: _progress, ...options } = resolved;
  const judge = judgeIdentity(resolved);
  return {
    cache: RUN_CACHE_VERSION,
    options,
    ...(judge ? { judge } : {}),
    base: modelFolderDigest(baseDir),
    data: dataDigest(o.task, data),
    library: runCodeVersion(),
    tfjs: tf.version,
    backend: tf.getBackend(),
  };
}

/** `<method>-<task>-s<seed>-<16 hex digits>`: readable prefix, hash of runKeyMaterial. */
export function runKey(o: RunMethodOptions): string {
  const hash = createHash("sha256")
    .update(canonicalJson(runKeyMaterial(o)))
    .digest("hex")
    .slice(0, 16);
  return `${o.method}-${o.task}-s${o.seed ?? 0}-${hash}`;
}
