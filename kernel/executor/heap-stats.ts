// Heap figures after a full collection, for judging what a process keeps (PEFT_NB_HEAP_STATS):
// RSS and heap totals swing with the collector's timing, used heap after a forced GC does not.
import { getHeapStatistics, setFlagsFromString } from "node:v8";
import { runInNewContext } from "node:vm";

export interface HeapStats {
  /** Bytes in use after a full collection. */
  usedBytes: number;
  /** The heap's limit (--max-old-space-size, or a worker's resourceLimits). */
  limitBytes: number;
}

let gc: (() => void) | undefined;
function collector(): () => void {
  if (gc) return gc;
  const exposed = (globalThis as { gc?: () => void }).gc;
  if (exposed) return (gc = exposed);
  // Without --expose-gc: turn the flag on and take gc from a fresh context, which sees it.
  setFlagsFromString("--expose-gc");
  return (gc = runInNewContext("gc") as () => void);
}

/** Collects garbage (twice: weak references and finalizers free more on the second pass) and measures. */
export function heapStats(): HeapStats {
  const collect = collector();
  collect();
  collect();
  const s = getHeapStatistics();
  return { usedBytes: s.used_heap_size, limitBytes: s.heap_size_limit };
}
