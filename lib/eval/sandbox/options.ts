// What callers may ask of the sandbox, its defaults, and their validation.

export type IsolationMethod = "bubblewrap" | "python guard only";
export const ISOLATION_METHODS: readonly IsolationMethod[] = ["bubblewrap", "python guard only"];

export interface SandboxLimits {
  /** Wall-clock limit; the whole process tree is killed after it. Default 10 s. */
  timeoutMs?: number;
  /** Address space of each process (RLIMIT_AS). Default 1 GiB. */
  memoryBytes?: number;
  /** Largest file the program may write (RLIMIT_FSIZE). Default 16 MiB. */
  fileBytes?: number;
  /** Processes and threads at once inside the sandbox (RLIMIT_NPROC in its own user namespace). Default 32. */
  processes?: number;
  /** Size of the private writable /tmp (bubblewrap only). Default 64 MiB. */
  tmpBytes?: number;
  /**
   * "bubblewrap" requires it (an error where it is unusable); "python guard only" explicitly asks for
   * the weak fallback. Unset: bubblewrap where usable, else refuse unless weak isolation is allowed.
   */
  isolation?: IsolationMethod;
  /** Where bubblewrap is unusable, run with the Python guard only instead of refusing. Also PEFT_SANDBOX_ALLOW_WEAK=1. */
  allowWeakIsolation?: boolean;
}

export interface ResolvedLimits {
  timeoutMs: number;
  memoryBytes: number;
  fileBytes: number;
  processes: number;
  tmpBytes: number;
}

const DEFAULTS: ResolvedLimits = {
  timeoutMs: 10_000,
  memoryBytes: 1024 ** 3,
  fileBytes: 16 * 1024 ** 2,
  processes: 32,
  tmpBytes: 64 * 1024 ** 2,
};

// Below these the interpreter itself cannot start, which would read as the candidate failing.
const MINIMA: ResolvedLimits = {
  timeoutMs: 1,
  memoryBytes: 64 * 1024 ** 2,
  fileBytes: 1,
  processes: 4,
  tmpBytes: 1024 ** 2,
};

/** Fills in defaults; a value that is not a finite number at or above its minimum is an error naming the field. */
export function resolveLimits(limits: SandboxLimits = {}): ResolvedLimits {
  const out = { ...DEFAULTS };
  for (const key of Object.keys(DEFAULTS) as (keyof ResolvedLimits)[]) {
    const v = limits[key];
    if (v === undefined) continue;
    if (typeof v !== "number" || !Number.isFinite(v) || v < MINIMA[key])
      throw new Error(`sandbox: ${key} must be a number >= ${MINIMA[key]}, found ${JSON.stringify(v)}`);
    out[key] = Math.floor(v);
  }
  return out;
}

/** The limits as the Python side applies them (CPU seconds follow the wall-clock limit). */
export function pythonLimits(lim: ResolvedLimits, processLimit: boolean) {
  return {
    memoryBytes: lim.memoryBytes,
    cpuSeconds: Math.max(1, Math.ceil(lim.timeoutMs / 1000) + 1),
    fileBytes: lim.fileBytes,
    processes: processLimit ? lim.processes : null,
  };
}
