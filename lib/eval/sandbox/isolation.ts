// Which isolation runs: bubblewrap where a probe shows it works, else a refusal, unless the caller
// explicitly accepts the weak fallback. Every field of Isolation is measured by the probe.
import { spawnSync } from "node:child_process";
import { existsSync, readlinkSync } from "node:fs";
import { homedir } from "node:os";
import { bwrapArgs, bwrapFeatures, findBwrap, type Bwrap } from "./bwrap.js";
import { ISOLATION_METHODS, type IsolationMethod, type SandboxLimits } from "./options.js";
import { PROBE_PY } from "./python/probe.js";
import { PYTHON_FLAGS, pythonRoots, SANDBOX_PYTHON, sandboxEnv, sandboxUser } from "./python-env.js";

export interface Isolation {
  method: IsolationMethod;
  /** Own network namespace with only a downed loopback: no connection leaves, not even to the host's loopback. */
  network: boolean;
  /** Read-only minimal root and a private /tmp: no home directory, host /tmp, /run or host /proc. */
  filesystem: boolean;
  /** Own PID namespace whose PID 1 is the harness: its exit or kill ends every process the program started. */
  processTree: boolean;
  /** Own IPC namespace (System V IPC, POSIX message queues). */
  ipc: boolean;
  /** RLIMIT_NPROC counts only the sandbox's processes (its own user namespace), so fork bombs stop at the limit. */
  processLimit: boolean;
  /** bubblewrap's version, when it runs. */
  version?: string;
  /** Why bubblewrap is not used (the weak fallback only). */
  reason?: string;
}

/** Evaluation refused: no strong isolation here, and the caller did not accept the weak fallback. */
export class SandboxUnavailableError extends Error {
  constructor(readonly reason: string) {
    super(
      `sandbox: bubblewrap cannot isolate programs here (${reason}). Without it, untrusted code would run with only ` +
        "a Python guard: no network, file-system or process-tree isolation, and it could read this process's " +
        "environment (API keys) through /proc. Install bubblewrap (Debian/Ubuntu: apt-get install bubblewrap; " +
        "Fedora: dnf install bubblewrap) on a Linux kernel that allows unprivileged user namespaces, or accept the " +
        "weak isolation explicitly with { allowWeakIsolation: true } (HumanEval: { sandbox: { allowWeakIsolation: " +
        "true } }) or PEFT_SANDBOX_ALLOW_WEAK=1.",
    );
    this.name = "SandboxUnavailableError";
  }
}

export interface StrongSandbox {
  isolation: Isolation;
  bwrap: Bwrap;
  roots: string[];
}

const probes = new Map<string, StrongSandbox | { reason: string }>();

/** Probes bubblewrap once per (bwrap, python, home): a working sandbox, or why there is none. */
export function probeBubblewrap(): StrongSandbox | { reason: string } {
  const found = findBwrap();
  const key = `${typeof found === "string" ? found : found.missing}\n${SANDBOX_PYTHON}\n${homedir()}`;
  let probe = probes.get(key);
  if (!probe) {
    probe = typeof found === "string" ? runProbe(bwrapFeatures(found)) : { reason: found.missing };
    probes.set(key, probe);
  }
  return probe;
}

// Host paths a sandboxed program must not see: those that exist here, minus the sandbox's own mount
// points and their parents (a home of /tmp is the sandbox's /tmp) and what is bound from the host
// (/usr, the interpreter's prefixes, the loader cache). Host content under the sandbox's fresh
// /tmp, /proc or /dev stays hidden, so a home under /tmp is still checked.
function hiddenPaths(roots: string[]): string[] {
  const paths = [homedir(), "/home", "/root", "/run", "/var", "/mnt", "/media", "/srv", "/opt", "/etc/passwd"];
  const bound = ["/usr", "/etc/ld.so.cache", ...roots];
  const fresh = ["/tmp", "/proc", "/dev"];
  const ancestorOrSelf = (p: string, m: string) => p === m || m.startsWith(`${p}/`);
  return [...new Set(paths)].filter(
    (p) =>
      p !== "/" &&
      existsSync(p) &&
      ![...bound, ...fresh].some((m) => ancestorOrSelf(p, m)) &&
      !bound.some((m) => p.startsWith(`${m}/`)),
  );
}

