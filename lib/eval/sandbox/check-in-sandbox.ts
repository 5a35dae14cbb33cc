// Runs one HumanEval completion against its task's check function in the sandbox. A pass is recorded
// only when the checker, a process that never runs candidate code, reports that check() returned,
// on a channel only it holds, with this run's nonce. Exit codes and output never count.
import { randomBytes } from "node:crypto";
import { resolveIsolation, type Isolation, type Resolved } from "./isolation.js";
import { launch } from "./launch.js";
import { pythonLimits, resolveLimits, type SandboxLimits } from "./options.js";
import { CHECKER_PY } from "./python/checker.js";
import { guardPy } from "./python/guard.js";

export interface CheckTask {
  prompt: string;
  test: string;
  entryPoint: string;
}

export interface SandboxCheck {
  status: "passed" | "failed" | "timeout";
  /** Why it failed: the check's exception and test line, the candidate's error, or how the run ended. */
  reason?: string;
  durationMs: number;
  stdout: string;
  stderr: string;
  isolation: Isolation;
}

/** Checks `completion` for `task`; `resolved` fixes the isolation for a whole evaluation. */
export async function checkInSandbox(
  task: CheckTask,
  completion: string,
  limits: SandboxLimits = {},
  resolved: Resolved = resolveIsolation(limits),
): Promise<SandboxCheck> {
  const lim = resolveLimits(limits);
  const { isolation } = resolved;
  const nonce = randomBytes(16).toString("hex");
  const r = await launch({
    resolved,
    limits: lim,
    program: CHECKER_PY,
    verdictChannel: true,
    input: JSON.stringify({
      nonce,
      task: { prompt: task.prompt, test: task.test, entryPoint: task.entryPoint },
      completion,
      limits: pythonLimits(lim, isolation.processLimit),
      guardSource: guardPy(!isolation.network),
    }),
  });
  const base = { durationMs: r.durationMs, stdout: r.stdout, stderr: r.stderr, isolation };
  if (r.timedOut) return { ...base, status: "timeout", reason: `timed out after ${r.durationMs} ms` };
  const verdict = parseVerdict(r.verdict, nonce);
  if (verdict?.passed) return { ...base, status: "passed" };
  const ended = r.exitCode !== null ? `exit ${r.exitCode}` : r.signal ? `signal ${r.signal}` : "never started";
  const reason =
    verdict?.reason || `the checker gave no verdict (${ended}): ${r.stderr.trim().split("\n").pop() || "no output"}`;
  return { ...base, status: "failed", reason };
}

function parseVerdict(text: string, nonce: string): { passed: boolean; reason: string } | undefined {
  const line = text.split("\n")[0];
  try {
    const v = JSON.parse(line) as { nonce?: unknown; passed?: unknown; reason?: unknown };
    if (v.nonce !== nonce) return undefined;
    return { passed: v.passed === true, reason: typeof v.reason === "string" ? v.reason : "" };
  } catch {
    return undefined;
  }
}
