// The result store every machine of a sweep reads and writes: a directory (local, or shared over
// NFS/SMB/a cluster filesystem), content-addressed by the run's cache key. Each file is written
// atomically (temp file, fsync, rename, fsync of the folder), and summary.json is written last, so a
// run is in the store exactly when its summary is, and a crash at any point leaves either the whole
// result or none of it.
//
//   runs/<key>/summary.json    identity, headline metric, resources, who trained it (written last)
//   runs/<key>/metrics.json    every metric, before and after tuning
//   runs/<key>/records.json    loss and dev-loss curves, gradient norms, gate values
//   runs/<key>/adapter/        the tuned adapter in PEFT's format (not for full fine-tuning)
//   runs/<key>/checkpoints/    training checkpoints while the run is in flight (removed after)
//   runs/<key>/lease.json      which worker is training it, refreshed while it does
//   runs/<key>/failure.json    the last failure, for `peft-nb queue status`
//   bases/<name>/              base models notebooks publish for workers that lack them
import { existsSync } from "node:fs";
import { cp, mkdir, open, readFile, readdir, rename, rm, stat } from "node:fs/promises";
import { hostname } from "node:os";
import { dirname, join, resolve } from "node:path";
import writeFileAtomic from "write-file-atomic";
import type { RunResult } from "../experiments/run-method.js";
import { projectRoot } from "../project-root.js";

/** Where a run was trained, for the summary and `queue status`. */
export interface Provenance {
  worker: string;
  host: string;
  pid: number;
  backend: string;
  threads: number;
  startedAt: string;
  finishedAt: string;
  /** Seconds inside runMethod (loading, training, evaluation). */
  seconds: number;
  /** The optimiser step of the checkpoint this attempt resumed from; absent when it trained from step 0. */
  resumedFromStep?: number;
}

export interface RunSummaryFile {
  key: string;
  method: RunResult["method"];
  task: RunResult["task"];
  seed: number;
  steps: number;
  primary: string;
  score: number | null;
  resources: RunResult["resources"];
  /** Relative folder of the PEFT adapter, or null when the method has none (full, base). */
  adapter: string | null;
  provenance: Provenance;
}

interface MetricsFile {
  metrics: Record<string, number>;
  primary: string;
  baseMetrics?: Record<string, number>;
  /** Why a metric is missing (runMethod's notes). */
  notes?: Record<string, string>;
}

type RecordsFile = Pick<RunResult, "lossCurve" | "evalCurve" | "gradNorms" | "gates">;

export interface StoredRun {
  result: RunResult;
  summary: RunSummaryFile;
}

export interface Lease {
  worker: string;
  host: string;
  pid: number;
  /** Date.now() of the last refresh (the writer's clock). */
  at: number;
}

export interface StoredFailure {
  key: string;
  worker: string;
  at: string;
  error: string;
}

/** PEFT_RESULT_STORE when set, else `<project>/.cache/results` (enough for one machine). */
export function defaultResultStoreDir(): string {
  const env = process.env.PEFT_RESULT_STORE;
  return env ? resolve(env) : join(projectRoot(), ".cache", "results");
}

/** Keys become folder names and BullMQ job ids: no separators, no ':'. */
export function checkRunKey(key: string): string {
  if (!/^[A-Za-z0-9][A-Za-z0-9._-]*$/.test(key) || key.length > 200)
    throw new Error(`result store: run key ${JSON.stringify(key)} is not a safe folder name`);
  return key;
}

async function fsyncDir(dir: string): Promise<void> {
  const fh = await open(dir, "r");
  try {
    await fh.sync();
  } catch {
    // some filesystems (and platforms) cannot fsync a directory; the rename is still atomic there
  } finally {
    await fh.close();
  }
}

async function writeJsonAtomic(file: string, value: unknown): Promise<void> {
  await mkdir(dirname(file), { recursive: true });
  await writeFileAtomic(file, `${JSON.stringify(value)}\n`, { fsync: true });
  await fsyncDir(dirname(file));
}

async function readJson<T>(file: string, what: string): Promise<T> {
  let text: string;
  try {
    text = await readFile(file, "utf8");
  } catch (e) {
    throw new Error(`result store: ${file} (${what}) is missing: ${(e as Error).message}`);
  }
  try {
    return JSON.parse(text) as T;
  } catch (e) {
    throw new Error(`result store: ${file} (${what}) is not valid JSON: ${(e as Error).message}`);
  }
}

export class DirectoryResultStore {
  readonly root: string;

  constructor(root: string = defaultResultStoreDir()) {
    this.root = resolve(root);
  }

  runDir(key: string): string {
    return join(this.root, "runs", checkRunKey(key));
  }

  checkpointDir(key: string): string {
    return join(this.runDir(key), "checkpoints");
  }

  has(key: string): boolean {
    return existsSync(join(this.runDir(key), "summary.json"));
  }

  /** The stored run, or null when the store has no (complete) result under `key`. */
  async read(key: string): Promise<StoredRun | null> {
    const dir = this.runDir(key);
    if (!this.has(key)) return null;
    const summary = await readJson<RunSummaryFile>(join(dir, "summary.json"), "run summary");
    const m = await readJson<MetricsFile>(join(dir, "metrics.json"), "metrics");
    const rec = await readJson<RecordsFile>(join(dir, "records.json"), "records");
    const result: RunResult = {
      method: summary.method,
      task: summary.task,
      seed: summary.seed,
      steps: summary.steps,
      metrics: m.metrics,
      primary: m.primary,
      ...(m.baseMetrics ? { baseMetrics: m.baseMetrics } : {}),
      ...(m.notes ? { notes: m.notes } : {}),
      resources: summary.resources,
      lossCurve: rec.lossCurve,
      evalCurve: rec.evalCurve,
      gradNorms: rec.gradNorms,
      gates: rec.gates,
    };
    return { result, summary };
  }

