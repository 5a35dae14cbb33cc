// Starts one sandboxed Python process and collects its outcome. The call settles within the timeout
// plus a short grace whatever the program does: at the deadline the sandbox's PID 1 is killed (and
// with it every process inside; bwrap reaps it and exits), then the whole process group, and output
// pipes that something still holds open are abandoned rather than waited for.
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
// Killing PID 1 first lets bwrap reap it (no zombie left to an init that may not reap); the group
// kill follows in case bwrap itself does not exit.
const GROUP_KILL_DELAY_MS = 150;
// bwrap writes the host pid of the sandbox's PID 1 here (--info-fd).
const INFO_FD = 4;

interface Command {
  cmd: string;
  args: string[];
  cwd: string;
  env: Record<string, string>;
  /** The weak fallback's temporary directory, removed afterwards. */
  workDir?: string;
}

function command(spec: LaunchSpec): Command {
  const python = [SANDBOX_PYTHON, ...PYTHON_FLAGS, "-c", spec.program];
  const strong = spec.resolved.strong;
  if (strong) {
    const sandbox = bwrapArgs(strong.bwrap, {
      pythonRoots: strong.roots,
      tmpBytes: spec.limits.tmpBytes,
      infoFd: INFO_FD,
    });
    return { cmd: strong.bwrap.path, args: [...sandbox, ...python], cwd: "/", env: sandboxEnv("/tmp") };
  }
  const workDir = realpathSync(mkdtempSync(join(tmpdir(), "peft-sandbox-")));
  const user = sandboxUser();
  if (user) chownSync(workDir, user.uid, user.gid);
  return { cmd: python[0], args: python.slice(1), cwd: workDir, env: sandboxEnv(workDir), workDir };
}

export async function launch(spec: LaunchSpec): Promise<Launched> {
  const c = command(spec);
  const started = Date.now();
  try {
    return await new Promise<Launched>((resolve) => {
      const child = spawn(c.cmd, c.args, {
        cwd: c.cwd,
        env: c.env,
        detached: true, // its own process group, killed as one
        stdio: ["pipe", "pipe", "pipe", spec.verdictChannel ? "pipe" : "ignore", c.workDir ? "ignore" : "pipe"],
        ...sandboxUser(),
      });
      const out = { stdout: "", stderr: "", verdict: "", info: "" };
      const collect = (stream: Readable | null | undefined, key: keyof typeof out) =>
        stream?.on("data", (d: Buffer) => {
          if (out[key].length < MAX_CAPTURE) out[key] += d.toString("utf8");
        });
      collect(child.stdout, "stdout");
      collect(child.stderr, "stderr");
      collect(child.stdio[3] as Readable | null, "verdict");
      collect(child.stdio[INFO_FD] as Readable | null, "info");
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
        killGroup(child.pid); // strays of the weak fallback; under bubblewrap the group is gone
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
          const init = sandboxInit(out.info);
          if (init !== undefined && !exit) kill(init);
          timers.push(
            setTimeout(() => killGroup(child.pid), init === undefined ? 0 : GROUP_KILL_DELAY_MS),
            setTimeout(() => finish(), KILL_GRACE_MS),
          );
        }, spec.limits.timeoutMs),
      );
      child.on("error", (e) => finish(`\nsandbox: could not start ${c.cmd}: ${e.message}`));
      child.on("exit", (code, signal) => {
        exit = { code, signal };
        timers.push(setTimeout(() => finish(), CLOSE_GRACE_MS));
      });
      child.on("close", () => finish());
    });
  } finally {
    if (c.workDir) rmSync(c.workDir, { recursive: true, force: true });
  }
}

/** The host pid of the sandbox's PID 1, from bwrap's --info-fd JSON. */
function sandboxInit(info: string): number | undefined {
  const pid = /"child-pid":\s*(\d+)/.exec(info)?.[1];
  return pid === undefined ? undefined : Number(pid);
}

function kill(pid: number): void {
  try {
    process.kill(pid, "SIGKILL");
  } catch {
    // already gone
  }
}

function killGroup(pid: number | undefined): void {
  if (pid !== undefined) kill(-pid);
}
