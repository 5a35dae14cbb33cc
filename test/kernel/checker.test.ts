// The kernel's handle on the type-checker worker. Background checks must not compete with cells:
// they wait for a quiet moment and the worker runs them at a lower CPU priority (a per-thread
// nice value on Linux), only in background mode, leaving every other thread of the kernel
// process as it was; held checks still reach the worker before anything that depends on them.
// A shut-down checker ends its pending checks without an error.
import { getPriority } from "node:os";
import { readdirSync, readFileSync } from "node:fs";
import { join } from "node:path";
import { beforeAll, describe, expect, it } from "vitest";
import { ensureBuilt, ROOT } from "../helpers/ensure-built.js";

type CheckerModule = typeof import("../../kernel/executor/checker.js");
let Checker: CheckerModule["Checker"];

beforeAll(async () => {
  await ensureBuilt(); // the worker runs from dist/
  ({ Checker } = (await import(join(ROOT, "dist", "kernel", "executor", "checker.js"))) as CheckerModule);
});

/** Nice value of every thread of this process, by thread id. */
function threadNice(): Map<number, number> {
  const out = new Map<number, number>();
  for (const tid of readdirSync("/proc/self/task")) {
    try {
      const stat = readFileSync(`/proc/self/task/${tid}/stat`, "utf8");
      out.set(Number(tid), Number(stat.slice(stat.lastIndexOf(")") + 2).split(" ")[16]));
    } catch {
      // the thread ended while we looked
    }
  }
  return out;
}

const linux = process.platform === "linux";

// optional dependency: Linux, whose nice values are per thread and readable in /proc/<pid>/task
describe.skipIf(!linux)("checker priority", () => {
  it("runs background checks nicer than the process, completions and waited-for checks at its priority", async () => {
    const base = getPriority();
    const before = threadNice();
    // Both at once (loading TypeScript takes seconds): one checks in the background, one for
    // cells that wait for their check.
    const background = new Checker(() => {}, { backgroundChecks: true });
    const waited = new Checker(() => {}, { backgroundChecks: false });
    try {
      const [a, b] = await Promise.all([
        background.check("const x: number = 'one';"),
        waited.check("const y: string = 2;"),
      ]);
      expect([a.length, b.length]).toEqual([1, 1]);
      const during = threadNice();
      const nicer = [...during].filter(([, nice]) => nice !== base);
      expect(nicer.map(([, nice]) => nice)).toEqual([Math.min(19, base + 10)]);
      expect(before.has(nicer[0]![0])).toBe(false); // a worker's own thread, not one of ours
      expect(during.get(process.pid)).toBe(base);
      // Raising a priority back needs privileges (root here and in CI containers).
      if (process.getuid?.() === 0) {
        await background.complete("Math.ma", 7);
        expect(threadNice().get(nicer[0]![0])).toBe(base);
      }
    } finally {
      await Promise.all([background.close(), waited.close()]);
    }
  });
});

describe("held background checks", () => {
  it("are released before a completion, which sees what they declared", async () => {
    const checker = new Checker(() => {}, { backgroundChecks: true, holdChecks: true });
    try {
      const check = checker.check("const heldBackValue = 41;");
      const completion = await checker.complete("heldBack", 8);
      expect(completion.candidates).toContain("heldBackValue");
      expect(await check).toEqual([]);
    } finally {
      await checker.close();
    }
  });
});

describe("checker memory", () => {
  it("keeps one copy of a notebook's declarations however many checks it remembers", async () => {
    const checker = new Checker();
    try {
      await checker.check("let n = 0;");
      const fields = Array.from({ length: 3200 }, (_, i) => `  field_${i}: { a: number; b: string };`).join("\n");
      await checker.check(`interface Big {\n${fields}\n}`);
      const before = await checker.heapStats();
      expect(before.worker.declChars).toBeGreaterThan(160_000);
      for (let i = 0; i < 40; i++) expect(await checker.check(`n + ${i}`)).toEqual([]);
      const after = await checker.heapStats();
      expect(after.worker.memo).toBeGreaterThanOrEqual(40);
      // A memo keyed by the declarations' text held a copy per entry: 40 copies of 160,000+ characters, over
      // 6 MB even as one-byte strings. One copy plus the entries' own results stays near 1 MB (seen up to 1.05).
      expect(after.worker.usedBytes - before.worker.usedBytes).toBeLessThan(3 * 2 ** 20);
    } finally {
      await checker.close();
    }
  });
});

describe("checker out of memory", () => {
  it("stops for good with a reason naming its heap limit, instead of restarting for every check", async () => {
    const logs: string[] = [];
    // 16 MB cannot hold TypeScript's lib files: the worker runs out while loading.
    const checker = new Checker((l) => logs.push(l), { heapMb: 16 });
    const keepAlive = setInterval(() => {}, 1000); // the worker is unref'd
    try {
      const reason = /^type checker stopped \(.*memory.*\): its heap limit is 16 MB, set PEFT_NB_CHECKER_HEAP_MB/;
      await expect(checker.check("const a = 1;")).rejects.toThrow(reason);
      const again = await checker.check("const b = 2;").catch((e: Error) => e.message);
      expect(again).toMatch(reason);
      await expect(checker.complete("Math.", 5)).rejects.toThrow(again as string);
      // One worker failed and none was started after it.
      expect(logs.filter((l) => l.startsWith("type checker failed"))).toHaveLength(1);
      expect(logs.filter((l) => l.startsWith("type checker stopped"))).toHaveLength(1);
    } finally {
      clearInterval(keepAlive);
      await checker.close();
    }
  });
});

describe("coalesced background checks", () => {
  it("hold a run of the same cell as one check and still answer every cell, in order", async () => {
    const checker = new Checker(() => {}, { backgroundChecks: true, holdChecks: true });
    try {
      const bad = 'const e1: number = "x";';
      const codes = [bad, bad, bad, "e1.toFixed();", bad];
      const checks = codes.map((c) => checker.check(c));
      expect((await checker.heapStats()).held).toBe(3); // [bad x3], [e1.toFixed()], [bad]
      const results = await Promise.all(checks);
      // Each cell gets its own warning; the declaration recorded by the first (keepOnError) serves the 4th.
      expect(results.map((r) => r.map((d) => d.code))).toEqual([[2322], [2322], [2322], [], [2322]]);
    } finally {
      await checker.close();
    }
  });
});

describe("checker shutdown", () => {
  it("ends the checks still pending when it closes, quietly", async () => {
    const logs: string[] = [];
    const checker = new Checker((l) => logs.push(l));
    const pending = checker.check("const z = 1;");
    await checker.close();
    expect(await pending).toEqual([]);
    expect(logs).toEqual([]);
    expect(await checker.check("const w = 2;")).toEqual([]);
    await expect(checker.complete("Math.", 5)).rejects.toThrow("type checker is shut down (complete refused)");
  });
});
