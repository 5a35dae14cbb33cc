// Host-side view of processes, to check from outside a sandbox that nothing it started survived.
// Sandboxed programs cannot print host pids (they live in their own PID namespace), so hostile
// test programs exec a command carrying a unique marker, which shows in the host's /proc/<pid>/cmdline.
import { randomBytes } from "node:crypto";
import { readdirSync, readFileSync } from "node:fs";

export function uniqueMarker(prefix = "peft-hostile"): string {
  return `${prefix}-${randomBytes(6).toString("hex")}`;
}

/**
 * Live (non-zombie) host processes with `marker` as one whole argument (a process whose arguments
 * merely contain the program text, such as a `node -e` that starts a sandbox, does not count).
 */
export function processesWith(marker: string): number[] {
  const found: number[] = [];
  for (const entry of readdirSync("/proc")) {
    if (!/^\d+$/.test(entry) || Number(entry) === process.pid) continue;
    try {
      if (!readFileSync(`/proc/${entry}/cmdline`, "latin1").split("\0").includes(marker)) continue;
      const stat = readFileSync(`/proc/${entry}/stat`, "latin1");
      if (!/^\d+ \(.*\) [ZX] /s.test(stat)) found.push(Number(entry));
    } catch {
      // exited while we looked
    }
  }
  return found;
}

/** Polls until no process carries `marker` (or `withinMs` passes); returns the survivors and the wait. */
export async function survivorsAfter(marker: string, withinMs = 1000): Promise<{ pids: number[]; waitedMs: number }> {
  const t0 = Date.now();
  for (;;) {
    const pids = processesWith(marker);
    if (pids.length === 0 || Date.now() - t0 >= withinMs) return { pids, waitedMs: Date.now() - t0 };
    await new Promise((r) => setTimeout(r, 25));
  }
}
