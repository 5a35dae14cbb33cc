// The reproduction tests run notebooks through the real kernel from dist/, which must include
// this area's sources. Rebuilds (under the kernel tests' build lock) when a source under the
// watched folders is newer than its compiled output.
import { spawnSync } from "node:child_process";
import { existsSync, mkdirSync, readdirSync, rmSync, statSync } from "node:fs";
import { join, relative } from "node:path";
import { fileURLToPath } from "node:url";

export const ROOT = fileURLToPath(new URL("../../..", import.meta.url));
const WATCHED = ["kernel", "lib"];

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
  const lock = join(ROOT, ".cache", "kernel-build.lock");
  mkdirSync(join(ROOT, ".cache"), { recursive: true });
  for (;;) {
    try {
      mkdirSync(lock);
      break;
    } catch {
      if (Date.now() - statSync(lock).mtimeMs > 300_000) rmSync(lock, { recursive: true, force: true });
      await new Promise((r) => setTimeout(r, 500));
    }
  }
  try {
    // tsc emits even while other areas have type errors; those are not this test's concern.
    if (stale()) spawnSync(process.execPath, [join(ROOT, "node_modules", "typescript", "bin", "tsc"), "-p", join(ROOT, "tsconfig.json")], { cwd: ROOT, stdio: "ignore" });
    for (const f of ["dist/kernel/cli/main.js", "dist/lib/reproduce/index.js", "dist/lib/index.js"]) {
      if (!existsSync(join(ROOT, f))) throw new Error(`build did not produce ${f}`);
    }
  } finally {
    rmSync(lock, { recursive: true, force: true });
  }
}
