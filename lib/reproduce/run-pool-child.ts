// A process of cachedRuns' local run pool: it starts the parent's backend once (its thread budget
// is already in its environment), then trains the runs it is sent one after another into the run
// cache, where the parent reads them back. One process trains many runs, as a notebook does, so the
// pool pays tfjs's start-up once per process, not once per run. It exits when its parent goes.
import * as tf from "@tensorflow/tfjs";
import { useBackend } from "../backend/select.js";
import { decodeOptions } from "../sweep/run-job.js";
import type { PoolMessage, PoolRequest } from "./run-pool-protocol.js";
import { cachedRun } from "./runs.js";

function send(m: PoolMessage): Promise<void> {
  return new Promise((resolve) => {
    if (!process.connected) return resolve();
    process.send?.(m, undefined, {}, () => resolve());
  });
}

let settings: { cacheDir: string; adapters: boolean } | null = null;
// Runs arrive one at a time (the parent sends the next when this one is done); the chain keeps
// them in order even if a second one arrives early.
let chain: Promise<void> = Promise.resolve();

async function handle(req: PoolRequest): Promise<void> {
  if (req.type === "init") {
    try {
      const chosen = await useBackend(req.backend);
      if (tf.getBackend() !== req.backend)
        throw new Error(`the pool process started backend '${tf.getBackend()}', not the notebook's '${req.backend}'`);
      settings = { cacheDir: req.cacheDir, adapters: req.adapters };
      await send({ type: "ready", backend: tf.getBackend(), threads: chosen.threads ?? null });
    } catch (e) {
      await send({ type: "init-failed", error: (e as Error).stack ?? String(e) });
      process.exit(1);
    }
    return;
  }
  const t0 = performance.now();
  try {
    if (!settings) throw new Error("run pool: a run arrived before init");
    await cachedRun(decodeOptions(req.options), settings);
    await send({ type: "done", id: req.id, seconds: (performance.now() - t0) / 1000 });
  } catch (e) {
    await send({ type: "failed", id: req.id, error: (e as Error).stack ?? String(e) });
  }
}

process.on("disconnect", () => process.exit(0));
process.on("message", (req: PoolRequest) => {
  chain = chain.then(() => handle(req));
});
