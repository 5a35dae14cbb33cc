// Runs a whole Python program in the sandbox and reports how it exited. This is a program runner,
// not a judge: "passed" means the program exited 0. HumanEval verdicts come from checkInSandbox.
import { resolveIsolation, type Isolation } from "./isolation.js";
import { launch } from "./launch.js";
import { pythonLimits, resolveLimits, type SandboxLimits } from "./options.js";
import { guardPy } from "./python/guard.js";
import { RUNNER_PY } from "./python/runner.js";

export interface SandboxResult {
  /** "passed": the program exited 0; "failed": it exited otherwise; "timeout": it was killed at the deadline. */
  status: "passed" | "failed" | "timeout";
  exitCode: number | null;
  signal: NodeJS.Signals | null;
  stdout: string;
  stderr: string;
  durationMs: number;
  /** The isolation this run actually had. */
  isolation: Isolation;
}

/** Runs `source` as a Python program in the sandbox; rejects only when it may not run at all (see resolveIsolation). */
export async function runPythonSandboxed(source: string, limits: SandboxLimits = {}): Promise<SandboxResult> {
  const resolved = resolveIsolation(limits);
  const lim = resolveLimits(limits);
  const { isolation } = resolved;
  const r = await launch({
    resolved,
    limits: lim,
    program: RUNNER_PY,
    input: JSON.stringify({
      source,
      limits: pythonLimits(lim, isolation.processLimit),
      guardSource: guardPy(!isolation.network),
    }),
  });
  return {
    status: r.timedOut ? "timeout" : r.exitCode === 0 ? "passed" : "failed",
    exitCode: r.exitCode,
    signal: r.signal,
    stdout: r.stdout,
    stderr: r.stderr,
    durationMs: r.durationMs,
    isolation,
  };
}
