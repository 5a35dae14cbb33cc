// Requests to and answers from the type-checker worker (checker-worker.ts).
import type { HeapStats } from "./heap-stats.js";

/** What the worker is started with. */
export interface CheckerWorkerData {
  projectRoot: string;
  /** Run checks at a lower CPU priority than the other requests (see CheckerOptions). */
  backgroundChecks: boolean;
}
export type CheckerRequest =
  /** keepOnError: record the cell's declarations even when it has type errors (it ran anyway). */
  /**
   * repeat: the same cell ran this many times in a row (a coalesced burst); the answer holds one
   * result per run until a run changes no declarations, after which every run's is the same.
   */
  | { id: number; op: "check"; code: string; keepOnError: boolean; repeat: number }
  | { id: number; op: "complete"; code: string; cursor: number }
  | { id: number; op: "inspect"; code: string; cursor: number }
  | { id: number; op: "isComplete"; code: string }
  | { id: number; op: "reset" }
  /** Heap after a forced GC and the worker's own tables (PEFT_NB_HEAP_STATS). */
  | { id: number; op: "heapStats" };

export type CheckerResponse = { id: number; ok: true; value: unknown } | { id: number; ok: false; error: string };

/** A check's answer; `changed`: the cell added or changed declarations for later cells. */
export interface CheckResult {
  diags: TypeDiagnostic[];
  changed: boolean;
}

/** The worker's answer to a check: the first runs' results, the last standing for the rest. */
export interface CheckRuns {
  runs: CheckResult[];
}

export interface TypeDiagnostic {
  /** 1-based, in the cell's text. */
  line: number;
  column: number;
  message: string;
  code: number;
  category: "error" | "warning" | "message";
  /** Set when the diagnostic is in a file the cell imports. */
  fileName?: string;
}

export interface CompletionResult {
  start: number;
  end: number;
  candidates: string[];
}

/** The worker's answer to heapStats. */
export interface CheckerHeapStats extends HeapStats {
  /** Entries in the worker's memo of checks. */
  memo: number;
  /** Characters of declarations carried from cell to cell. */
  declChars: number;
}
