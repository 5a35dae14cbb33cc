// What notebooks use of the sweep machinery: reading the result store (results, adapters) and
// the queue settings. The queue itself (BullMQ, ioredis) loads only when a batch of runs goes to
// it (lib/reproduce/run-batch.ts) or from the `peft-nb worker` / `peft-nb queue` commands.
export { DirectoryResultStore, defaultResultStoreDir, checkRunKey } from "./result-store.js";
export type { Provenance, RunSummaryFile, StoredRun, StoredFailure } from "./result-store.js";
export { queueUrlFrom, queueNameFrom, redactUrl, DEFAULT_QUEUE_NAME } from "./queue-url.js";
export type { RunJobProgress, RunPhase } from "./run-job.js";
