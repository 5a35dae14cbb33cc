// The comm API without a kernel: a recording transport stands in for the executor, and the
// deliver* entry points play the frontend.
import { afterEach, beforeEach, describe, expect, it } from "vitest";
import {
  comm,
  deliverCommClose,
  deliverCommMsg,
  deliverCommOpen,
  setCommTransport,
  type CommTransport,
} from "../../lib/display/index.js";

type Sent = [string, string, ...unknown[]];
let sent: Sent[];
let previous: CommTransport | null;

beforeEach(() => {
  sent = [];
  previous = setCommTransport({
    open: (id, target, data, metadata) => sent.push(["open", id, target, data, metadata]),
    send: (id, data, metadata) => sent.push(["msg", id, data, metadata]),
    close: (id, data, metadata) => sent.push(["close", id, data, metadata]),
  });
});

afterEach(() => {
  for (const c of comm.list()) c.close();
  comm.unregisterTarget("t");
  setCommTransport(previous);
});

describe("comm", () => {
  it("opens a comm from the kernel side, sends, receives and closes once", () => {
    const c = comm.open("plots", { a: 1 }, { v: "1" });
    const got: unknown[] = [];
    const closes: unknown[] = [];
    c.onMsg((data) => got.push(data)).onClose((data) => closes.push(data));
    c.send({ step: 1 });
    expect(deliverCommMsg(c.id, { data: { click: 3 }, metadata: {} })).toBe(true);
    c.close({ bye: true });
    c.close();
    expect(sent).toEqual([
      ["open", c.id, "plots", { a: 1 }, { v: "1" }],
      ["msg", c.id, { step: 1 }, {}],
      ["close", c.id, { bye: true }, {}],
    ]);
    expect(got).toEqual([{ click: 3 }]);
    expect(closes).toEqual([{ bye: true }]);
    expect(c.closed).toBe(true);
    expect(() => c.send({})).toThrow(/send after close/);
    expect(deliverCommMsg(c.id, { data: {}, metadata: {} })).toBe(false);
  });

  it("runs a registered target for a frontend open and refuses unknown targets", () => {
    const opened: unknown[] = [];
    comm.registerTarget("t", (c, open) => {
      opened.push([c.targetName, open.data]);
      c.onMsg((d) => c.send({ echo: d }));
    });
    expect(deliverCommOpen("f1", "t", { data: { n: 1 }, metadata: {} })).toBeNull();
    expect(deliverCommOpen("f2", "missing", { data: {}, metadata: {} })).toMatch(/no comm target 'missing'/);
    expect(opened).toEqual([["t", { n: 1 }]]);
    expect(comm.list("t").map((c) => c.id)).toEqual(["f1"]);
    expect(comm.list("missing")).toEqual([]);
    deliverCommMsg("f1", { data: { q: 2 }, metadata: {} });
    expect(sent).toEqual([["msg", "f1", { echo: { q: 2 } }, {}]]);
    // A frontend close sends nothing back and forgets the comm.
    expect(deliverCommClose("f1", {})).toBe(true);
    expect(comm.list()).toEqual([]);
    expect(sent).toHaveLength(1);
  });

  it("refuses the open when the target's handler throws", () => {
    comm.registerTarget("t", () => {
      throw new Error("boom");
    });
    expect(deliverCommOpen("f3", "t", { data: {}, metadata: {} })).toMatch(/comm target 't' failed: boom/);
    expect(comm.list()).toEqual([]);
  });

  it("names the problem for bad arguments and for a missing kernel", () => {
    expect(() => comm.open("")).toThrow(/target name must be a non-empty string/);
    expect(() => comm.open("x", [1] as never)).toThrow(
      /comm.open: data must be a plain object \(JSON\), found an array/,
    );
    expect(() => comm.registerTarget("t", 3 as never)).toThrow(/handler must be a function, found number/);
    setCommTransport(null);
    expect(() => comm.open("x")).toThrow(/no Jupyter kernel connection/);
  });
});
