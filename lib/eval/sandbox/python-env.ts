// The interpreter the sandbox runs, how it is started, and the only environment it sees.
import { spawnSync } from "node:child_process";
import { existsSync } from "node:fs";
import { dirname, resolve } from "node:path";

export const SANDBOX_PYTHON = process.env.PEFT_PYTHON ?? "/usr/bin/python3";

// -s: no user site-packages; -B: no .pyc writes. Not -I: that would also ignore PYTHONHASHSEED, and
// the environment below is entirely ours anyway. The Python sources drop sys.path[0] themselves.
export const PYTHON_FLAGS = ["-s", "-B"];

/** The scrubbed environment: nothing of the caller's (no API keys, no PYTHONPATH) reaches the program. */
export function sandboxEnv(home: string): Record<string, string> {
  return {
    PATH: "/usr/bin:/bin",
    HOME: home,
    TMPDIR: home,
    LANG: "C.UTF-8",
    PYTHONHASHSEED: "0", // set and dict order of strings, hence some outputs, the same on every run
    PYTHONSAFEPATH: "1",
    PYTHONIOENCODING: "utf-8",
    OMP_NUM_THREADS: "1",
  };
}

/**
 * The uid/gid to run as. As root, RLIMIT_NPROC is never enforced (the kernel exempts global uid 0,
 * even inside a user namespace) and root could read anything the sandbox exposes, so root drops to
 * the overflow user "nobody" (65534).
 */
export function sandboxUser(): { uid: number; gid: number } | undefined {
  return process.getuid?.() === 0 ? { uid: 65534, gid: 65534 } : undefined;
}

const rootsCache = new Map<string, string[]>();

/**
 * Directories outside /usr that the interpreter needs read-only (a venv, conda or /opt install):
 * its prefixes and the directory of the executable, as the interpreter itself reports them.
 */
export function pythonRoots(python: string): string[] {
  const cached = rootsCache.get(python);
  if (cached) return cached;
  const r = spawnSync(
    python,
    [
      "-s",
      "-c",
      "import json, os, sys; print(json.dumps([sys.prefix, sys.base_prefix, sys.exec_prefix, sys.base_exec_prefix, os.path.dirname(os.path.realpath(sys.executable))]))",
    ],
    { encoding: "utf8", timeout: 10_000, env: { PATH: "/usr/bin:/bin" } },
  );
  if (r.status !== 0)
    throw new Error(`sandbox: cannot start the Python interpreter ${python}: ${r.error?.message ?? r.stderr.trim()}`);
  const dirs = [...(JSON.parse(r.stdout) as string[]), dirname(resolve(python))];
  // bound at the paths the interpreter uses (a venv's python must keep its own path to find pyvenv.cfg)
  const roots = [...new Set(dirs.filter((d) => existsSync(d)).map((d) => resolve(d)))]
    .filter((d) => d !== "/" && d !== "/usr" && !d.startsWith("/usr/"))
    .sort();
  // a directory already inside another one needs no mount of its own
  const minimal = roots.filter((d) => !roots.some((o) => o !== d && d.startsWith(`${o}/`)));
  rootsCache.set(python, minimal);
  return minimal;
}
