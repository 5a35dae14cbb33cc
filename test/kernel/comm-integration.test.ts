// Comms, result suppression and type-warning timing against the real kernel over ZMQ: a target
// registered by a cell answers a client's comm_open, a comm opened by a cell reaches the client,
// messages flow both ways and either side closes.
import { mkdtempSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import type { JupyterMessage } from "../../kernel/wire/message.js";
import { ensureBuilt, ROOT } from "../helpers/ensure-built.js";
import { KernelDriver } from "./helpers/kernel-driver.js";

const KERNEL = [process.execPath, join(ROOT, "bin", "peft-nb.js"), "kernel", "--connection-file", "{connection_file}"];
// A generous grace so that the warning-before-idle check does not depend on this machine's load.
const ENV = {
  PEFT_NB_HISTORY_FILE: join(mkdtempSync(join(tmpdir(), "peft-nb-comm-")), "h.jsonl"),
  PEFT_NB_WARNING_GRACE_MS: "5000",
};

let k: KernelDriver;

beforeAll(async () => {
  await ensureBuilt();
  k = (await KernelDriver.start(KERNEL, ENV)).driver;
});

afterAll(async () => {
  await k?.close();
});

/** Sends a comm message (no reply comes) and waits for its idle status. */
async function sendComm(
  msgType: "comm_open" | "comm_msg" | "comm_close",
  content: Record<string, unknown>,
): Promise<{ msgId: string; outputs: JupyterMessage[] }> {
  const { frames, msgId } = k.frames(msgType, content);
  await k.sendFrames("shell", frames);
  await k.waitReply(msgId, 10_000);
  return {
    msgId,
    outputs: k.iopubLog.filter((m) => m.parent_header.msg_id === msgId && m.header.msg_type !== "status"),
  };
}

const commInfo = async (content: Record<string, unknown> = {}) =>
  (await k.request("shell", "comm_info_request", content)).content.comms;

describe("comms", () => {
  it("opens a comm from the client to a target a cell registered, exchanges messages and closes", async () => {
    const setup = await k.execute(
      [
        "const received: unknown[] = [];",
        'comm.registerTarget("peft.echo", (c, open) => {',
        "  c.send({ opened: open.data });",
        "  c.onMsg((data) => { received.push(data); c.send({ echo: data }); });",
        '  c.onClose((data) => console.log("closed with", JSON.stringify(data)));',
        "});",
      ].join("\n"),
    );
    expect(setup.reply.content.status).toBe("ok");

    const open = await sendComm("comm_open", { comm_id: "client-1", target_name: "peft.echo", data: { n: 7 } });
    expect(open.outputs.map((m) => [m.header.msg_type, m.content.comm_id, m.content.data])).toEqual([
      ["comm_msg", "client-1", { opened: { n: 7 } }],
    ]);
    expect(await commInfo()).toEqual({ "client-1": { target_name: "peft.echo" } });

    const msg = await sendComm("comm_msg", { comm_id: "client-1", data: { x: [1, 2] } });
    expect(msg.outputs.map((m) => [m.header.msg_type, m.content.data])).toEqual([
      ["comm_msg", { echo: { x: [1, 2] } }],
    ]);
    const seen = await k.execute("received");
    expect(seen.outputs.find((m) => m.header.msg_type === "execute_result")?.content.data).toMatchObject({
      "text/plain": "[ { x: [ 1, 2 ] } ]",
    });

    const close = await sendComm("comm_close", { comm_id: "client-1", data: { why: "done" } });
    // The close handler's output belongs to the comm_close message.
    expect(close.outputs.map((m) => [m.header.msg_type, m.content.text])).toEqual([
      ["stream", 'closed with {"why":"done"}\n'],
    ]);
    expect(await commInfo()).toEqual({});
  });

  it("closes a client comm_open to an unregistered target", async () => {
    const open = await sendComm("comm_open", { comm_id: "client-2", target_name: "nobody", data: {} });
    expect(open.outputs.map((m) => [m.header.msg_type, m.content.comm_id])).toEqual([["comm_close", "client-2"]]);
    expect(await commInfo()).toEqual({});
  });

  it("opens a comm from a cell, receives the client's messages and closes it from the kernel", async () => {
    const cell = await k.execute(
      'const live = comm.open("peft.live", { hello: 1 }, { version: "1" });\nlive.onMsg((d) => live.send({ got: d }));\nlive.id',
    );
    const opened = cell.outputs.find((m) => m.header.msg_type === "comm_open")!;
    const id = opened.content.comm_id as string;
    expect(opened.content).toEqual({ comm_id: id, target_name: "peft.live", data: { hello: 1 } });
    expect(opened.metadata).toEqual({ version: "1" });
    expect(cell.outputs.find((m) => m.header.msg_type === "execute_result")?.content.data).toMatchObject({
      "text/plain": `'${id}'`,
    });

    await k.execute('const other = comm.open("peft.other");');
    expect(await commInfo({ target_name: "peft.live" })).toEqual({ [id]: { target_name: "peft.live" } });
    expect(
      Object.values((await commInfo()) as Record<string, { target_name: string }>)
        .map((c) => c.target_name)
        .sort(),
    ).toEqual(["peft.live", "peft.other"]);

    const msg = await sendComm("comm_msg", { comm_id: id, data: { ping: true } });
    expect(msg.outputs.map((m) => [m.header.msg_type, m.content.comm_id, m.content.data])).toEqual([
      ["comm_msg", id, { got: { ping: true } }],
    ]);

    const closing = await k.execute("live.close({ bye: true });\nother.close();\n[live.closed, comm.list().length]");
    expect(
      closing.outputs.filter((m) => m.header.msg_type === "comm_close").map((m) => [m.content.comm_id, m.content.data]),
    ).toEqual([
      [id, { bye: true }],
      [expect.any(String), {}],
    ]);
    expect(closing.outputs.find((m) => m.header.msg_type === "execute_result")?.content.data).toMatchObject({
      "text/plain": "[ true, 0 ]",
    });
    expect(await commInfo()).toEqual({});
  });

  it("reports a bad comm call in the cell with a clear error", async () => {
    const { reply } = await k.execute('comm.open("t", [1, 2] as never)');
    expect(reply.content).toMatchObject({ status: "error", ename: "TypeError" });
    expect(String(reply.content.evalue)).toContain("comm.open: data must be a plain object");
  });
});

describe("results and display handles", () => {
  it("shows no execute_result for a trailing expression ending with `;`", async () => {
    const plain = await k.execute("40 + 2;");
    expect(plain.outputs.map((m) => m.header.msg_type)).toEqual([]);
    const plot = await k.execute('display.plotly({ data: [{ type: "scatter", x: [1, 2], y: [3, 4] }] });');
    expect(plot.outputs.map((m) => m.header.msg_type)).toEqual(["display_data"]);
    const shown = await k.execute("40 + 2");
    expect(shown.outputs.map((m) => m.header.msg_type)).toEqual(["execute_result"]);
  });

  it("recognises display handles by their symbol, not by their shape", async () => {
    const handle = await k.execute("display({ a: 1 })");
    expect(handle.outputs.map((m) => m.header.msg_type)).toEqual(["display_data"]);
    // A user object shaped like a handle is an ordinary result.
    const lookalike = await k.execute('({ id: "x", update() {} })');
    expect(lookalike.outputs.map((m) => m.header.msg_type)).toEqual(["execute_result"]);
  });
});

describe("type warnings in background mode", () => {
  it("publishes a type warning before the cell's idle status", async () => {
    await k.request("shell", "is_complete_request", { code: "1" }); // the checker has loaded
    const { outputs } = await k.execute('const mismatch: number = "not a number";\nmismatch');
    const kinds = outputs.map((m) => m.header.msg_type);
    expect(kinds).toContain("stream");
    const warning = outputs.find((m) => m.header.msg_type === "stream")!;
    expect(String(warning.content.text)).toMatch(/<cell \d+>:1:7 - type error TS2322/);
  });

  it("warns again when a cell that declares nothing is re-run (the checker's answer is reused)", async () => {
    for (let i = 0; i < 3; i++) {
      const { outputs } = await k.execute('Math.max("a");');
      expect(outputs.map((m) => [m.header.msg_type, /TS2345/.test(String(m.content.text))])).toEqual([
        ["stream", true],
      ]);
    }
  });
});
