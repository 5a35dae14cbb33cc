// The protocol logic of the session, driven with fake sockets, runtime and checker: message
// order (busy first, idle last), execution counting, stop_on_error, routing of late output,
// input without stdin, history and error replies.
import { describe, expect, it } from "vitest";
import { Session } from "../../kernel/session/session.js";
import type { History, Runtime, Transport, TypeChecker } from "../../kernel/session/ports.js";
import type { ExecuteOutcome } from "../../kernel/executor/host.js";
import { HistoryStore } from "../../kernel/history/store.js";
import { MalformedMessageError, newHeader, type JupyterMessage } from "../../kernel/wire/message.js";
import { mkdtempSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";

interface Sent {
  kind: "send" | "publish";
  channel?: string;
  msgType: string;
  parent: string | undefined;
  content: Record<string, unknown>;
}

function harness(run: (code: string, cell: string) => Promise<ExecuteOutcome> | ExecuteOutcome = () => ({ pages: [] })) {
  const sent: Sent[] = [];
  const transport: Transport = {
    async send(channel, m) {
      sent.push({ kind: "send", channel, msgType: m.msgType, parent: m.parent?.msg_id, content: m.content });
    },
    async publish(m) {
      sent.push({ kind: "publish", msgType: m.msgType, parent: m.parent?.msg_id, content: m.content });
    },
  };
  const calls: string[] = [];
  const runtime: Runtime = {
    generation: 1,
    async execute(cell, code) {
      calls.push(code);
      return run(code, cell);
    },
    interrupt() {
      calls.push("<interrupt>");
    },
    async restart() {},
    close() {},
  };
  const checker: TypeChecker = {
    async check() {
      return [];
    },
    async complete(code, cursor) {
      return { start: cursor - 2, end: cursor, candidates: ["max", "min"] };
    },
    async inspect() {
      return { found: true, text: "info" };
    },
    async isComplete() {
      return { status: "complete" };
    },
    async reset() {},
    async close() {},
  };
  const history: History = new HistoryStore(join(mkdtempSync(join(tmpdir(), "sess-")), "h.jsonl"));
  const session = new Session({ transport, runtime, checker, history, typecheck: "off" });
  const request = (msgType: string, content: Record<string, unknown>, channel: "shell" | "control" = "shell"): JupyterMessage => {
    const msg: JupyterMessage = { identities: [Buffer.from("id")], header: newHeader(msgType, "s"), parent_header: {}, metadata: {}, content, buffers: [] };
    session.onMessage(channel, msg);
    return msg;
  };
  const settle = () => new Promise((r) => setTimeout(r, 20));
  return { sent, calls, session, request, settle, history };
}

const exec = (code: string, extra: Record<string, unknown> = {}) => ({ code, silent: false, store_history: true, allow_stdin: false, stop_on_error: true, ...extra });

describe("Session", () => {
  it("wraps a request in busy ... idle with the request as parent", async () => {
    const h = harness(() => ({ result: { data: { "text/plain": "2" }, metadata: {} }, pages: [] }));
    const req = h.request("execute_request", exec("1+1"));
    await h.settle();
    const mine = h.sent.filter((s) => s.parent === req.header.msg_id);
    expect(mine[0]).toMatchObject({ msgType: "status", content: { execution_state: "busy" } });
    expect(mine[mine.length - 1]).toMatchObject({ msgType: "status", content: { execution_state: "idle" } });
    expect(mine.map((m) => m.msgType)).toEqual(["status", "execute_input", "execute_result", "execute_reply", "status"]);
  });

  it("counts stored executions only", async () => {
    const h = harness();
    h.request("execute_request", exec("a"));
    h.request("execute_request", exec("b", { silent: true }));
    h.request("execute_request", exec("c", { store_history: false }));
    h.request("execute_request", exec("d"));
    await h.settle();
    const counts = h.sent.filter((s) => s.msgType === "execute_reply").map((s) => s.content.execution_count);
    expect(counts).toEqual([1, 1, 1, 2]);
    expect(h.sent.filter((s) => s.msgType === "execute_input")).toHaveLength(3);
  });

  it("aborts queued cells after an error when stop_on_error is set", async () => {
    const h = harness((code) => (code === "bad" ? { error: { ename: "E", evalue: "v", traceback: [] }, pages: [] } : { pages: [] }));
    h.request("execute_request", exec("bad"));
    h.request("execute_request", exec("next"));
    await h.settle();
    h.request("execute_request", exec("later"));
    await h.settle();
    const statuses = h.sent.filter((s) => s.msgType === "execute_reply").map((s) => s.content.status);
    expect(statuses).toEqual(["error", "aborted", "ok"]);
    expect(h.calls).toEqual(["bad", "later"]);
  });

  it("handles control requests while a shell request is still running", async () => {
    let release!: () => void;
    const h = harness(() => new Promise((r) => (release = () => r({ pages: [] }))));
    h.request("execute_request", exec("spin"));
    await h.settle();
    h.request("interrupt_request", {}, "control");
    await h.settle();
    expect(h.calls).toEqual(["spin", "<interrupt>"]);
    expect(h.sent.find((s) => s.msgType === "interrupt_reply")?.content).toEqual({ status: "ok" });
    expect(h.sent.some((s) => s.msgType === "execute_reply")).toBe(false);
    release();
    await h.settle();
    expect(h.sent.some((s) => s.msgType === "execute_reply")).toBe(true);
  });

  it("routes runtime output to the cell that produced it, even after later cells", async () => {
    const h = harness();
    const first = h.request("execute_request", exec("one"));
    const second = h.request("execute_request", exec("two"));
    await h.settle();
    h.session.onRuntimeOutput({ t: "stream", cell: first.header.msg_id, name: "stdout", text: "late\n" });
    h.session.onRuntimeOutput({ t: "stream", cell: null, name: "stdout", text: "orphan\n" });
    const streams = h.sent.filter((s) => s.msgType === "stream");
    expect(streams.map((s) => s.parent)).toEqual([first.header.msg_id, second.header.msg_id]);
  });

  it("refuses input() when the client does not allow stdin", async () => {
    const h = harness();
    const req = h.request("execute_request", exec("x", { allow_stdin: false }));
    await h.settle();
    await expect(h.session.requestInput(req.header.msg_id, "?", false)).rejects.toThrow(/allow_stdin/);
  });

  it("converts completion positions between code points and UTF-16", async () => {
    const h = harness();
    // One astral character before the cursor: 2 UTF-16 units, 1 code point.
    h.request("complete_request", { code: "😀Math.ma", cursor_pos: 8 });
    await h.settle();
    const reply = h.sent.find((s) => s.msgType === "complete_reply")!;
    expect(reply.content).toMatchObject({ matches: ["max", "min"], cursor_start: 6, cursor_end: 8 });
  });

  it("answers history tail/range/search from the store", async () => {
    const h = harness();
    h.request("execute_request", exec("alpha"));
    h.request("execute_request", exec("beta"));
    h.request("execute_request", exec("alpha"));
    await h.settle();
    h.request("history_request", { hist_access_type: "tail", n: 2, output: false });
    h.request("history_request", { hist_access_type: "range", session: 0, start: 2, stop: 3 });
    h.request("history_request", { hist_access_type: "search", pattern: "al*", unique: true });
    h.request("history_request", { hist_access_type: "bogus" });
    await h.settle();
    const [tail, range, search, bogus] = h.sent.filter((s) => s.msgType === "history_reply").map((s) => s.content);
    const session = h.history.session;
    expect(tail!.history).toEqual([
      [session, 2, "beta"],
      [session, 3, "alpha"],
    ]);
    expect(range!.history).toEqual([[session, 2, "beta"]]);
    expect(search!.history).toEqual([[session, 3, "alpha"]]);
    expect(bogus).toMatchObject({ status: "error", ename: "BadRequest" });
  });

  it("answers a malformed message with an error reply of the request's type", () => {
    const h = harness();
    const header = newHeader("inspect_request", "s");
    h.session.onMalformed("shell", new MalformedMessageError("content is not valid JSON", [Buffer.from("id")], header));
    expect(h.sent[0]).toMatchObject({ kind: "send", channel: "shell", msgType: "inspect_reply", parent: header.msg_id, content: { status: "error", ename: "MalformedMessage" } });
  });

  it("pages ?expr through the inspector instead of running it", async () => {
    const h = harness();
    h.request("execute_request", exec("?Math.max"));
    await h.settle();
    expect(h.calls).toEqual([]);
    const reply = h.sent.find((s) => s.msgType === "execute_reply")!;
    expect(reply.content.payload).toEqual([{ source: "page", data: { "text/plain": "info" }, start: 0 }]);
  });
});