function hostNamespace(name: string): string | null {
  try {
    return readlinkSync(`/proc/self/ns/${name}`);
  } catch {
    return null;
  }
}

interface ProbeReport {
  pid: number;
  ns: Record<string, string | null>;
  interfaces: string[];
  visible: string[];
  writable: string[];
  forks: number;
}

function runProbe(bwrap: Bwrap): StrongSandbox | { reason: string } {
  const roots = pythonRoots(SANDBOX_PYTHON);
  const hidden = hiddenPaths(roots);
  const r = spawnSync(
    bwrap.path,
    [
      ...bwrapArgs(bwrap, { pythonRoots: roots, tmpBytes: 1024 ** 2 }),
      SANDBOX_PYTHON,
      ...PYTHON_FLAGS,
      "-c",
      PROBE_PY,
      JSON.stringify(hidden),
    ],
    { encoding: "utf8", timeout: 15_000, env: sandboxEnv("/tmp"), ...sandboxUser() },
  );
  if (r.status !== 0) {
    const why = r.error?.message ?? (r.stderr.trim().split("\n").pop() || `exit ${r.status ?? r.signal}`);
    return { reason: `${bwrap.path} ${bwrap.version} failed to start a sandbox: ${why}` };
  }
  let p: ProbeReport;
  try {
    p = JSON.parse(r.stdout) as ProbeReport;
  } catch {
    return { reason: `the isolation probe printed no report: ${r.stdout.slice(0, 200)} ${r.stderr.slice(0, 200)}` };
  }
  const own = (name: string) => p.ns[name] !== null && p.ns[name] !== hostNamespace(name);
  const isolation: Isolation = {
    method: "bubblewrap",
    network: own("net") && p.interfaces.every((i) => i === "lo"),
    filesystem: own("mnt") && p.visible.length === 0 && p.writable.length === 0,
    processTree: own("pid") && p.pid === 1,
    ipc: own("ipc"),
    processLimit: p.forks >= 1 && p.forks < 8,
    version: bwrap.version,
  };
  const missing = (["network", "filesystem", "processTree", "ipc"] as const).filter((k) => !isolation[k]);
  if (missing.length)
    return {
      reason: `${bwrap.path} ${bwrap.version} runs, but the sandbox lacks ${missing.join(", ")} isolation (visible: ${p.visible.join(", ") || "none"}; writable: ${p.writable.join(", ") || "none"})`,
    };
  return { isolation, bwrap, roots };
}

/** The weak fallback: a plain process with the Python guard, limits, a scrubbed environment and a group kill. */
export function weakIsolation(reason: string): Isolation {
  return {
    method: "python guard only",
    network: false,
    filesystem: false,
    processTree: false,
    ipc: false,
    processLimit: false,
    reason,
  };
}

/** The strongest isolation this machine offers (bubblewrap, else the weak fallback with its reason). */
export function detectIsolation(): Isolation {
  const probe = probeBubblewrap();
  return "isolation" in probe ? probe.isolation : weakIsolation(probe.reason);
}

export type Resolved = { isolation: Isolation; strong?: StrongSandbox };

/** Applies the caller's choice and the refusal rule; throws SandboxUnavailableError or on an unknown method. */
export function resolveIsolation(opts: Pick<SandboxLimits, "isolation" | "allowWeakIsolation"> = {}): Resolved {
  const wanted = opts.isolation;
  if (wanted !== undefined && !ISOLATION_METHODS.includes(wanted))
    throw new Error(
      `unknown sandbox isolation ${JSON.stringify(wanted)}; expected one of ${ISOLATION_METHODS.map((m) => JSON.stringify(m)).join(", ")}`,
    );
  if (wanted === "python guard only") return { isolation: weakIsolation("requested explicitly") };
  const probe = probeBubblewrap();
  if ("isolation" in probe) return { isolation: probe.isolation, strong: probe };
  const allowed =
    wanted === undefined && (opts.allowWeakIsolation === true || process.env.PEFT_SANDBOX_ALLOW_WEAK === "1");
  if (!allowed) throw new SandboxUnavailableError(probe.reason);
  return { isolation: weakIsolation(probe.reason) };
}
