// What asking for a batch of runs gives back, one per run: its result, or the error that stopped
// it. A failed run is reported, never thrown, so one bad run does not block the others and the
// tables can say which cell it emptied.
import type { RunResult } from "../experiments/run-method.js";
import type { Table } from "../plots/table.js";

export type RunSuccess = RunResult & {
  ok: true;
  key: string;
  /** True when the result was stored before this request (trained by an earlier notebook or sweep). */
  cached: boolean;
  /** The worker that trained it, when a queue did. */
  worker?: string;
  /** Its tuned adapter's PEFT files, when asked for (cachedRun's `adapters`). */
  adapterDir?: string;
};

export interface RunFailure {
  ok: false;
  key: string;
  method: RunResult["method"];
  task: RunResult["task"];
  seed: number;
  error: string;
}

export type RunOutcome = RunSuccess | RunFailure;

/** The key a run with invalid options is reported under (a real key needs valid options). */
export function invalidRunKey(o: { method: string; task: string; seed?: number }): string {
  return `${o.method}-${o.task}-s${o.seed ?? 0}-invalid`;
}

export function isRunFailure(r: unknown): r is RunFailure {
  return typeof r === "object" && r !== null && (r as RunFailure).ok === false && "error" in r;
}

/** The first line of an error, short enough for a table cell. */
export function shortError(error: string, max = 120): string {
  const line = error.split("\n").find((l) => l.trim() !== "") ?? error;
  return line.length > max ? `${line.slice(0, max - 1)}…` : line;
}

export function splitOutcomes(outcomes: readonly RunOutcome[]): { runs: RunSuccess[]; failures: RunFailure[] } {
  return {
    runs: outcomes.filter((o): o is RunSuccess => o.ok),
    failures: outcomes.filter((o): o is RunFailure => !o.ok),
  };
}

/** The successful runs; throws one error naming every failed run when any failed. */
export function expectRuns(outcomes: readonly RunOutcome[]): RunSuccess[] {
  const { runs, failures } = splitOutcomes(outcomes);
  if (failures.length > 0)
    throw new Error(
      `${failures.length} run(s) failed:\n${failures.map((f) => `  ${f.method} on ${f.task}, seed ${f.seed} (${f.key}): ${shortError(f.error, 400)}`).join("\n")}`,
    );
  return runs;
}

/** One row per failed run with its error, for a notebook to save beside the tables it affected. */
export function failureTable(failures: readonly RunFailure[]): Table {
  return {
    columns: ["method", "task", "seed", "run key", "error"],
    rows: failures.map((f) => [f.method, f.task, f.seed, f.key, shortError(f.error, 400)]),
    caption: `${failures.length} run(s) failed; their cells are marked in the tables`,
  };
}
