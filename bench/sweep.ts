// Wall time of the smoke sweep (every distinct run of the five smoke reproductions: the main
// table's 7 × 2 and the gate ablation's 3 × 2 more) trained in this process one after another,
// then through the queue with 1 and with 2 `peft-nb worker` processes (one thread each), and the
// queue's cost per job: the process each job gets (start, imports, backend, inputs, storing the
// result) and BullMQ's own round trip (add → a worker takes it → completed → the notebook hears).
// Run: npm run build && node dist/bench/sweep.js [--workers 1,2] [--roundtrips 30]
import { type ChildProcess, spawn } from "node:child_process";
import { mkdtempSync, rmSync } from "node:fs";
import { loadavg, tmpdir } from "node:os";
import { join } from "node:path";
import { parseArgs } from "node:util";
import { Queue, QueueEvents } from "bullmq";
import { useBackend } from "../lib/backend/index.js";
import { projectRoot } from "../lib/project-root.js";
import { runMethod, type RunMethodOptions } from "../lib/experiments/run-method.js";
import type { GatePolicy } from "../lib/adapters/index.js";
import { ensureBaseModel } from "../lib/pretrain/index.js";
import { runOptionsFor, seedList, settingsFor, TRAINED_METHODS } from "../lib/reproduce/settings.js";
import { connectionOptions } from "../lib/sweep/connection.js";
import { startLocalRedis } from "../lib/sweep/local-redis.js";
import { queuedRuns } from "../lib/sweep/queued-runs.js";
import { KEY_PREFIX, queueNameFrom } from "../lib/sweep/queue-url.js";
import { DirectoryResultStore } from "../lib/sweep/result-store.js";
import type { RunJobData } from "../lib/sweep/run-job.js";

const { values } = parseArgs({
  options: {
    workers: { type: "string", default: "1,2" },
    roundtrips: { type: "string", default: "30" },
  },
});
const workerCounts = values.workers.split(",").map(Number);
const BIN = join(projectRoot(), "bin", "peft-nb.js");
const load = () =>
  loadavg()
    .map((x) => x.toFixed(1))
    .join(" ");

await useBackend("wasm");
const baseDir = await ensureBaseModel({ scale: "smoke", seed: 0 });
const S = settingsFor("smoke");
const seeds = seedList(0, S.seedCount);
const gates: GatePolicy[] = [
  { kind: "inverse" },
  { kind: "softmax", temperature: 0.5 },
  { kind: "fixed", lambda: 0.5 },
];
const runs: RunMethodOptions[] = [
  ...seeds.flatMap((seed) =>
    ["base" as const, ...TRAINED_METHODS].map((method) => runOptionsFor(S, { baseDir, method, task: "sst2", seed })),
  ),
  ...gates.flatMap((gate) =>
    seeds.map((seed) => runOptionsFor(S, { baseDir, method: "hybrid", task: "sst2", seed, adapter: { gate } })),
  ),
];
console.log(`smoke sweep: ${runs.length} runs; 2 cores shared; load average at start ${load()}`);

const t0 = performance.now();
for (const o of runs) await runMethod(o);
const localWall = (performance.now() - t0) / 1000;
console.log(`in this process, one after another: ${localWall.toFixed(1)} s wall`);

const redis = await startLocalRedis();
const walls = new Map<number, number>();
try {
  for (const n of workerCounts) {
    const storeDir = mkdtempSync(join(tmpdir(), "bench-sweep-store-"));
    const queueName = `bench-${n}`;
    const workers: ChildProcess[] = [];
    try {
      for (let i = 0; i < n; i++) {
        const w = spawn(
          process.execPath,
          [
            BIN,
            "worker",
            "--queue",
            redis.url,
            "--queue-name",
            queueName,
            "--store",
            storeDir,
            "--threads",
            "1",
            "--name",
            `bench${i}`,
          ],
          { stdio: ["ignore", "pipe", "inherit"] },
        );
        workers.push(w);
        await new Promise<void>((resolve) =>
          w.stdout!.on("data", (b: Buffer) => /^worker /m.test(b.toString()) && resolve()),
        );
      }
      const started = performance.now();
      const out = await queuedRuns(runs, { queue: redis.url, queueName, store: storeDir, view: false });
      const wall = (performance.now() - started) / 1000;
      walls.set(n, wall);
      if (out.some((o) => !o.ok)) throw new Error(`a run failed: ${JSON.stringify(out.find((o) => !o.ok))}`);
      const store = new DirectoryResultStore(storeDir);
      const queue = new Queue<RunJobData>(queueNameFrom(queueName), {
        connection: connectionOptions(redis.url),
        prefix: KEY_PREFIX,
      });
      let train = 0;
      let busy = 0;
      for (const o of out) {
        const job = await queue.getJob(o.key);
        train += (await store.read(o.key))!.summary.provenance.seconds;
        busy += ((job!.finishedOn ?? 0) - (job!.processedOn ?? 0)) / 1000;
      }
      // Workers busy at once on average: less sensitive to the neighbours' load than wall time alone.
      console.log(
        `queue, ${n} worker(s) × 1 thread: ${wall.toFixed(1)} s wall (${(localWall / wall).toFixed(2)} × in-process); ` +
          `jobs busy ${busy.toFixed(1)} s in all (${(busy / wall).toFixed(2)} at once on average), of which runMethod ${train.toFixed(1)} s; ` +
          `per job, its process costs ${((busy - train) / out.length).toFixed(2)} s beyond runMethod (load average ${load()})`,
      );
      if (n === workerCounts[0]) await roundTrips(queue, queueName, out[0]!.key, Number(values.roundtrips));
      await queue.close();
    } finally {
      for (const w of workers) w.kill("SIGTERM");
      await Promise.all(workers.map((w) => new Promise((r) => (w.exitCode !== null ? r(null) : w.once("exit", r)))));
      rmSync(storeDir, { recursive: true, force: true });
    }
  }
  const [a, b] = workerCounts;
  if (a !== undefined && b !== undefined && walls.has(a) && walls.has(b))
    console.log(
      `${b} vs ${a} worker(s): ${(walls.get(a)! / walls.get(b)!).toFixed(2)} × faster (load average now ${load()})`,
    );
} finally {
  await redis.stop();
}

/** BullMQ's own cost: jobs whose result is already stored, so the worker answers without training. */
async function roundTrips(queue: Queue<RunJobData>, queueName: string, storedKey: string, count: number) {
  const events = new QueueEvents(queueName, { connection: connectionOptions(redis.url), prefix: KEY_PREFIX });
  await events.waitUntilReady();
  const ms: number[] = [];
  const template = (await queue.getJob(storedKey))!.data;
  for (let i = 0; i < count; i++) {
    const t = performance.now();
    const job = await queue.add("bench", template, { jobId: `roundtrip-${i}` });
    await job.waitUntilFinished(events);
    ms.push(performance.now() - t);
  }
  await events.close();
  ms.sort((x, y) => x - y);
  console.log(
    `BullMQ round trip (add, taken, completed, heard), ${count} jobs: median ${ms[Math.floor(count / 2)]!.toFixed(1)} ms, p90 ${ms[Math.floor(count * 0.9)]!.toFixed(1)} ms`,
  );
}
