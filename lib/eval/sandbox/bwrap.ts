// Locating bubblewrap and building its command line: every namespace, a read-only minimal root
// (/usr, the interpreter, the loader cache), a fresh /proc and /dev, a private size-limited /tmp.
// Nothing else of the host is mounted: no home, no host /tmp or /run (so no host Unix sockets),
// no /etc beyond the loader cache, no /sys.
import { spawnSync } from "node:child_process";
import { accessSync, constants, existsSync, lstatSync, readlinkSync } from "node:fs";
import { join } from "node:path";

export interface Bwrap {
  path: string;
  version: string;
  /** --size for tmpfs (bubblewrap >= 0.7). */
  tmpfsSize: boolean;
  /** --disable-userns (bubblewrap >= 0.8). */
  disableUserns: boolean;
}

/** `PEFT_BWRAP`, else `bwrap` on PATH; a reason string when there is none. */
export function findBwrap(): string | { missing: string } {
  const override = process.env.PEFT_BWRAP;
  if (override) return isExecutable(override) ? override : { missing: `PEFT_BWRAP=${override} is not an executable` };
  for (const dir of (process.env.PATH ?? "/usr/bin:/bin").split(":")) {
    const candidate = join(dir || ".", "bwrap");
    if (isExecutable(candidate)) return candidate;
  }
  return { missing: "bubblewrap (bwrap) is not installed or not on PATH" };
}

function isExecutable(path: string): boolean {
  try {
    accessSync(path, constants.X_OK);
    return true;
  } catch {
    return false;
  }
}

/** The installed bubblewrap's version and the optional flags it understands. */
export function bwrapFeatures(path: string): Bwrap {
  const version = spawnSync(path, ["--version"], { encoding: "utf8", timeout: 5000 }).stdout?.trim() ?? "";
  const help = spawnSync(path, ["--help"], { encoding: "utf8", timeout: 5000 }).stdout ?? "";
  return {
    path,
    version: version.replace(/^bubblewrap\s*/, "") || "unknown",
    tmpfsSize: help.includes("--size"),
    disableUserns: help.includes("--disable-userns"),
  };
}

// Top-level entries a merged-/usr system links into /usr; older layouts have real directories.
const ROOT_LINKS = ["bin", "sbin", "lib", "lib32", "lib64", "libx32"];

function rootEntries(): string[] {
  const args: string[] = [];
  for (const name of ROOT_LINKS) {
    const host = `/${name}`;
    if (!existsSync(host)) continue;
    const st = lstatSync(host);
    if (st.isSymbolicLink()) args.push("--symlink", readlinkSync(host), host);
    else if (st.isDirectory()) args.push("--ro-bind", host, host);
  }
  return args;
}

/**
 * bwrap's arguments up to and including `--`; the command follows. `infoFd`: where bwrap reports the
 * host pid of the sandbox's PID 1 (so a timeout can kill it while bwrap is alive to reap it).
 */
export function bwrapArgs(b: Bwrap, opts: { pythonRoots: string[]; tmpBytes: number; infoFd?: number }): string[] {
  return [
    ...(opts.infoFd !== undefined ? ["--info-fd", String(opts.infoFd)] : []),
    "--unshare-user",
    "--unshare-ipc",
    "--unshare-pid",
    "--unshare-net",
    "--unshare-uts",
    "--unshare-cgroup-try",
    ...(b.disableUserns ? ["--disable-userns"] : []),
    // the sandbox dies with this process; the command is PID 1, so its exit kills every descendant
    "--die-with-parent",
    "--as-pid-1",
    "--new-session",
    "--hostname",
    "sandbox",
    "--ro-bind",
    "/usr",
    "/usr",
    ...rootEntries(),
    ...opts.pythonRoots.flatMap((d) => ["--ro-bind", d, d]),
    "--ro-bind-try",
    "/etc/ld.so.cache",
    "/etc/ld.so.cache",
    "--proc",
    "/proc",
    "--dev",
    "/dev",
    ...(b.tmpfsSize ? ["--size", String(opts.tmpBytes)] : []),
    "--tmpfs",
    "/tmp",
    "--remount-ro", // bwrap's root is a tmpfs of its own; only /tmp stays writable
    "/",
    "--chdir",
    "/tmp",
    "--",
  ];
}
