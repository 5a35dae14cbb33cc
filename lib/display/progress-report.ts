// What a progress bar publishes beside its picture: the numbers, in the display metadata, so a
// headless runner (`peft-nb reproduce`) can relay a notebook's progress to a terminal without
// parsing HTML. Only bars given a `kind` publish it, so a training bar inside each run does not
// drown the runs-done count a person follows.

export const PROGRESS_METADATA_KEY = "peft_nb_progress";

/** The kind of bar that counts a notebook's fine-tuning runs (cachedRuns); `peft-nb reproduce` relays these. */
export const RUNS_PROGRESS_KIND = "runs";

export interface ProgressReport {
  /** What is counted, e.g. "runs". */
  kind: string;
  label: string;
  current: number;
  total: number;
  elapsedSeconds: number;
  /** Undefined while there is nothing to estimate from. */
  etaSeconds?: number;
  fields: Record<string, string | number>;
}

/** The report in a display's metadata, or undefined when it carries none (or a malformed one). */
export function progressFromMetadata(metadata: unknown): ProgressReport | undefined {
  if (!metadata || typeof metadata !== "object") return undefined;
  const p = (metadata as Record<string, unknown>)[PROGRESS_METADATA_KEY];
  if (!p || typeof p !== "object") return undefined;
  const r = p as Partial<ProgressReport>;
  if (typeof r.kind !== "string" || typeof r.current !== "number" || typeof r.total !== "number") return undefined;
  return {
    kind: r.kind,
    label: typeof r.label === "string" ? r.label : "",
    current: r.current,
    total: r.total,
    elapsedSeconds: typeof r.elapsedSeconds === "number" ? r.elapsedSeconds : 0,
    ...(typeof r.etaSeconds === "number" ? { etaSeconds: r.etaSeconds } : {}),
    fields: r.fields && typeof r.fields === "object" ? r.fields : {},
  };
}
