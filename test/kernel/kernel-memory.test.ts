// What the kernel keeps per executed cell, measured, not inferred from RSS: the real kernel
// (dist/) under a 64 MB heap cap with the background type checker on, its heaps read after a
// forced GC (PEFT_NB_HEAP_STATS=1, SIGUSR2) after 500 and after 5,000 trivial cells. The checker
// worker must have a heap limit of its own (it needs more than the kernel's cap) and stay up; the
// kernel may keep only its input history (a few hundred bytes a cell); the worker nothing.
import { mkdtempSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { ensureBuilt, ROOT } from "../helpers/ensure-built.js";
import { KernelDriver } from "./helpers/kernel-driver.js";

const HEAP_MB = 64;
const MB = 2 ** 20;

interface Stats {
  kernel: { usedBytes: number; limitBytes: number };
  checker: {
    held: number;
    waiting: number;
    unchanged: number;
    worker: { usedBytes: number; limitBytes: number; memo: number };
  };
}

let k: KernelDriver;

beforeAll(async () => {
  await ensureBuilt();
  const argv = [process.execPath, `--max-old-space-size=${HEAP_MB}`, join(ROOT, "bin", "peft-nb.js"), "kernel"];
  k = (
    await KernelDriver.start([...argv, "--connection-file", "{connection_file}"], {
      PEFT_NB_HEAP_STATS: "1",
      PEFT_NB_RUNTIME_ARGS: `--max-old-space-size=${HEAP_MB}`,
      PEFT_NB_HISTORY_FILE: join(mkdtempSync(join(tmpdir(), "kernel-memory-")), "history.jsonl"),
    })
  ).driver;
}, 120_000);

afterAll(async () => {
  await k?.close();
});

/** Sends `n` cells at once, as a flood, and waits for every reply. */
async function flood(code: string, n: number): Promise<void> {
  const replies = await Promise.all(
    Array.from({ length: n }, () => {
      const { frames, msgId } = k.frames("execute_request", {
        code,
        silent: false,
        store_history: true,
        user_expressions: {},
        allow_stdin: false,
        stop_on_error: false,
      });
      return k.send("shell", frames, msgId, 120_000);
    }),
  );
  expect(replies.every((r) => r.content.status === "ok")).toBe(true);
  k.iopubLog.length = 0; // the test's own copy, not the kernel's
}

/** The kernel's heap figures once the held checks have gone out and been answered. */
async function heapStats(): Promise<Stats> {
  await new Promise((r) => setTimeout(r, 1500)); // past the checker's quiet time and max hold
  const logged = k.stderr.join("").length;
  process.kill(k.proc.pid as number, "SIGUSR2");
  for (let i = 0; i < 300; i++) {
    const m = /heap-stats (.*)/.exec(k.stderr.join("").slice(logged));
    if (m) return JSON.parse(m[1]!) as Stats;
    await new Promise((r) => setTimeout(r, 100));
  }
  throw new Error(`no heap-stats line; kernel log: ${k.stderr.join("").slice(-2000)}`);
}

describe("kernel memory per cell (type checker on)", () => {
  it("keeps at most a few hundred bytes per trivial cell in the kernel and nothing in the checker", async () => {
    await k.execute("let n = 0;");
    await flood("++n", 500);
    const at500 = await heapStats();
    for (let i = 0; i < 3; i++) await flood("++n", 1500);
    const at5000 = await heapStats();
    const { outputs } = await k.execute("n");
    expect(outputs.find((m) => m.header.msg_type === "execute_result")?.content.data).toEqual({ "text/plain": "5000" });

    // The worker's heap limit is its own: TypeScript needs more than the kernel's 64 MB cap.
    expect(at5000.kernel.limitBytes).toBeLessThan(2 * HEAP_MB * MB);
    expect(at5000.checker.worker.limitBytes).toBeGreaterThan(512 * MB);
    expect(at5000.checker.worker.usedBytes).toBeGreaterThan(HEAP_MB * MB);
    expect(k.stderr.join("")).not.toMatch(/type check(er)? (failed|stopped)/);

    // Nothing queued once the kernel is quiet; the memos stay at their bounds.
    expect([at5000.checker.held, at5000.checker.waiting]).toEqual([0, 0]);
    expect(at5000.checker.unchanged).toBeLessThanOrEqual(200);
    expect(at5000.checker.worker.memo).toBeLessThanOrEqual(200);

    const perCell = (a: number, b: number) => (b - a) / 4500;
    const kernelPerCell = perCell(at500.kernel.usedBytes, at5000.kernel.usedBytes);
    const workerPerCell = perCell(at500.checker.worker.usedBytes, at5000.checker.worker.usedBytes);
    console.log(
      `kernel heap after GC: ${(at500.kernel.usedBytes / MB).toFixed(2)} MB at 500 cells, ` +
        `${(at5000.kernel.usedBytes / MB).toFixed(2)} MB at 5,000 (${kernelPerCell.toFixed(0)} B/cell); ` +
        `checker worker: ${(at500.checker.worker.usedBytes / MB).toFixed(2)} -> ` +
        `${(at5000.checker.worker.usedBytes / MB).toFixed(2)} MB (${workerPerCell.toFixed(0)} B/cell)`,
    );
    // The kernel's in-memory input history is ~200 B per cell; anything else kept per cell shows.
    expect(kernelPerCell).toBeLessThan(500);
    // The checker's declarations do not change with `++n`: whatever it keeps is bounded (memos).
    expect(workerPerCell).toBeLessThan(50);
  });
});
