// `peft-nb worker`: trains the run jobs of a sweep's queue on this machine until stopped.
// First SIGINT/SIGTERM: finish the runs in flight, take no new ones (warm shutdown). Second: stop
// now; the runs in flight are retaken by other workers and resume from their last checkpoint.
import { queueUrlFrom } from "../../lib/sweep/queue-url.js";
import { defaultResultStoreDir } from "../../lib/sweep/result-store.js";
import { startSweepWorker } from "../../lib/sweep/worker.js";
import { defineCommand, UsageError } from "../command.js";

function count(raw: string | undefined, flag: string): number | undefined {
  if (raw === undefined) return undefined;
  const n = Number(raw);
  if (!Number.isInteger(n) || n < 1)
    throw new UsageError(`${flag}: expected a positive integer, found '${raw}'`, false);
  return n;
}

function millis(raw: string | undefined, flag: string): number | undefined {
  if (raw === undefined) return undefined;
  const s = Number(raw);
  if (!Number.isFinite(s) || s <= 0)
    throw new UsageError(`${flag}: expected a positive number of seconds, found '${raw}'`, false);
  return Math.max(1, Math.round(s * 1000));
}

export const command = defineCommand({
  name: "worker",
  usage: `usage: peft-nb worker --queue URL [options]

Takes run jobs from the queue (peft-nb reproduce --queue, or the notebooks' \`queue\` parameter),
trains each in its own process with this machine's backend, and stores the result, metrics,
records and tuned adapter in the result store every machine of the sweep reaches.

  --queue URL             redis://[user:password@]host:port[/db] or rediss://… (TLS); default PEFT_QUEUE_URL
  --store DIR             result store, the same folder (shared mount) on every machine;
                          default PEFT_RESULT_STORE, else <project>/.cache/results
  --concurrency N         runs trained at once, one process each (default 1)
  --threads T             threads per run for the math libraries (PEFT_THREADS, OMP_NUM_THREADS, …);
                          default: this machine's cores / concurrency
  --checkpoint-every N    checkpoint each run into the store every N steps (default 10)
  --name NAME             this worker's name in \`peft-nb queue status\` (default <host>-<pid>)
  --backend B             train on B instead of the backend each job was keyed for (the run's cache
                          key then names another backend than the one used; recorded in its summary)
  --models DIR            folder holding base models by name, when they are not at the notebook's path
  --data DIR              GLUE data folder, when the job's is not on this machine
  --queue-name NAME       queue name (default PEFT_QUEUE_NAME, else peft-runs)
  --lock-seconds S        a dead worker's run is retaken after about S seconds (default 30)
  --stalled-seconds S     how often to look for runs whose worker died (default 30)
  --max-stalled N         times a run may be retaken from a dead worker before it fails (default 5)`,
  options: {
    queue: { type: "string" },
    store: { type: "string" },
    concurrency: { type: "string" },
    threads: { type: "string" },
    "checkpoint-every": { type: "string" },
    name: { type: "string" },
    backend: { type: "string" },
    models: { type: "string" },
    data: { type: "string" },
    "queue-name": { type: "string" },
    "lock-seconds": { type: "string" },
    "stalled-seconds": { type: "string" },
    "max-stalled": { type: "string" },
  },
  async run({ values }, io) {
    let url: string | null;
    try {
      url = queueUrlFrom(values.queue);
    } catch (err) {
      throw new UsageError((err as Error).message, false);
    }
    if (!url) throw new UsageError("no queue: pass --queue redis://host:port or set PEFT_QUEUE_URL", false);
    const settings = {
      url,
      storeDir: values.store ?? defaultResultStoreDir(),
      concurrency: count(values.concurrency, "--concurrency"),
      threads: count(values.threads, "--threads"),
      checkpointEvery: count(values["checkpoint-every"], "--checkpoint-every"),
      maxStalled: count(values["max-stalled"], "--max-stalled"),
      lockMs: millis(values["lock-seconds"], "--lock-seconds"),
      stalledMs: millis(values["stalled-seconds"], "--stalled-seconds"),
      ...(values.name ? { name: values.name } : {}),
      ...(values.backend ? { backend: values.backend } : {}),
      ...(values.models ? { modelsDir: values.models } : {}),
      ...(values.data ? { dataDir: values.data } : {}),
      ...(values["queue-name"] ? { queueName: values["queue-name"] } : {}),
    };
    let worker: Awaited<ReturnType<typeof startSweepWorker>>;
    try {
      worker = await startSweepWorker(settings);
    } catch (err) {
      // A URL or store the worker cannot use is the caller's to fix: bad usage, not a failed run.
      throw new UsageError((err as Error).message, false);
    }
    return new Promise<number>((resolve) => {
      let stopping = false;
      const onSignal = (signal: NodeJS.Signals) => {
        if (stopping) {
          io.out(`${signal} again: stopping now; the runs in flight resume on other workers from their checkpoints`);
          worker.kill();
          process.exit(130);
        }
        stopping = true;
        io.out(`${signal}: finishing the runs in flight, taking no new ones (${signal} again to stop now)`);
        worker.close().then(
          () => resolve(0),
          (e: Error) => {
            io.err(`peft-nb worker: ${e.message}`);
            resolve(1);
          },
        );
      };
      process.on("SIGINT", onSignal);
      process.on("SIGTERM", onSignal);
    });
  },
});
