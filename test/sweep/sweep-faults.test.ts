// The sweep against the real components: a redis-server of the test's own (password-protected),
// two `peft-nb worker` processes, and `peft-nb reproduce --queue` of the main table at smoke. One
// worker is SIGKILLed mid-run (after a checkpoint), Redis is killed and restarted empty mid-sweep;
// every run must still complete exactly once, the killed run must resume from its checkpoint, and
// the tables must equal those of a local run with the same seeds, the killed run bit for bit.
import { progressFromMetadata } from "../../lib/display/progress-report.js";
import { recordingSink, setDisplaySink } from "../../lib/display/sink.js";
import { existsSync, mkdirSync, mkdtempSync, readFileSync, readdirSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { QueueEvents } from "bullmq";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { useBackend } from "../../lib/backend/select.js";
import { runCli } from "../../cli/main.js";
import type { RunResult } from "../../lib/experiments/run-method.js";
import { cachedRuns } from "../../lib/reproduce/run-batch.js";
import { runOptionsFor, settingsFor } from "../../lib/reproduce/settings.js";
import { glueColumns, scoreTable } from "../../lib/reproduce/tables.js";
import { ensureBaseModel } from "../../lib/pretrain/ensure.js";
import { connectionOptions } from "../../lib/sweep/connection.js";
import { queueStatus, retryFailed } from "../../lib/sweep/queue-status.js";
import { DEFAULT_QUEUE_NAME, KEY_PREFIX } from "../../lib/sweep/queue-url.js";
import type { RunJobProgress } from "../../lib/sweep/run-job.js";
import { DirectoryResultStore, type RunSummaryFile } from "../../lib/sweep/result-store.js";
import { ensureBuilt } from "../helpers/ensure-built.js";
import { type LocalRedis, startLocalRedis } from "../../lib/sweep/local-redis.js";
import { alive, startWorkerProcess, type WorkerProcess } from "./helpers/worker-process.js";

const TABLES = ["main-table", "learning-signal"];
const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

async function until<T>(
  what: string,
  f: () => T | null | undefined | false,
  timeoutMs: number,
  everyMs = 100,
): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const v = f();
    if (v) return v;
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await sleep(everyMs);
  }
}

function storedKeys(store: string): string[] {
  const runs = join(store, "runs");
  return existsSync(runs) ? readdirSync(runs).filter((k) => existsSync(join(runs, k, "summary.json"))) : [];
}

/** A run in flight with a checkpoint at step ≥ 2: its key, step and the worker training it. */
function inFlight(
  store: string,
  workers: WorkerProcess[],
): { key: string; step: number; worker: WorkerProcess; child: number } | null {
  const runs = join(store, "runs");
  if (!existsSync(runs)) return null;
  for (const key of readdirSync(runs)) {
    const ck = join(runs, key, "checkpoints");
    if (existsSync(join(runs, key, "summary.json")) || !existsSync(ck)) continue;
    const steps = readdirSync(ck)
      .filter((n) => /^ckpt-\d+$/.test(n))
      .map((n) => Number(n.slice(5)));
    const step = Math.max(0, ...steps);
    if (step < 2) continue;
    for (const worker of workers) {
      const start = worker.lines.map((l) => l.match(/^start (\S+) child (\d+)$/)).find((m) => m?.[1] === key);
      if (start) return { key, step, worker, child: Number(start[2]) };
    }
  }
  return null;
}

const doneLines = (w: WorkerProcess, key: string) => w.lines.filter((l) => l.startsWith(`done ${key} trained`));

