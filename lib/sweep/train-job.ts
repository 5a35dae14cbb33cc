// The child process that trains one job: a fresh process per job, so tfjs's global state (backend,
// registered variables, wasm memory) never mixes two runs, the thread budget is set in its
// environment before any native library loads, and a crash or an out-of-memory kill takes only the
// job with it. It exits as soon as its worker disappears (IPC disconnect), so a SIGKILLed worker
// leaves no orphan writing checkpoints while another worker resumes the run.
import { hostname } from "node:os";
import * as tf from "@tensorflow/tfjs";
import { useBackend } from "../backend/select.js";
import { runMethod } from "../experiments/run-method.js";
import { localInputs } from "./job-inputs.js";
import type { TrainJobMessage, TrainJobRequest } from "./job-protocol.js";
import { DirectoryResultStore } from "./result-store.js";
import { decodeOptions, type RunJobProgress } from "./run-job.js";

function send(m: TrainJobMessage): Promise<void> {
  return new Promise((resolve) => {
    if (!process.connected) return resolve();
    process.send?.(m, undefined, {}, () => resolve());
  });
}

async function trainJob(req: TrainJobRequest): Promise<void> {
  const { job } = req;
  const store = new DirectoryResultStore(req.storeDir);
  const progress: RunJobProgress = { phase: "loading", worker: req.worker, step: 0, totalSteps: 0 };
  const publish = (p: Partial<RunJobProgress>) => {
    Object.assign(progress, p);
    void send({ type: "progress", progress: { ...progress } });
  };
  publish({});
  const backend = req.backend ?? job.backend;
  await useBackend(backend);
  if (!req.backend && tf.getBackend() !== job.backend)
    throw new Error(`job ${job.key} was keyed for backend '${job.backend}'; this worker started '${tf.getBackend()}'`);
  const o = localInputs(decodeOptions(job.options), job.baseName, store, req);

  const lease = { worker: req.worker, host: hostname(), pid: process.pid };
  await store.writeLease(job.key, { ...lease, at: Date.now() });
  const refresh = setInterval(
    () => void store.writeLease(job.key, { ...lease, at: Date.now() }).catch(() => undefined),
    Math.max(200, Math.floor(req.leaseMs / 3)),
  );
  refresh.unref();
  const startedAt = new Date();
  const t0 = performance.now();
  let staged = false;
  let resumedFromStep: number | undefined;
  try {
    const result = await runMethod(o, {
      checkpoint: { dir: store.checkpointDir(job.key), every: req.checkpointEvery, keepLast: 2 },
      onStep: (s) => {
        // the first step after a resume follows the checkpoint's
        if (progress.phase !== "training" && s.step > 1) resumedFromStep = s.step - 1;
        publish({
          phase: "training",
          step: s.step,
          totalSteps: s.totalSteps,
          loss: s.loss,
          tokensPerSec: s.tokensPerSec,
          ...(resumedFromStep !== undefined ? { resumedFromStep } : {}),
        });
      },
      onTrained: async ({ attachment, tuned, resumedFrom }) => {
        const m = resumedFrom ? /ckpt-(\d+)$/.exec(resumedFrom) : null;
        resumedFromStep = m ? Number(m[1]) : undefined;
        if (attachment) {
          // TunedModel.save: the adapter plus a trained classification head as modules_to_save
          await tuned.save(await store.stageAdapter(job.key));
          staged = true;
        }
        publish({ phase: "evaluating", ...(resumedFromStep !== undefined ? { resumedFromStep } : {}) });
      },
    });
    const seconds = (performance.now() - t0) / 1000;
    publish({ phase: "saving" });
    // A worker that vanished mid-run has had its job handed to another: let that one store it.
    if (!process.connected) process.exit(1);
    await store.write(
      job.key,
      result,
      {
        worker: req.worker,
        host: lease.host,
        pid: process.pid,
        backend: tf.getBackend(),
        threads: req.threads,
        startedAt: startedAt.toISOString(),
        finishedAt: new Date().toISOString(),
        seconds,
        ...(resumedFromStep !== undefined ? { resumedFromStep } : {}),
      },
      { adapterStaged: staged },
    );
    await send({ type: "done", seconds, ...(resumedFromStep !== undefined ? { resumedFromStep } : {}) });
  } finally {
    clearInterval(refresh);
    await store.dropLease(job.key, lease); // a failed run must not hold off the worker that retries it
  }
}

process.on("disconnect", () => process.exit(1));
process.once("message", (req: TrainJobRequest) => {
  trainJob(req).then(
    () => process.exit(0),
    async (e: Error) => {
      await send({ type: "failed", error: e?.stack ?? String(e) });
      process.exit(1);
    },
  );
});
