// Resolves the data directory. It is a setting, never baked in: PEFT_DATA_DIR wins, else the shared
// folder next to the project checkout (the layout of the development machines).
import { existsSync, statSync } from "node:fs";
import { join, resolve } from "node:path";
import { projectRoot } from "../project-root.js";
import { describeSources } from "./sources.js";

/**
 * Root of the project's caches (pre-trained base models, reproduction runs): env PEFT_CACHE_DIR,
 * else `<project root>/.cache`. Tests point it at a temporary folder.
 */
export function cacheRoot(): string {
  const env = process.env.PEFT_CACHE_DIR;
  return env ? resolve(env) : join(projectRoot(), ".cache");
}

/** The data directory: env PEFT_DATA_DIR, else `<project root>/../shared/data` when it exists. */
export function dataDir(): string {
  const env = process.env.PEFT_DATA_DIR;
  if (env !== undefined && env !== "") {
    if (!isDir(env)) {
      throw new Error(`PEFT_DATA_DIR=${env} is not a directory.\nExpected files:\n${describeSources()}`);
    }
    return resolve(env);
  }
  const shared = resolve(projectRoot(), "..", "shared", "data");
  if (isDir(shared)) return shared;
  throw new Error(
    `no data directory: PEFT_DATA_DIR is unset and ${shared} does not exist.\n` +
      `Set PEFT_DATA_DIR to a folder holding these files (see docs/data.md):\n${describeSources()}`,
  );
}

/** Absolute path of `rel` under `dir` (default dataDir()); a missing file names where to get it. */
export function dataFile(rel: string, dir?: string): string {
  const root = dir ?? dataDir();
  const p = join(root, rel);
  if (!existsSync(p)) {
    throw new Error(`missing data file ${p}\nFetch it from:\n${describeSources([rel])}\n(see docs/data.md)`);
  }
  return p;
}

function isDir(p: string): boolean {
  try {
    return statSync(p).isDirectory();
  } catch {
    return false;
  }
}
