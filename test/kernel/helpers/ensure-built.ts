// The integration tests run the real kernel from dist/ (compiled by `tsc -p tsconfig.json`,
// which emits even while other folders have type errors). Rebuild when a kernel source is
// newer than its output; a lock folder keeps parallel test files from building at once.
import { spawnSync } from "node:child_process";
import { existsSync, mkdirSync, readdirSync, rmSync, statSync } from "node:fs";
import { join, relative } from "node:path";
import { fileURLToPath } from "node:url";

export const ROOT = fileURLToPath(new URL("../../..", import.meta.url));

function sources(dir: string, out: string[] = []): string[] {
  for (const e of readdirSync(dir, { withFileTypes: true })) {
    const p = join(dir, e.name);
    if (e.isDirectory()) sources(p, out);
    else if (e.name.endsWith(".ts") && !e.name.endsWith(".d.ts")) out.push(p);
  }
  return out;
}

function stale(): boolean {
  const srcs = [...sources(join(ROOT, "kernel")), ...sources(join(ROOT, "lib", "display"))];
  return srcs.some((s) => {
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
      // another test file is building; a lock older than 5 minutes is left over from a crash
      if (Date.now() - statSync(lock).mtimeMs > 300_000) rmSync(lock, { recursive: true, force: true });
      await new Promise((r) => setTimeout(r, 500));
    }
  }
  try {
    if (stale()) spawnSync(process.execPath, [join(ROOT, "node_modules", "typescript", "bin", "tsc"), "-p", join(ROOT, "tsconfig.json")], { cwd: ROOT, stdio: "ignore" });
    const entry = join(ROOT, "dist", "kernel", "cli", "main.js");
    if (!existsSync(entry)) throw new Error(`build did not produce ${entry}`);
  } finally {
    rmSync(lock, { recursive: true, force: true });
  }
}
