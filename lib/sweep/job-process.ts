// The worker's side of one job's child process (train-job.ts): fork it with the job's thread
// budget in its environment, relay its progress, and turn how it ended into a result or an error
// that says what happened (its own error, a signal, an exit without a result).
import { fork, type ChildProcess } from "node:child_process";
import { fileURLToPath } from "node:url";
import type { TrainJobMessage, TrainJobRequest } from "./job-protocol.js";
import type { RunJobProgress } from "./run-job.js";

const CHILD = fileURLToPath(new URL("./train-job.js", import.meta.url));

/**
 * Variables the math libraries read for their thread count: PEFT_THREADS (the project's native
 * backend), OpenMP, OpenBLAS, MKL and TensorFlow's (tfjs-node) intra/inter-op pools.
 */
export function threadEnv(threads: number): Record<string, string> {
  const t = String(threads);
  return {
    PEFT_THREADS: t,
    OMP_NUM_THREADS: t,
    OPENBLAS_NUM_THREADS: t,
    MKL_NUM_THREADS: t,
    TF_NUM_INTRAOP_THREADS: t,
    TF_NUM_INTEROP_THREADS: "1",
  };
}

export interface ChildJob {
  child: ChildProcess;
  done: Promise<{ seconds: number; resumedFromStep?: number }>;
}

export function startChildJob(req: TrainJobRequest, onProgress: (p: RunJobProgress) => void): ChildJob {
  const child = fork(CHILD, [], {
    env: { ...process.env, ...threadEnv(req.threads) },
    stdio: ["ignore", "inherit", "inherit", "ipc"],
    serialization: "json",
  });
  const done = new Promise<{ seconds: number; resumedFromStep?: number }>((resolve, reject) => {
    let outcome: TrainJobMessage | null = null;
    child.on("message", (m: TrainJobMessage) => {
      if (m.type === "progress") onProgress(m.progress);
      else outcome = m;
    });
    child.on("error", (e) => reject(new Error(`could not start the training process: ${e.message}`)));
    child.on("exit", (code, signal) => {
      const o = outcome as TrainJobMessage | null;
      if (o?.type === "done")
        resolve({
          seconds: o.seconds,
          ...(o.resumedFromStep !== undefined ? { resumedFromStep: o.resumedFromStep } : {}),
        });
      else if (o?.type === "failed") reject(new Error(o.error));
      else if (signal)
        reject(
          new Error(
            `the training process was killed by ${signal}${signal === "SIGKILL" ? " (out of memory, or killed by hand)" : ""} before it stored a result`,
          ),
        );
      else reject(new Error(`the training process exited with code ${code} before it stored a result`));
    });
  });
  child.send(req);
  return { child, done };
}
