// The iopub → nbformat rules, driven by hand-made messages so each rule is checked in isolation.
import { describe, expect, it } from "vitest";
import { OutputCollector } from "../../kernel/runner/output-collector.js";
import type { JupyterMessage } from "../../kernel/wire/message.js";

function msg(type: string, content: Record<string, unknown>, parent = "req-1"): JupyterMessage {
  return {
    identities: [],
    header: { msg_id: `out-${Math.random()}`, session: "s", username: "u", date: "", msg_type: type, version: "5.3" },
    parent_header: { msg_id: parent },
    metadata: {},
    content,
    buffers: [],
  };
}

describe("OutputCollector", () => {
  it("coalesces consecutive streams of one name and keeps stdout/stderr apart", () => {
    const c = new OutputCollector();
    const outs = c.startCell("req-1");
    c.handle(msg("stream", { name: "stdout", text: "a" }));
    c.handle(msg("stream", { name: "stdout", text: "b\n" }));
    c.handle(msg("stream", { name: "stderr", text: "e\n" }));
    c.handle(msg("stream", { name: "stdout", text: "c\n" }));
    expect(outs).toEqual([
      { output_type: "stream", name: "stdout", text: "ab\n" },
      { output_type: "stream", name: "stderr", text: "e\n" },
      { output_type: "stream", name: "stdout", text: "c\n" },
    ]);
  });

  it("keeps execute_result, display_data and error with their fields", () => {
    const c = new OutputCollector();
    const outs = c.startCell("req-1");
    c.handle(msg("display_data", { data: { "text/html": "<b>x</b>" }, metadata: { isolated: true } }));
    c.handle(msg("execute_result", { execution_count: 7, data: { "text/plain": "3" }, metadata: {} }));
    c.handle(msg("error", { ename: "TypeError", evalue: "bad", traceback: ["line 1", "line 2"] }));
    expect(c.handle(msg("status", { execution_state: "idle" }))).toBe(false);
    expect(outs).toEqual([
      { output_type: "display_data", data: { "text/html": "<b>x</b>" }, metadata: { isolated: true } },
      { output_type: "execute_result", execution_count: 7, data: { "text/plain": "3" }, metadata: {} },
      { output_type: "error", ename: "TypeError", evalue: "bad", traceback: ["line 1", "line 2"] },
    ]);
  });

  it("updates a display in place by display_id, also in an earlier cell", () => {
    const c = new OutputCollector();
    const first = c.startCell("req-1");
    c.handle(msg("display_data", { data: { "text/plain": "0%" }, metadata: {}, transient: { display_id: "bar" } }));
    c.handle(msg("stream", { name: "stdout", text: "between\n" }));
    c.handle(
      msg("update_display_data", { data: { "text/plain": "50%" }, metadata: {}, transient: { display_id: "bar" } }),
    );
    const second = c.startCell("req-2");
    c.handle(
      msg(
        "update_display_data",
        { data: { "text/plain": "100%" }, metadata: { done: true }, transient: { display_id: "bar" } },
        "req-2",
      ),
    );
    c.handle(
      msg(
        "update_display_data",
        { data: { "text/plain": "ghost" }, metadata: {}, transient: { display_id: "never-shown" } },
        "req-2",
      ),
    );
    expect(first).toEqual([
      { output_type: "display_data", data: { "text/plain": "100%" }, metadata: { done: true } },
      { output_type: "stream", name: "stdout", text: "between\n" },
    ]);
    expect(second).toEqual([]);
  });

  it("clears at once without wait, and on the next output with wait", () => {
    const c = new OutputCollector();
    const outs = c.startCell("req-1");
    c.handle(msg("stream", { name: "stdout", text: "old\n" }));
    c.handle(msg("clear_output", { wait: false }));
    expect(outs).toEqual([]);
    c.handle(msg("stream", { name: "stdout", text: "frame 1\n" }));
    c.handle(msg("clear_output", { wait: true }));
    expect(outs).toHaveLength(1); // still shown until something replaces it
    c.handle(msg("display_data", { data: { "text/plain": "frame 2" }, metadata: {} }));
    expect(outs).toEqual([{ output_type: "display_data", data: { "text/plain": "frame 2" }, metadata: {} }]);
  });

  it("does not carry a pending clear into the next cell", () => {
    const c = new OutputCollector();
    c.startCell("req-1");
    c.handle(msg("clear_output", { wait: true }));
    const next = c.startCell("req-2");
    c.handle(msg("stream", { name: "stdout", text: "kept\n" }, "req-2"));
    c.handle(msg("stream", { name: "stdout", text: "too\n" }, "req-2"));
    expect(next).toEqual([{ output_type: "stream", name: "stdout", text: "kept\ntoo\n" }]);
  });

  it("routes late output to the cell whose request it answers, and ignores strangers", () => {
    const c = new OutputCollector();
    const first = c.startCell("req-1");
    const second = c.startCell("req-2");
    c.handle(msg("stream", { name: "stdout", text: "now\n" }, "req-2"));
    c.handle(msg("stream", { name: "stdout", text: "from a timer\n" }, "req-1"));
    expect(c.handle(msg("stream", { name: "stdout", text: "other client\n" }, "someone-else"))).toBe(false);
    c.addError("req-2", "CellTimeoutError", "too slow");
    expect(first).toEqual([{ output_type: "stream", name: "stdout", text: "from a timer\n" }]);
    expect(second).toEqual([
      { output_type: "stream", name: "stdout", text: "now\n" },
      {
        output_type: "error",
        ename: "CellTimeoutError",
        evalue: "too slow",
        traceback: ["CellTimeoutError: too slow"],
      },
    ]);
  });
});
