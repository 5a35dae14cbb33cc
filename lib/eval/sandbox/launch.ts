// Starts one sandboxed Python process and collects its outcome. The call settles within the timeout
// plus a short grace whatever the program does: at the deadline the process group is killed (under
// bubblewrap that kills the sandbox's PID 1, and with it every process inside), and output pipes
// that something still holds open are abandoned rather than waited for.
import { spawn } from "node:child_process";
import { chownSync, mkdtempSync, realpathSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import type { Readable } from "node:stream";
import { bwrapArgs } from "./bwrap.js";
import type { Resolved } from "./isolation.js";
import type { ResolvedLimits } from "./options.js";
import { PYTHON_FLAGS, SANDBOX_PYTHON, sandboxEnv, sandboxUser } from "./python-env.js";

export interface LaunchSpec {
  resolved: Resolved;
  limits: ResolvedLimits;
  /** Python source run with -c: the program runner or the HumanEval checker. */
  program: string;
  /** Written to stdin, which is then closed. */
  input: string;
  /** Open fd 3 for the checker's verdict and collect what it writes. */
  verdictChannel?: boolean;
  /** Skip site-packages (-S): for the checker, which needs only the standard library. */
  noSite?: boolean;
}

export interface Launched {
  exitCode: number | null;
  signal: NodeJS.Signals | null;
  stdout: string;
  stderr: string;
  /** What the program wrote to fd 3 (empty without a verdict channel). */
  verdict: string;
  durationMs: number;
  timedOut: boolean;
}

const MAX_CAPTURE = 64 * 1024;
// After the process exits, how long pipes held open by escaped descendants may delay the result.
const CLOSE_GRACE_MS = 250;
// After the kill at the deadline, the longest wait for the exit before settling anyway.
const KILL_GRACE_MS = 600;

export async function launch(spec: LaunchSpec): Promise<Launched> {
  const { resolved, limits } = spec;
  const user = sandboxUser();
  const python = [SANDBOX_PYTHON, ...PYTHON_FLAGS, ...(spec.noSite ? ["-S"] : []), "-c", spec.program];
  let workDir: string | undefined;
  let cmd: string;
  let args: string[];
  let cwd: string;
  let env: Record<string, string>;
  if (resolved.strong) {
    const { bwrap, roots } = resolved.strong;
    [cmd, args, cwd, env] = [
      bwrap.path,
      [...bwrapArgs(bwrap, { pythonRoots: roots, tmpBytes: limits.tmpBytes }), ...python],
      "/",
      sandboxEnv("/tmp"),
    ];
  } else {
    workDir = realpathSync(mkdtempSync(join(tmpdir(), "peft-sandbox-")));
    if (user) chownSync(workDir, user.uid, user.gid);
    [cmd, args, cwd, env] = [python[0], python.slice(1), workDir, sandboxEnv(workDir)];
  }
  const started = Date.now();
  try {
    return await new Promise<Launched>((resolve) => {
      const child = spawn(cmd, args, {
        cwd,
        env,
        detached: true, // its own process group, killed as one
        stdio: ["pipe", "pipe", "pipe", spec.verdictChannel ? "pipe" : "ignore"],
        ...user,
      });
      const out = { stdout: "", stderr: "", verdict: "" };
      const collect = (stream: Readable | null | undefined, key: keyof typeof out) =>
        stream?.on("data", (d: Buffer) => {
          if (out[key].length < MAX_CAPTURE) out[key] += d.toString("utf8");
        });
      collect(child.stdout, "stdout");
      collect(child.stderr, "stderr");
      collect(child.stdio[3] as Readable | null, "verdict");
      child.stdin?.on("error", () => {}); // a program that exits before reading its input
      child.stdin?.end(spec.input);

      let timedOut = false;
      let exit: { code: number | null; signal: NodeJS.Signals | null } | undefined;
      let settled = false;
      const timers: NodeJS.Timeout[] = [];
      const finish = (extra = "") => {
        if (settled) return;
        settled = true;
        for (const t of timers) clearTimeout(t);
        killGroup(child.pid);
        for (const s of child.stdio) s?.destroy();
        resolve({
          exitCode: exit?.code ?? null,
          signal: exit?.signal ?? null,
          stdout: out.stdout,
          stderr: out.stderr + extra,
          verdict: out.verdict,
          durationMs: Date.now() - started,
          timedOut,
        });
      };
      timers.push(
        setTimeout(() => {
          timedOut = true;
          killGroup(child.pid);
          timers.push(setTimeout(() => finish(), KILL_GRACE_MS));
        }, limits.timeoutMs),
      );
      child.on("error", (e) => finish(`\nsandbox: could not start ${cmd}: ${e.message}`));
      child.on("exit", (code, signal) => {
        exit = { code, signal };
        timers.push(setTimeout(() => finish(), CLOSE_GRACE_MS));
      });
      child.on("close", () => finish());
    });
  } finally {
    if (workDir) rmSync(workDir, { recursive: true, force: true });
  }
}

function killGroup(pid: number | undefined): void {
  if (pid === undefined) return;
  try {
    process.kill(-pid, "SIGKILL");
  } catch {
    // already gone
  }
}