describe("a sweep on BullMQ and Redis", () => {
  let redis: LocalRedis;
  let tmp: string;
  let store: string;
  let w1: WorkerProcess;
  let w2: WorkerProcess;

  beforeAll(async () => {
    await ensureBuilt();
    tmp = mkdtempSync(join(tmpdir(), "peft-sweep-"));
    store = join(tmp, "store");
    redis = await startLocalRedis({ password: "s3cret/pass" });
  }, 600_000);

  afterAll(async () => {
    for (const w of [w1, w2]) if (w && w.proc.exitCode === null) w.proc.kill("SIGKILL");
    await redis?.stop();
    rmSync(tmp, { recursive: true, force: true });
  });

  it("two workers, one SIGKILLed mid-run and Redis restarted: each run once, tables equal a local run's", async () => {
    const args = ["--queue", redis.url, "--store", store, "--threads", "1", "--checkpoint-every", "1"];
    const fast = ["--lock-seconds", "3", "--stalled-seconds", "1"];
    w1 = startWorkerProcess("w1", [...args, ...fast]);
    w2 = startWorkerProcess("w2", [...args, ...fast]);
    await Promise.all([w1.waitFor(/^worker w1 on redis:\/\/:\*\*\*@/), w2.waitFor(/^worker w2 on /)]);
    // the password reaches Redis but never the logs
    expect([...w1.lines, ...w2.lines].join("\n")).not.toContain("s3cret");

    // what the notebook's live table shows: progress the workers publish through the queue
    const events = new QueueEvents(DEFAULT_QUEUE_NAME, {
      connection: connectionOptions(redis.url),
      prefix: KEY_PREFIX,
    });
    events.on("error", () => undefined); // Redis is restarted below
    const progress: RunJobProgress[] = [];
    events.on("progress", ({ data }) => progress.push(data as RunJobProgress));
    await events.waitUntilReady();

    const queuedOut = join(tmp, "queued");
    const log: string[] = [];
    const io = { out: (l: string) => log.push(l), err: (l: string) => log.push(l) };
    let finished = false;
    const reproduce = runCli(
      [
        "reproduce",
        "--scale",
        "smoke",
        "--seed",
        "0",
        "--only",
        "main-table",
        "--out",
        queuedOut,
        "-q",
        "--queue",
        redis.url,
        "--store",
        store,
      ],
      io,
    ).finally(() => {
      finished = true;
    });
    const inFlightOrEnd = () => {
      if (finished) throw new Error(`the reproduction ended before a run could be killed:\n${log.join("\n")}`);
      return inFlight(store, [w1, w2]);
    };

    // Fault 1: freeze the training process of a run that has checkpointed step 2 or later, check it
    // has not stored its result, SIGKILL its worker, and let it run on: without its worker it must exit.
    let victim: NonNullable<ReturnType<typeof inFlight>> | null = null;
    while (!victim) {
      const v = await until("a run in flight with a checkpoint", inFlightOrEnd, 300_000, 50);
      process.kill(v.child, "SIGSTOP");
      if (existsSync(join(store, "runs", v.key, "summary.json"))) process.kill(v.child, "SIGCONT");
      else victim = v;
    }
    victim.worker.proc.kill("SIGKILL");
    await victim.worker.exited;
    process.kill(victim.child, "SIGCONT");
    await until("the orphaned training process to exit", () => !alive(victim!.child), 20_000);
    const survivor = victim.worker === w1 ? w2 : w1;

    // Fault 2: Redis killed and restarted empty (no persistence) mid-sweep.
    await events.close();
    const training = progress.filter((p) => p.phase === "training");
    expect(training.length).toBeGreaterThan(0);
    for (const p of training) {
      expect(["w1", "w2"]).toContain(p.worker);
      expect(p.step).toBeGreaterThanOrEqual(1);
      expect(p.step).toBeLessThanOrEqual(p.totalSteps);
      expect(Number.isFinite(p.loss) && p.loss! > 0).toBe(true);
      expect(p.tokensPerSec).toBeGreaterThan(0);
    }
    const before = await until(
      "four stored results",
      () => (storedKeys(store).length >= 4 ? storedKeys(store) : null),
      600_000,
      200,
    );
    await redis.restart();

    const code = await reproduce;
    expect(code, log.join("\n")).toBe(0);
    const keys = storedKeys(store);
    expect(before.length).toBeLessThan(keys.length); // the restart was mid-sweep
    expect(keys.length).toBe(14); // base + six methods × two seeds
    for (const k of before) expect(keys).toContain(k);

    // Each run trained exactly once; the killed one was started by its first worker and finished,
    // resumed from its checkpoint, by the survivor.
    for (const k of keys) expect(doneLines(w1, k).length + doneLines(w2, k).length, k).toBe(1);
    expect(doneLines(victim.worker, victim.key)).toEqual([]);
    const resumed = doneLines(survivor, victim.key)[0]!;
    const step = Number(resumed.match(/resumed from step (\d+)/)?.[1]);
    expect(step, resumed).toBeGreaterThanOrEqual(victim.step);
    const summary = JSON.parse(readFileSync(join(store, "runs", victim.key, "summary.json"), "utf8")) as RunSummaryFile;
    expect(summary.provenance).toMatchObject({ worker: survivor.name, resumedFromStep: step });
    console.log(
      `fault 1: SIGKILLed ${victim.worker.name} while it trained ${victim.key} (checkpoint at step ${victim.step}); ${survivor.name} resumed it from step ${step}\n` +
        `fault 2: Redis killed and restarted empty with ${before.length} of ${keys.length} results stored; every run trained once`,
    );

    // queue status: every run of the notebook done, the survivor alive, the killed worker not
    const status = await queueStatus(redis.url, { store: new DirectoryResultStore(store) });
    expect(status.notebooks.find((n) => n.notebook === "main-table")).toMatchObject({ total: 14, done: 14, failed: 0 });
    expect(status.workers.map((w) => w.name)).toEqual([survivor.name]);

    // The same reproduction locally, with a fresh run cache: the same tables, the killed run bit for bit.
    const cache = join(tmp, "run-cache");
    const localOut = join(tmp, "local");
    const saved = { cache: process.env.PEFT_RUN_CACHE, queue: process.env.PEFT_QUEUE_URL };
    process.env.PEFT_RUN_CACHE = cache;
    delete process.env.PEFT_QUEUE_URL;
    try {
      const local = await runCli(
        ["reproduce", "--scale", "smoke", "--seed", "0", "--only", "main-table", "--out", localOut, "-q"],
        io,
      );
      expect(local, log.join("\n")).toBe(0);
    } finally {
      if (saved.cache === undefined) delete process.env.PEFT_RUN_CACHE;
      else process.env.PEFT_RUN_CACHE = saved.cache;
      if (saved.queue !== undefined) process.env.PEFT_QUEUE_URL = saved.queue;
    }
    for (const t of TABLES)
      expect(readFileSync(join(queuedOut, "main-table", "tables", `${t}.json`), "utf8"), t).toBe(
        readFileSync(join(localOut, "main-table", "tables", `${t}.json`), "utf8"),
      );
    expect(
      readdirSync(cache)
        .filter((f) => f.endsWith(".json"))
        .sort(),
    ).toEqual(keys.map((k) => `${k}.json`).sort());
    const uninterrupted = JSON.parse(readFileSync(join(cache, `${victim.key}.json`), "utf8")) as RunResult;
    const resumedRun = (await new DirectoryResultStore(store).read(victim.key))!.result;
    const { resources: _a, ...a } = resumedRun;
    const { resources: _b, ...b } = uninterrupted;
    expect(a).toEqual(b);
  }, 1_500_000);

  it("a run that fails reports its error in the table; the others complete", async () => {
    await useBackend("wasm");
    const baseDir = await ensureBaseModel({ scale: "smoke", seed: 0 });
    const S = settingsFor("smoke");
    const emptyData = join(tmp, "no-data");
    mkdirSync(emptyData);
    const good = runOptionsFor(S, { baseDir, method: "base", task: "sst2", seed: 7 });
    const bad = runOptionsFor(S, { baseDir, method: "full", task: "sst2", seed: 7, dataDir: emptyData });
    const lines: string[] = [];
    const sink = recordingSink(true);
    const previous = setDisplaySink(sink);
    let out;
    try {
      out = await cachedRuns([bad, good], {
        queue: redis.url,
        store,
        notebook: "faulty",
        view: false,
        log: (l) => lines.push(l),
      });
    } finally {
      setDisplaySink(previous);
    }
    // The runs-done bar `peft-nb reproduce` relays counts queued runs too, up to both.
    const counts = sink.records.map((r) => progressFromMetadata(r.metadata)).filter((p) => p?.kind === "runs");
    expect(counts[0]).toMatchObject({ current: 0, total: 2 });
    expect(counts.at(-1)).toMatchObject({ current: 2, total: 2 });
    expect(out[1]!.ok, lines.join("\n")).toBe(true);
    expect(out[0]!.ok).toBe(false);
    const error = out[0]!.ok ? "" : out[0]!.error;
    expect(error).toMatch(/sst2/);
    expect(error).toMatch(/^w[12]: /);
    const table = scoreTable(out, glueColumns(["sst2"], out), { order: ["base", "full"] });
    expect(table.rows.map((r) => r[0])).toEqual(["base", "full"]);
    expect(typeof table.rows[0]![1]).toBe("number");
    expect(String(table.rows[1]![1])).toMatch(/^failed: seed 7: w[12]: .*sst2/);
    const status = await queueStatus(redis.url, { store: new DirectoryResultStore(store) });
    expect(status.notebooks.find((n) => n.notebook === "faulty")).toMatchObject({ total: 2, done: 1, failed: 1 });
    expect(status.failed.map((f) => f.key)).toContain(out[0]!.key);
    // `queue retry` puts it back; it fails again the same way, and the good run is not touched
    const failedKey = out[0]!.key;
    const failures = () => [w1, w2].flatMap((w) => w.lines.filter((l) => l.startsWith(`failed ${failedKey}:`)));
    expect(failures().length).toBe(1);
    expect(await retryFailed(redis.url, { notebook: "faulty" })).toEqual([failedKey]);
    await until("the retried run to fail again", () => failures().length === 2, 120_000, 200);
    expect(await retryFailed(redis.url, { notebook: "main-table" })).toEqual([]);
    // A result deleted from the store is trained again on request, although its job is complete.
    rmSync(join(store, "runs", out[1]!.key), { recursive: true });
    const again = await cachedRuns([good], {
      queue: redis.url,
      store,
      notebook: "faulty",
      view: false,
      log: (l) => lines.push(l),
    });
    expect(again[0]!.ok, lines.join("\n")).toBe(true);
    expect(again[0]!.ok && again[0]!.metrics).toEqual(out[1]!.ok && out[1]!.metrics);
    expect(lines.join("\n")).toMatch(/completed on w[12] but not in .*; training it again/);
  }, 300_000);
});
