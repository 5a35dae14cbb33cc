// A worker thread whose heap limit is its own, not the process's. V8 applies a
// --max-old-space-size given to the process to every isolate it configures, over a Worker's
// resourceLimits (as Node documents), so a kernel started with a small cap to bound its own
// memory handed the type checker the same cap. The checker needs ~80 MB after GC (TypeScript's
// lib files and @types/node): under a 64 MB cap it ran out of memory, was started again for the
// next check, loaded TypeScript again and ran out again, a loop that starved the kernel.
import { setFlagsFromString } from "node:v8";
import { Worker, type WorkerOptions } from "node:worker_threads";

export function startWorkerWithOwnHeap(url: URL, options: WorkerOptions, maxOldGenerationSizeMb: number): Worker {
  // The flag is read when an isolate's heap is configured: the main heap, configured at start,
  // keeps its limit, and 0 ("not set") lets resourceLimits decide for the new one. The kernel
  // process starts no other isolates, so the flag is left at 0.
  setFlagsFromString("--max-old-space-size=0");
  return new Worker(url, { ...options, resourceLimits: { ...options.resourceLimits, maxOldGenerationSizeMb } });
}
