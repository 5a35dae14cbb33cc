// The protocol logic of the session, driven with fake sockets, runtime and checker: message
// order (busy first, idle last), execution counting, stop_on_error, routing of late output,
// input without stdin, history and error replies.
import { describe, expect, it } from "vitest";
import { Session } from "../../kernel/session/session.js";
import type { History, Runtime, Transport, TypeChecker } from "../../kernel/session/ports.js";
import type { ExecuteOutcome } from "../../kernel/executor/host.js";
import type { TypeDiagnostic } from "../../kernel/executor/checker-protocol.js";
import type { CommToRuntime } from "../../kernel/executor/protocol.js";
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

interface HarnessOptions {
  typecheck?: "background" | "wait" | "strict" | "off";
  /** The fake checker's answer for a cell (and how long it takes). */
  check?: (code: string) => { diags: TypeDiagnostic[]; ms: number };
  warningGraceMs?: number;
  /** The fake runtime's comm entry point; absent = a runtime without comm support. */
  comm?: (msg: CommToRuntime) => Promise<string | null>;
}

function harness(
  run: (code: string, cell: string) => Promise<ExecuteOutcome> | ExecuteOutcome = () => ({ pages: [] }),
  opts: HarnessOptions = {},
) {
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
  const runtime: Runtime & { generation: number } = {
    generation: 1,
    ...(opts.comm ? { comm: opts.comm } : {}),
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
    async check(code) {
      const r = opts.check?.(code) ?? { diags: [], ms: 0 };
      if (r.ms > 0) await new Promise((res) => setTimeout(res, r.ms));
      return r.diags;
    },
    async complete(_code, cursor) {
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
  const session = new Session({
    transport,
    runtime,
    checker,
    history,
    typecheck: opts.typecheck ?? "off",
    warningGraceMs: opts.warningGraceMs,
  });
  const request = (
    msgType: string,
    content: Record<string, unknown>,
    channel: "shell" | "control" = "shell",
  ): JupyterMessage => {
    const msg: JupyterMessage = {
      identities: [Buffer.from("id")],
      header: newHeader(msgType, "s"),
      parent_header: {},
      metadata: {},
      content,
      buffers: [],
    };
    session.onMessage(channel, msg);
    return msg;
  };
  const settle = () => new Promise((r) => setTimeout(r, 20));
  return { sent, calls, session, request, settle, history, runtime };
}

const exec = (code: string, extra: Record<string, unknown> = {}) => ({
  code,
  silent: false,
  store_history: true,
  allow_stdin: false,
  stop_on_error: true,
  ...extra,
});

describe("Session", () => {
  it("wraps a request in busy ... idle with the request as parent", async () => {
    const h = harness(() => ({ result: { data: { "text/plain": "2" }, metadata: {} }, pages: [] }));
    const req = h.request("execute_request", exec("1+1"));
    await h.settle();
    const mine = h.sent.filter((s) => s.parent === req.header.msg_id);
    expect(mine[0]).toMatchObject({ msgType: "status", content: { execution_state: "busy" } });
    expect(mine[mine.length - 1]).toMatchObject({ msgType: "status", content: { execution_state: "idle" } });
    expect(mine.map((m) => m.msgType)).toEqual([
      "status",
      "execute_input",
      "execute_result",
      "execute_reply",
      "status",
    ]);
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
    const h = harness((code) =>
      code === "bad" ? { error: { ename: "E", evalue: "v", traceback: [] }, pages: [] } : { pages: [] },
    );
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
    expect(h.sent[0]).toMatchObject({
      kind: "send",
      channel: "shell",
      msgType: "inspect_reply",
      parent: header.msg_id,
      content: { status: "error", ename: "MalformedMessage" },
    });
  });

  it("answers a malformed field inside busy/idle with an error naming it, expected vs found, and runs nothing", async () => {
    const h = harness();
    const req = h.request("execute_request", exec("1", { user_expressions: { n: 42 } }));
    const cmp = h.request("complete_request", { code: "Math.", cursor_pos: "5" });
    await h.settle();
    expect(h.calls).toEqual([]);
    const mine = h.sent.filter((s) => s.parent === req.header.msg_id);
    expect(mine.map((m) => m.msgType)).toEqual(["status", "execute_reply", "status"]);
    expect(mine[1]!.content).toEqual({
      status: "error",
      ename: "BadRequest",
      evalue: "execute_request: content.user_expressions.n must be a string (an expression), found a number 42",
      traceback: [
        "BadRequest: execute_request: content.user_expressions.n must be a string (an expression), found a number 42",
      ],
    });
    const reply = h.sent.find((s) => s.parent === cmp.header.msg_id && s.msgType === "complete_reply")!;
    expect(reply.content.evalue).toBe('complete_request: content.cursor_pos must be an integer, found a string "5"');
  });

  it("pages ?expr through the inspector instead of running it", async () => {
    const h = harness();
    h.request("execute_request", exec("?Math.max"));
    await h.settle();
    expect(h.calls).toEqual([]);
    const reply = h.sent.find((s) => s.msgType === "execute_reply")!;
    expect(reply.content.payload).toEqual([{ source: "page", data: { "text/plain": "info" }, start: 0 }]);
  });

  describe("background type warnings", () => {
    const warn = (ms: number) => () => ({
      diags: [
        {
          line: 1,
          column: 7,
          message: "Type 'string' is not assignable to type 'number'.",
          code: 2322,
          category: "error" as const,
        },
      ],
      ms,
    });
    const order = (h: ReturnType<typeof harness>, id: string) =>
      h.sent
        .filter((s) => s.parent === id && s.msgType !== "execute_input")
        .map((s) => (s.msgType === "status" ? String(s.content.execution_state) : s.msgType));

    it("lands a warning that arrives within the grace before the reply and idle", async () => {
      const h = harness(undefined, { typecheck: "background", check: warn(15), warningGraceMs: 200 });
      const req = h.request("execute_request", exec('const x: number = "s";'));
      await h.settle();
      await h.settle();
      expect(order(h, req.header.msg_id)).toEqual(["busy", "stream", "execute_reply", "idle"]);
      expect(String(h.sent.find((s) => s.msgType === "stream")!.content.text)).toMatch(
        /<cell 1>:1:7 - type error TS2322/,
      );
    });

    it("publishes a later warning after idle, still parented to its cell", async () => {
      const h = harness(undefined, { typecheck: "background", check: warn(120), warningGraceMs: 10 });
      const req = h.request("execute_request", exec('const x: number = "s";'));
      await new Promise((r) => setTimeout(r, 200));
      expect(order(h, req.header.msg_id)).toEqual(["busy", "execute_reply", "idle", "stream"]);
    });

    it("does not wait when the check finished before the cell", async () => {
      // The runtime takes longer than the check; a cell must not add the grace on top.
      const h = harness(() => new Promise((r) => setTimeout(() => r({ pages: [] }), 30)), {
        typecheck: "background",
        check: () => ({ diags: [], ms: 0 }),
        warningGraceMs: 5000,
      });
      const t0 = performance.now();
      const req = h.request("execute_request", exec("1"));
      while (!h.sent.some((s) => s.parent === req.header.msg_id && s.msgType === "execute_reply"))
        await new Promise((r) => setTimeout(r, 5));
      expect(performance.now() - t0).toBeLessThan(2500);
    });

    it("says once, on the first cell it hit, that the checker stopped, and runs every cell", async () => {
      const stopped = "type checker stopped (out of memory); cells still run, unchecked";
      const h = harness(() => ({ pages: [] }), {
        typecheck: "background",
        check: () => {
          throw new Error(stopped);
        },
      });
      const reqs = ["1", "2", "3"].map((code) => h.request("execute_request", exec(code)));
      await h.settle();
      await h.settle();
      expect(h.calls).toEqual(["1", "2", "3"]);
      const streams = h.sent.filter((s) => s.msgType === "stream");
      expect(streams.map((s) => [s.parent, s.content.text])).toEqual([[reqs[0]!.header.msg_id, `${stopped}\n`]]);
      for (const r of reqs) expect(order(h, r.header.msg_id)).toContain("execute_reply");
    });
  });

  describe("comms", () => {
    const commMsgs = (h: ReturnType<typeof harness>) =>
      h.sent.filter((s) => s.msgType.startsWith("comm_") && s.msgType !== "comm_info_reply");
    const info = async (h: ReturnType<typeof harness>, content: Record<string, unknown> = {}) => {
      h.request("comm_info_request", content);
      await h.settle();
      return h.sent.filter((s) => s.msgType === "comm_info_reply").pop()!.content.comms;
    };

    it("hands a client comm_open to the runtime and lists the comm when a target took it", async () => {
      const seen: CommToRuntime[] = [];
      const h = harness(undefined, {
        comm: async (m) => {
          seen.push(m);
          return m.t === "comm_open" && m.targetName !== "known" ? `no comm target '${m.targetName}'` : null;
        },
      });
      const open = h.request("comm_open", { comm_id: "c1", target_name: "known", data: { a: 1 } });
      h.request("comm_open", { comm_id: "c2", target_name: "nobody", data: {} });
      await h.settle();
      expect(seen.slice(0, 2)).toMatchObject([
        { t: "comm_open", cell: open.header.msg_id, commId: "c1", targetName: "known", data: { a: 1 } },
        { t: "comm_open", commId: "c2", targetName: "nobody" },
      ]);
      // The refused one is closed, as the spec asks; the accepted one is not.
      expect(commMsgs(h)).toMatchObject([{ msgType: "comm_close", content: { comm_id: "c2" } }]);
      expect(await info(h)).toEqual({ c1: { target_name: "known" } });

      h.request("comm_msg", { comm_id: "c1", data: { x: 2 } });
      h.request("comm_msg", { comm_id: "never-opened", data: {} });
      h.request("comm_close", { comm_id: "c1", data: {} });
      await h.settle();
      expect(seen.slice(2).map((m) => [m.t, m.commId])).toEqual([
        ["comm_msg", "c1"],
        ["comm_close", "c1"],
      ]);
      expect(await info(h)).toEqual({});
    });

    it("closes every client comm_open when the runtime has no comm support", async () => {
      const h = harness();
      h.request("comm_open", { comm_id: "c9", target_name: "t", data: {} });
      await h.settle();
      expect(commMsgs(h)).toMatchObject([{ msgType: "comm_close", content: { comm_id: "c9" } }]);
    });

    it("publishes kernel-side comms on iopub under the cell, filters comm_info by target and forgets them with the runtime", async () => {
      const h = harness(undefined, { comm: async () => null });
      const cell = h.request("execute_request", exec("comm.open(...)"));
      await h.settle();
      const id = cell.header.msg_id;
      h.session.onRuntimeOutput({
        t: "comm_open",
        cell: id,
        commId: "k1",
        targetName: "plots",
        data: { v: 1 },
        metadata: { m: true },
      });
      h.session.onRuntimeOutput({
        t: "comm_open",
        cell: id,
        commId: "k2",
        targetName: "other",
        data: {},
        metadata: {},
      });
      h.session.onRuntimeOutput({ t: "comm_msg", cell: id, commId: "k1", data: { step: 3 }, metadata: {} });
      await h.settle();
      expect(commMsgs(h).map((m) => [m.msgType, m.parent, m.content.comm_id])).toEqual([
        ["comm_open", id, "k1"],
        ["comm_open", id, "k2"],
        ["comm_msg", id, "k1"],
      ]);
      expect(commMsgs(h)[0]!.content).toEqual({ comm_id: "k1", target_name: "plots", data: { v: 1 } });
      expect(await info(h, { target_name: "plots" })).toEqual({ k1: { target_name: "plots" } });
      h.session.onRuntimeOutput({ t: "comm_close", cell: id, commId: "k1", data: {}, metadata: {} });
      expect(await info(h)).toEqual({ k2: { target_name: "other" } });
      h.runtime.generation++; // a fresh runtime has no comms
      expect(await info(h)).toEqual({});
    });

    it("rejects a comm_open without a comm_id", async () => {
      const h = harness(undefined, { comm: async () => null });
      h.request("comm_open", { target_name: "t", data: {} });
      await h.settle();
      expect(h.sent.find((s) => s.kind === "send")?.content).toMatchObject({ status: "error", ename: "BadRequest" });
    });
  });
});
