// ExecutorHost's comm path with a stand-in runtime: a frontend comm message resolves only after
// the runtime answered (so the handler's output comes first), and a runtime that dies while
// handling one does not leave the kernel waiting.
import { mkdtempSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterEach, describe, expect, it } from "vitest";
import { ExecutorHost, type RuntimeOutput } from "../../kernel/executor/host.js";

const runtimePath = join(mkdtempSync(join(tmpdir(), "comm-host-")), "fake-runtime.mjs");
writeFileSync(
  runtimePath,
  `process.on("message", (m) => {
  if (m.targetName === "die") process.exit(7);
  if (m.t === "comm_msg") process.send({ t: "comm_msg", cell: m.cell, commId: m.commId, data: { echo: m.data }, metadata: {} });
  const error = m.t === "comm_open" && m.targetName !== "ok" ? "no comm target '" + m.targetName + "'" : null;
  // Answer on a later turn, as a real handler that awaits would.
  setTimeout(() => process.send({ t: "comm_ack", cell: m.cell, error }), 20);
});
process.send({ t: "ready" });
`,
);

let host: ExecutorHost | undefined;
afterEach(() => host?.close());

function start() {
  const outputs: RuntimeOutput[] = [];
  const logs: string[] = [];
  host = new ExecutorHost(
    { output: (m) => outputs.push(m), input: () => Promise.reject(new Error("no stdin")), log: (l) => logs.push(l) },
    { runtimePath },
  );
  host.start();
  return { host, outputs, logs };
}

const msg = (t: "comm_open" | "comm_msg", cell: string, extra: Record<string, unknown> = {}) =>
  ({ t, cell, commId: "c1", targetName: "ok", data: { n: 1 }, metadata: {}, ...extra }) as Parameters<
    ExecutorHost["comm"]
  >[0];

describe("ExecutorHost comms", () => {
  it("resolves with the runtime's answer, after the handler's output", async () => {
    const { host, outputs } = start();
    expect(await host.comm(msg("comm_open", "m1"))).toBeNull();
    expect(await host.comm(msg("comm_open", "m2", { targetName: "nobody" }))).toBe("no comm target 'nobody'");
    const sent = host.comm(msg("comm_msg", "m3"));
    expect(outputs).toEqual([]);
    expect(await sent).toBeNull();
    expect(outputs).toEqual([{ t: "comm_msg", cell: "m3", commId: "c1", data: { echo: { n: 1 } }, metadata: {} }]);
  });

  it("answers with the reason when the runtime dies while handling a comm", async () => {
    const { host, logs } = start();
    const reason = await host.comm(msg("comm_open", "m4", { targetName: "die" }));
    expect(reason).toMatch(/the runtime ended \(exit code 7\)/);
    expect(logs.some((l) => l.includes("runtime exited (exit code 7)"))).toBe(true);
  });
});
