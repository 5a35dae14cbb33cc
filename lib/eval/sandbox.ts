// Runs untrusted Python (model-written code) in a separate process with a timeout, resource limits,
// no network, a throwaway directory as cwd and HOME, and the rest of the file system read-only.
//
// Layers, strongest first:
//  1. `unshare -rmn` (user + mount + network namespaces, no root needed): the loopback-only network
//     namespace has no route anywhere, and every mount except the sandbox directory is remounted
//     read-only, so `rm -rf` or writes outside the sandbox fail with EROFS.
//  2. A Python preamble: resource.setrlimit (address space, CPU seconds, file size, no core dumps) and
//     a guard that replaces destructive os/shutil/subprocess functions with ones that raise (the
//     reliability guard idea of OpenAI's human-eval). Without namespaces it also blocks sockets.
//  3. The parent kills the whole process group when the wall-clock timeout expires.
// Without `unshare` (e.g. macOS, or user namespaces disabled) only layers 2 and 3 apply; the
// `isolation` field of every result says which applied. Layer 2 alone is not a security boundary.
import { spawn, spawnSync } from "node:child_process";
import { mkdtempSync, realpathSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";

export const SANDBOX_PYTHON = process.env.PEFT_PYTHON ?? "/usr/bin/python3";

export interface SandboxLimits {
  /** Wall-clock limit; the process group is killed after it. Default 10 s. */
  timeoutMs?: number;
  /** Address-space limit (RLIMIT_AS). Default 1 GiB. */
  memoryBytes?: number;
  /** Largest file the program may write (RLIMIT_FSIZE). Default 16 MiB. */
  fileBytes?: number;
  /** Ask for a weaker isolation than detected (tests of the fallbacks); a stronger one is an error. */
  isolation?: Isolation["method"];
}

export interface Isolation {
  /** Network namespace without interfaces: no connection can leave. */
  network: boolean;
  /** Everything outside the sandbox directory is mounted read-only. */
  filesystem: boolean;
  /** How isolation was achieved, for reports. */
  method: "unshare -rmn" | "unshare -rn" | "python guard only";
}

export interface SandboxResult {
  status: "passed" | "failed" | "timeout";
  exitCode: number | null;
  signal: NodeJS.Signals | null;
  stdout: string;
  stderr: string;
  durationMs: number;
  isolation: Isolation;
}

let cachedIsolation: Isolation | undefined;

/** Probes once which namespace isolation this machine allows. */
export function detectIsolation(): Isolation {
  if (cachedIsolation) return cachedIsolation;
  const works = (flags: string): boolean =>
    spawnSync("unshare", [flags, "true"], { stdio: "ignore", timeout: 5000 }).status === 0;
  // The mount probe must also show that a bind remount works inside, not just that unshare starts.
  const mountsWork =
    spawnSync(
      "unshare",
      ["-rmn", "sh", "-c", "mount -o remount,bind,ro / && ! touch /.peft_sandbox_probe 2>/dev/null"],
      {
        stdio: "ignore",
        timeout: 5000,
      },
    ).status === 0;
  if (mountsWork) cachedIsolation = { network: true, filesystem: true, method: "unshare -rmn" };
  else if (works("-rn")) cachedIsolation = { network: true, filesystem: false, method: "unshare -rn" };
  else cachedIsolation = { network: false, filesystem: false, method: "python guard only" };
  return cachedIsolation;
}

// Inside the namespaces: keep the sandbox writable (its own bind mount), make every other mount
// read-only (failures, e.g. on special file systems, are tolerated), then become Python.
const MOUNT_SCRIPT = `
dir="$1"; shift
mount --bind "$dir" "$dir" || exit 97
cd "$dir" || exit 97 # re-enter: the old cwd still points below the new bind mount
mps=$(cut -d' ' -f5 /proc/self/mountinfo)
IFS='
'
for mp in $mps; do
  mp=$(printf '%b' "$mp")
  [ "$mp" = "$dir" ] && continue
  mount -o remount,bind,ro "$mp" 2>/dev/null || true
done
touch /.peft_sandbox_probe 2>/dev/null && exit 98
exec "$@"
`;

const STRENGTH: Isolation["method"][] = ["python guard only", "unshare -rn", "unshare -rmn"];

function chooseIsolation(wanted: Isolation["method"] | undefined): Isolation {
  const detected = detectIsolation();
  if (wanted === undefined || wanted === detected.method) return detected;
  if (!STRENGTH.includes(wanted))
    throw new Error(`unknown sandbox isolation ${JSON.stringify(wanted)}; expected one of ${STRENGTH.join(", ")}`);
  if (STRENGTH.indexOf(wanted) > STRENGTH.indexOf(detected.method)) {
    throw new Error(`sandbox isolation "${wanted}" is not available here; the strongest is "${detected.method}"`);
  }
  return { network: wanted !== "python guard only", filesystem: false, method: wanted };
}

function preamble(limits: Required<Omit<SandboxLimits, "isolation">>, blockSockets: boolean): string {
  const cpu = Math.max(1, Math.ceil(limits.timeoutMs / 1000) + 1);
  return `import resource as _r
def _lim(res, v):
    try:
        _r.setrlimit(res, (v, v))
    except (ValueError, OSError):
        pass
_lim(_r.RLIMIT_AS, ${Math.floor(limits.memoryBytes)})
_lim(_r.RLIMIT_CPU, ${cpu})
_lim(_r.RLIMIT_FSIZE, ${Math.floor(limits.fileBytes)})
_lim(_r.RLIMIT_CORE, 0)
with open("candidate.py", encoding="utf-8") as _f:
    _src = _f.read()
import os as _os, shutil as _sh, subprocess as _sp, builtins as _b
def _deny(name):
    def _f(*a, **k):
        raise PermissionError("sandbox: " + name + " is disabled")
    return _f
for _n in ("system", "kill", "killpg", "remove", "unlink", "rmdir", "removedirs", "rename", "renames",
           "replace", "truncate", "fork", "forkpty", "execv", "execve", "execl", "execle", "execlp",
           "execvp", "execvpe", "spawnv", "spawnve", "popen", "putenv", "chmod", "chown", "lchown",
           "fchmod", "fchown", "setuid", "setgid", "chroot"):
    if hasattr(_os, _n):
        setattr(_os, _n, _deny("os." + _n))
for _n in ("rmtree", "move", "chown"):
    setattr(_sh, _n, _deny("shutil." + _n))
_sp.Popen = _deny("subprocess.Popen")
${blockSockets ? `import socket as _so\n_so.socket = _deny("socket.socket")\n_so.create_connection = _deny("socket.create_connection")\n` : ""}del _os, _sh, _sp, _b, _n, _lim, _r, _deny, _f
exec(compile(_src, "candidate.py", "exec"), {"__name__": "__main__", "__builtins__": __builtins__})
`;
}

const MAX_CAPTURE = 64 * 1024;

/** Runs `source` as a Python program in the sandbox; resolves (never rejects) with its outcome. */
export async function runPythonSandboxed(source: string, limits: SandboxLimits = {}): Promise<SandboxResult> {
  const lim = {
    timeoutMs: limits.timeoutMs ?? 10_000,
    memoryBytes: limits.memoryBytes ?? 1024 ** 3,
    fileBytes: limits.fileBytes ?? 16 * 1024 ** 2,
  };
  const isolation = chooseIsolation(limits.isolation);
  const dir = realpathSync(mkdtempSync(join(tmpdir(), "peft-sandbox-")));
  writeFileSync(join(dir, "candidate.py"), source);
  writeFileSync(join(dir, "preamble.py"), preamble(lim, !isolation.network));
  const python = [SANDBOX_PYTHON, "-I", "preamble.py"];
  const [cmd, args] =
    isolation.method === "unshare -rmn"
      ? ["unshare", ["-rmn", "sh", "-c", MOUNT_SCRIPT, "sh", dir, ...python]]
      : isolation.method === "unshare -rn"
        ? ["unshare", ["-rn", ...python]]
        : [python[0], python.slice(1)];
  const started = Date.now();
  try {
    return await new Promise<SandboxResult>((resolve) => {
      const child = spawn(cmd, args as string[], {
        cwd: dir,
        detached: true, // own process group, so a timeout kills forks too
        stdio: ["ignore", "pipe", "pipe"],
        env: { PATH: "/usr/bin:/bin", HOME: dir, TMPDIR: dir, LANG: "C.UTF-8", PYTHONDONTWRITEBYTECODE: "1" },
      });
      let stdout = "";
      let stderr = "";
      child.stdout.on("data", (d: Buffer) => {
        if (stdout.length < MAX_CAPTURE) stdout += d.toString("utf8");
      });
      child.stderr.on("data", (d: Buffer) => {
        if (stderr.length < MAX_CAPTURE) stderr += d.toString("utf8");
      });
      let timedOut = false;
      const timer = setTimeout(() => {
        timedOut = true;
        killGroup(child.pid);
      }, lim.timeoutMs);
      const finish = (exitCode: number | null, signal: NodeJS.Signals | null, extra = ""): void => {
        clearTimeout(timer);
        killGroup(child.pid); // stray children of a finished program
        resolve({
          status: timedOut ? "timeout" : exitCode === 0 ? "passed" : "failed",
          exitCode,
          signal,
          stdout,
          stderr: stderr + extra,
          durationMs: Date.now() - started,
          isolation,
        });
      };
      child.on("error", (e) => finish(null, null, `\nsandbox: could not start ${cmd}: ${e.message}`));
      child.on("close", (code, signal) => finish(code, signal));
    });
  } finally {
    rmSync(dir, { recursive: true, force: true });
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