  /**
   * Stores a finished run: records, metrics and the adapter (already in `adapterDir`'s staging
   * folder, see stageAdapter) first, the summary last. Removes the run's checkpoints and lease.
   */
  async write(
    key: string,
    r: RunResult,
    provenance: Provenance,
    opts: { adapterStaged?: boolean } = {},
  ): Promise<void> {
    const dir = this.runDir(key);
    await writeJsonAtomic(join(dir, "records.json"), {
      lossCurve: r.lossCurve,
      evalCurve: r.evalCurve,
      gradNorms: r.gradNorms,
      gates: r.gates,
    } satisfies RecordsFile);
    await writeJsonAtomic(join(dir, "metrics.json"), {
      metrics: r.metrics,
      primary: r.primary,
      ...(r.baseMetrics ? { baseMetrics: r.baseMetrics } : {}),
      ...(r.notes ? { notes: r.notes } : {}),
    } satisfies MetricsFile);
    if (opts.adapterStaged) await this.commitAdapter(key);
    const summary: RunSummaryFile = {
      key,
      method: r.method,
      task: r.task,
      seed: r.seed,
      steps: r.steps,
      primary: r.primary,
      score: r.metrics[r.primary] ?? null,
      resources: r.resources,
      adapter: opts.adapterStaged ? "adapter" : null,
      provenance,
    };
    await writeJsonAtomic(join(dir, "summary.json"), summary);
    await rm(this.checkpointDir(key), { recursive: true, force: true });
    await rm(join(dir, "lease.json"), { force: true });
    await rm(join(dir, "failure.json"), { force: true });
  }

  /** A fresh folder to save the tuned adapter into before write() moves it into place. */
  async stageAdapter(key: string): Promise<string> {
    const staging = join(this.runDir(key), `.adapter-staging-${hostname()}-${process.pid}`);
    await rm(staging, { recursive: true, force: true });
    await mkdir(staging, { recursive: true });
    return staging;
  }

  private async commitAdapter(key: string): Promise<void> {
    const dir = this.runDir(key);
    const staging = join(dir, `.adapter-staging-${hostname()}-${process.pid}`);
    for (const f of await readdir(staging)) {
      const fh = await open(join(staging, f), "r");
      await fh.sync();
      await fh.close();
    }
    const target = join(dir, "adapter");
    await rm(target, { recursive: true, force: true });
    await rename(staging, target);
    await fsyncDir(dir);
  }

  async writeFailure(f: StoredFailure): Promise<void> {
    await writeJsonAtomic(join(this.runDir(f.key), "failure.json"), f);
  }

  async readFailure(key: string): Promise<StoredFailure | null> {
    const file = join(this.runDir(key), "failure.json");
    return existsSync(file) ? readJson<StoredFailure>(file, "failure") : null;
  }

  async writeLease(key: string, lease: Lease): Promise<void> {
    await writeJsonAtomic(join(this.runDir(key), "lease.json"), lease);
  }

  /** The lease when another process refreshed it within `ttlMs`; null when absent or expired. */
  async liveLease(key: string, ttlMs: number, now = Date.now()): Promise<Lease | null> {
    const file = join(this.runDir(key), "lease.json");
    if (!existsSync(file)) return null;
    try {
      const lease = JSON.parse(await readFile(file, "utf8")) as Lease;
      return now - lease.at < ttlMs ? lease : null;
    } catch {
      return null; // a lease being replaced or left half-written by a crash: not a live one
    }
  }

  async dropLease(key: string, owner: { host: string; pid: number }): Promise<void> {
    const file = join(this.runDir(key), "lease.json");
    try {
      const lease = JSON.parse(await readFile(file, "utf8")) as Lease;
      if (lease.host === owner.host && lease.pid === owner.pid) await rm(file, { force: true });
    } catch {
      // absent or unreadable: nothing of ours to drop
    }
  }

  baseDir(name: string): string {
    if (!/^[A-Za-z0-9][A-Za-z0-9._-]*$/.test(name))
      throw new Error(`result store: base model name ${JSON.stringify(name)} is not a safe folder name`);
    return join(this.root, "bases", name);
  }

  /**
   * Copies a base model folder into bases/<its name> unless it is there; the name of the project's own
   * base models hashes their recipe, seed and backend, so an existing folder holds the same model.
   */
  async publishBase(dir: string, name: string): Promise<string> {
    const target = this.baseDir(name);
    if (existsSync(join(target, "config.json"))) return target;
    const tmp = `${target}.tmp-${hostname()}-${process.pid}`;
    await rm(tmp, { recursive: true, force: true });
    await mkdir(dirname(target), { recursive: true });
    await cp(dir, tmp, { recursive: true });
    try {
      await rename(tmp, target);
    } catch (e) {
      // another notebook published it first
      await rm(tmp, { recursive: true, force: true });
      if (!existsSync(join(target, "config.json"))) throw e;
    }
    await fsyncDir(dirname(target));
    return target;
  }

  /** Keys of every stored result (complete runs only). */
  async keys(): Promise<string[]> {
    const runs = join(this.root, "runs");
    if (!existsSync(runs)) return [];
    const out: string[] = [];
    for (const k of await readdir(runs)) if ((await stat(join(runs, k))).isDirectory() && this.has(k)) out.push(k);
    return out.sort();
  }
}
