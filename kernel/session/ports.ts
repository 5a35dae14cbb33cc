// What the session needs from the rest of the kernel, as interfaces so tests can drive the
// protocol logic without sockets, child processes or TypeScript.
import type { OutgoingMessage, RequestChannel } from "../wire/sockets.js";
import type { ExecuteOutcome } from "../executor/host.js";
import type { CompletionResult, TypeDiagnostic } from "../executor/checker-protocol.js";
import type { HistoryTuple } from "../history/store.js";
import type { CommToRuntime } from "../executor/protocol.js";

export interface Transport {
  send(channel: RequestChannel, m: OutgoingMessage): Promise<void>;
  publish(m: OutgoingMessage): Promise<void>;
}

export interface Runtime {
  execute(cell: string, code: string, count: number, userExpressions?: Record<string, string>): Promise<ExecuteOutcome>;
  interrupt(): void;
  restart(): Promise<void>;
  close(): void;
  /**
   * A frontend comm message for user code; comm_open resolves with null when a registered target
   * took it, else with the reason (the session then closes the comm). Without it, every
   * comm_open is closed at once.
   */
  comm?(msg: CommToRuntime): Promise<string | null>;
  /** Bumps whenever a fresh runtime replaced a dead one. */
  readonly generation: number;
}

export interface TypeChecker {
  /** keepOnError: record the cell's declarations even if it has type errors (it will run). */
  check(code: string, keepOnError?: boolean): Promise<TypeDiagnostic[]>;
  complete(code: string, cursor: number): Promise<CompletionResult>;
  inspect(code: string, cursor: number): Promise<{ found: boolean; text: string }>;
  isComplete(code: string): Promise<{ status: "complete" | "incomplete" | "invalid"; indent?: string }>;
  reset(): Promise<void>;
  close(): Promise<void>;
}

export interface History {
  readonly session: number;
  append(line: number, input: string, output?: string): void;
  tail(n: number, output?: boolean): HistoryTuple[];
  range(session: number, start: number, stop: number | null, output?: boolean): HistoryTuple[];
  search(pattern: string, n: number | null, unique: boolean, output?: boolean): HistoryTuple[];
  flush(): Promise<void>;
}

/**
 * How type errors affect a cell (PEFT_NB_TYPECHECK):
 *  background (default) - the cell runs at once; type errors arrive as stderr warnings, before
 *                         the reply when the check ends within warningGraceMs of the cell,
 *                         else later (still parented to the cell);
 *  wait                 - the reply waits for the checker; type errors are warnings in the cell;
 *  strict               - the checker runs first; a type error stops the cell from running;
 *  off                  - no type checking (completion and inspection still work).
 */
export type TypecheckMode = "background" | "wait" | "strict" | "off";

export function typecheckMode(env: NodeJS.ProcessEnv = process.env): TypecheckMode {
  const v = (env.PEFT_NB_TYPECHECK ?? "background").toLowerCase();
  if (v === "background" || v === "wait" || v === "strict" || v === "off") return v;
  throw new Error(`PEFT_NB_TYPECHECK must be background, wait, strict or off; found '${v}'`);
}

/**
 * Background mode: how long a finished cell waits for its type check before going idle
 * (PEFT_NB_WARNING_GRACE_MS, default 0: interactive cells never wait for the checker; headless
 * runs that want warnings inside their cells use PEFT_NB_TYPECHECK=wait, as `peft-nb run` does).
 */
export function warningGraceMs(env: NodeJS.ProcessEnv = process.env): number {
  const raw = env.PEFT_NB_WARNING_GRACE_MS;
  if (raw === undefined || raw === "") return 0;
  const v = Number(raw);
  if (!Number.isFinite(v) || v < 0)
    throw new Error(`PEFT_NB_WARNING_GRACE_MS must be a number of milliseconds >= 0; found '${raw}'`);
  return v;
}

/**
 * The type-checker worker's heap limit in MB (PEFT_NB_CHECKER_HEAP_MB; default CHECKER_HEAP_MB),
 * its own whatever --max-old-space-size the kernel process runs with.
 */
export function checkerHeapMb(env: NodeJS.ProcessEnv = process.env): number | undefined {
  const raw = env.PEFT_NB_CHECKER_HEAP_MB;
  if (raw === undefined || raw === "") return undefined;
  const v = Number(raw);
  if (!Number.isInteger(v) || v < 16)
    throw new Error(`PEFT_NB_CHECKER_HEAP_MB must be a whole number of MB >= 16; found '${raw}'`);
  return v;
}
