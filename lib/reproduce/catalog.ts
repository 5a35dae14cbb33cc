// The reproductions the pipeline knows, in report order. Each is a notebook in reproductions/.
import { existsSync, readdirSync } from "node:fs";
import { basename, join } from "node:path";

export const SCALES = ["smoke", "small", "full"] as const;
export type Scale = (typeof SCALES)[number];

/** Paper results first, then the ablation the paper does not have. */
export const REPRODUCTIONS = [
  "main-table",
  "benchmarks",
  "resources",
  "grad-norm-dynamics",
  "convergence",
  "gate-ablation",
] as const;

export function parseScale(raw: string): Scale {
  if ((SCALES as readonly string[]).includes(raw)) return raw as Scale;
  throw new Error(`unknown scale '${raw}': expected one of ${SCALES.join(", ")}`);
}

/** Notebooks of `dir` in catalog order; any extra notebook there comes after, by name. */
export function listReproductions(dir: string): string[] {
  if (!existsSync(dir)) throw new Error(`reproductions folder ${dir} does not exist`);
  const found = readdirSync(dir)
    .filter((f) => f.endsWith(".ipynb"))
    .map((f) => basename(f, ".ipynb"));
  const known = REPRODUCTIONS.filter((n) => found.includes(n));
  const extra = found.filter((n) => !(REPRODUCTIONS as readonly string[]).includes(n)).sort();
  return [...known, ...extra];
}

/** Resolves `--only a,b` against what exists, naming unknown entries and what is available. */
export function selectReproductions(available: readonly string[], only?: readonly string[]): string[] {
  if (!only || only.length === 0) return [...available];
  const wanted = only.map((n) => n.trim().replace(/\.ipynb$/, "")).filter(Boolean);
  const unknown = wanted.filter((n) => !available.includes(n));
  if (unknown.length)
    throw new Error(
      `unknown reproduction${unknown.length > 1 ? "s" : ""} ${unknown.map((n) => `'${n}'`).join(", ")}: available are ${available.join(", ")}`,
    );
  return available.filter((n) => wanted.includes(n));
}

export function notebookPath(dir: string, name: string): string {
  return join(dir, `${name}.ipynb`);
}
