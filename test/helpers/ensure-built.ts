// Tests that run the real kernel or notebooks launch it from dist/ (as its kernelspec does).
// Rebuild when a kernel/ or lib/ source is newer than its output (`npm test` builds first, so
// this only matters when one test file is run by hand after an edit). A lock folder keeps
// parallel test workers from compiling into dist/ at once.
import { spawnSync } from "node:child_process";
import { existsSync, mkdirSync, readdirSync, rmSync, statSync } from "node:fs";
import { join, relative } from "node:path";
import { fileURLToPath } from "node:url";

export const ROOT = fileURLToPath(new URL("../..", import.meta.url));
export const BIN = join(ROOT, "bin", "peft-nb.js");

const WATCHED = ["cli", "kernel", "lib"];
const REQUIRED = ["dist/cli/main.js", "dist/cli/commands/kernel.js", "dist/cli/commands/run.js", "dist/lib/index.js"];

function sources(dir: string, out: string[] = []): string[] {
  if (!existsSync(dir)) return out;
  for (const e of readdirSync(dir, { withFileTypes: true })) {
    const p = join(dir, e.name);
    if (e.isDirectory()) sources(p, out);
    else if (e.name.endsWith(".ts") && !e.name.endsWith(".d.ts")) out.push(p);
  }
  return out;
}

function stale(): boolean {
  return WATCHED.flatMap((w) => sources(join(ROOT, w))).some((s) => {
    const out = join(ROOT, "dist", relative(ROOT, s)).replace(/\.ts$/, ".js");
    return !existsSync(out) || statSync(out).mtimeMs < statSync(s).mtimeMs;
  });
}

export async function ensureBuilt(): Promise<void> {
  const lock = join(ROOT, ".cache", "test-build.lock");
  mkdirSync(join(ROOT, ".cache"), { recursive: true });
  for (;;) {
    try {
      mkdirSync(lock);
      break;
    } catch {
      // another worker is building; a lock older than 5 minutes is left over from a crash
      if (Date.now() - statSync(lock).mtimeMs > 300_000) rmSync(lock, { recursive: true, force: true });
      await new Promise((r) => setTimeout(r, 500));
    }
  }
  try {
    // tsc emits even when it reports type errors; the required outputs decide.
    if (stale())
      spawnSync(
        process.execPath,
        [join(ROOT, "node_modules", "typescript", "bin", "tsc"), "-p", join(ROOT, "tsconfig.json")],
        { cwd: ROOT, stdio: "ignore" },
      );
    const missing = REQUIRED.filter((f) => !existsSync(join(ROOT, f)));
    if (missing.length) throw new Error(`the build did not produce ${missing.join(", ")}`);
  } finally {
    rmSync(lock, { recursive: true, force: true });
  }
}
