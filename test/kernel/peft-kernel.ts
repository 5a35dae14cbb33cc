// Shared by the tests that run this project's own kernel: it is launched from dist/ (as its
// kernelspec does), so build once when dist/ lacks it. A lock folder keeps two test workers
// from compiling into dist/ at the same time.
import { execFileSync } from "node:child_process";
import { existsSync, mkdirSync, rmSync } from "node:fs";
import { join } from "node:path";
import { projectRoot } from "../../kernel/client/kernel-argv.js";

export const ROOT = projectRoot();
export const BIN = join(ROOT, "bin", "peft-nb.js");

const NEEDED = ["kernel-command.js", "install-command.js", "run-command.js"].map((f) => join(ROOT, "dist", "kernel", "cli", f));
const built = () => NEEDED.every((f) => existsSync(f));

export function ensureBuilt(): void {
  if (built()) return;
  const lock = join(ROOT, "dist", ".test-build-lock");
  mkdirSync(join(ROOT, "dist"), { recursive: true });
  let mine = false;
  try {
    mkdirSync(lock);
    mine = true;
  } catch {
    // another worker is building: wait for it below
  }
  if (mine) {
    try {
      execFileSync(process.execPath, [join(ROOT, "node_modules", "typescript", "bin", "tsc"), "-p", join(ROOT, "tsconfig.json")], { stdio: "pipe" });
    } catch {
      // tsc still emits JavaScript when it reports type errors elsewhere; the check below decides.
    } finally {
      rmSync(lock, { recursive: true, force: true });
    }
  } else {
    const deadline = Date.now() + 180_000;
    while (existsSync(lock) && Date.now() < deadline) execFileSync("sleep", ["1"]);
  }
  if (!built()) throw new Error(`npm run build did not produce ${NEEDED.filter((f) => !existsSync(f)).join(", ")}`);
}
