// ExecutorHost with stand-in runtimes: a runtime that cannot start, and one that ignores SIGINT.
import { fileURLToPath } from "node:url";
import { describe, expect, it } from "vitest";
import { ExecutorHost } from "../../kernel/executor/host.js";

const fixture = (name: string) => fileURLToPath(new URL(`./helpers/${name}`, import.meta.url));
const events = () => {
  const logs: string[] = [];
  return { logs, output() {}, input: () => Promise.reject(new Error("no stdin")), log: (l: string) => logs.push(l) };
};

describe("ExecutorHost", () => {
  it("gives up after three failed start-ups and reports the runtime's stderr", async () => {
    const ev = events();
    const host = new ExecutorHost(ev, { runtimePath: fixture("fake-runtime-dies.mjs") });
    const out = await host.execute("c1", "1", 1);
    host.close();
    expect(out.error?.ename).toBe("RuntimeStartFailed");
    expect(out.error?.traceback.join("\n")).toContain("cannot load something");
    expect(ev.logs.filter((l) => l.includes("failed during start-up"))).toHaveLength(3);
  });

  it("kills a runtime that ignores SIGINT after the grace period and starts a new one", async () => {
    const ev = events();
    const host = new ExecutorHost(ev, { runtimePath: fixture("fake-runtime-stubborn.mjs"), interruptGraceMs: 200 });
    const first = await host.execute("c1", "hello", 1);
    const spinning = host.execute("c2", "spin", 2);
    await new Promise((r) => setTimeout(r, 200));
    const t0 = performance.now();
    host.interrupt();
    const out = await spinning;
    const elapsed = performance.now() - t0;
    expect(out.error?.ename).toBe("KeyboardInterrupt");
    expect(elapsed).toBeGreaterThanOrEqual(190);
    const again = await host.execute("c3", "hello", 3);
    host.close();
    expect(again.result?.data["text/plain"]).not.toBe(first.result?.data["text/plain"]);
    expect(again.result?.data["text/plain"]).toMatch(/^pid \d+$/);
  });
});
