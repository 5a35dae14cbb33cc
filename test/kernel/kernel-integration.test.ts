// Drives the real kernel (compiled dist/, started as Jupyter would through bin/peft-nb.js) over
// ZMQ: execution semantics, interrupt, crash recovery, bad messages, late output, stdin.
import { mkdtempSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { createSigner, newHeader, DELIMITER } from "../../kernel/wire/message.js";
import { ensureBuilt, ROOT } from "../helpers/ensure-built.js";
import { KernelDriver } from "./helpers/kernel-driver.js";

const KERNEL = [process.execPath, join(ROOT, "bin", "peft-nb.js"), "kernel", "--connection-file", "{connection_file}"];
const historyFile = join(mkdtempSync(join(tmpdir(), "peft-nb-hist-")), "history.jsonl");
const ENV = { PEFT_NB_HISTORY_FILE: historyFile };

let k: KernelDriver;

beforeAll(async () => {
  await ensureBuilt();
  k = (await KernelDriver.start(KERNEL, ENV)).driver;
});

afterAll(async () => {
  await k?.close();
});

const text = (m: { content: Record<string, unknown> }) => (m.content.data as Record<string, string>)["text/plain"];
const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

describe("execution", () => {
  it("answers kernel_info with TypeScript language info and protocol 5.3", async () => {
    const r = await k.request("shell", "kernel_info_request", {});
    const li = r.content.language_info as Record<string, unknown>;
    expect(li.name).toBe("typescript");
    expect(li.file_extension).toBe(".ts");
    expect(r.content.protocol_version).toBe("5.3");
  });

  it("keeps declarations across cells, allows redeclaration and top-level await", async () => {
    await k.execute(
      "const a: number = 1;\nfunction twice(x: number) { return 2 * x; }\nclass Box { constructor(public v: number) {} }",
    );
    const { reply, outputs } = await k.execute("const a = 20; twice(a) + new Box(2).v");
    expect(reply.content.status).toBe("ok");
    expect(text(outputs.find((m) => m.header.msg_type === "execute_result")!)).toBe("42");
    await k.execute("const later = await new Promise<number>((r) => setTimeout(() => r(5), 20));");
    const r2 = await k.execute("later * a");
    expect(text(r2.outputs.find((m) => m.header.msg_type === "execute_result")!)).toBe("100");
  });

  it("evaluates user_expressions after the cell", async () => {
    const { reply } = await k.execute("const ue = 20;", { user_expressions: { twice: "ue * 2", broken: "nope.x" } });
    const ue = reply.content.user_expressions as Record<string, Record<string, unknown>>;
    expect(ue.twice).toMatchObject({ status: "ok", data: { "text/plain": "40" } });
    expect(ue.broken).toMatchObject({ status: "error", ename: "ReferenceError" });
  });

  it("counts executions and publishes execute_input", async () => {
    const one = await k.execute("1");
    const two = await k.execute("2");
    expect(two.reply.content.execution_count).toBe((one.reply.content.execution_count as number) + 1);
    const input = k.iopubLog.find((m) => m.parent_header.msg_id === two.msgId && m.header.msg_type === "execute_input");
    expect(input?.content).toMatchObject({ code: "2", execution_count: two.reply.content.execution_count });
  });

  it("reports a syntax error at the cell's line and column", async () => {
    const { reply, outputs } = await k.execute("const fine = 1;\nconst broken = ;");
    expect(reply.content.status).toBe("error");
    expect(reply.content.ename).toBe("SyntaxError");
    expect(reply.content.evalue).toContain("line 2, column 16");
    expect(outputs.filter((m) => m.header.msg_type === "error")).toHaveLength(1);
  });

  it("reports a runtime error with a traceback pointing into the cell", async () => {
    const { reply } = await k.execute("const n: number = 3;\n\nthrow new RangeError(`bad ${n}`);");
    expect(reply.content).toMatchObject({ status: "error", ename: "RangeError", evalue: "bad 3" });
    expect((reply.content.traceback as string[]).join("\n")).toMatch(/<cell \d+>:3:7/);
  });

  it("routes output written by a timer after the cell ended to that cell", async () => {
    const { msgId, outputs } = await k.execute('setTimeout(() => console.log("late output"), 300); "started"');
    expect(outputs.some((m) => m.header.msg_type === "stream")).toBe(false);
    await k.execute("1 + 1"); // another cell in between
    const late = await k.waitIopub(
      (m) => m.header.msg_type === "stream" && String(m.content.text).includes("late output"),
      5000,
    );
    expect(late.parent_header.msg_id).toBe(msgId);
  });

  it("imports node modules and shows display() output", async () => {
    const { outputs } = await k.execute(
      'import { join } from "node:path";\nconst h = display.html("<b>x</b>", { id: "d1" });\nh.update("<b>y</b>");\njoin("a", "b")',
    );
    expect(outputs.find((m) => m.header.msg_type === "display_data")?.content.transient).toEqual({ display_id: "d1" });
    expect(outputs.find((m) => m.header.msg_type === "update_display_data")?.content.data).toMatchObject({
      "text/html": "<b>y</b>",
    });
    const handleOnly = await k.execute('display.markdown("*m*")');
    expect(handleOnly.outputs.map((m) => m.header.msg_type)).toEqual(["display_data"]);
    const own = await k.execute("const display = 5;\ndisplay + 1");
    expect(text(own.outputs.find((m) => m.header.msg_type === "execute_result")!)).toBe("6");
    expect(text(outputs.find((m) => m.header.msg_type === "execute_result")!)).toBe("'a/b'");
  });

  // dist/ exists: beforeAll built it (a skipIf here would be evaluated before that build).
  it('resolves `import ... from "peft-notebook"`', async () => {
    const { reply, msgId, outputs } = await k.execute('import { display as d2 } from "peft-notebook";\ntypeof d2.html');
    expect(reply.content.status).toBe("ok");
    expect(text(outputs.find((m) => m.header.msg_type === "execute_result")!)).toBe("'function'");
    // The type checker resolves the package too: no "Cannot find module" (TS2307) warning.
    await k.request("shell", "is_complete_request", { code: "1" });
    await sleep(100);
    const warnings = k.iopubLog.filter((m) => m.parent_header.msg_id === msgId && m.header.msg_type === "stream");
    expect(warnings.map((m) => m.content.text)).toEqual([]);
  });

  it("asks for input on the stdin channel", async () => {
    const id = k.startExecute('const who = await input("name? ");\nwho.toUpperCase()', { allow_stdin: true });
    for (let i = 0; i < 100 && !k.stdinRequests.length; i++) await sleep(50);
    const req = k.stdinRequests.shift()!;
    expect(req.content).toMatchObject({ prompt: "name? ", password: false });
    expect(req.parent_header.msg_id).toBe(id);
    const { frames } = k.frames("input_reply", { value: "alice" });
    await k.sendFrames("stdin", frames);
    await k.waitReply(id);
    const result = k.iopubLog.find((m) => m.parent_header.msg_id === id && m.header.msg_type === "execute_result")!;
    expect(text(result)).toBe("'ALICE'");
  });
});

describe("type checking", () => {
  it("runs a cell with a type error and reports the error as a warning at the cell's position", async () => {
    const { msgId, reply } = await k.execute("const typed: number = 1;\nconst wrong: string = typed;\nwrong");
    expect(reply.content.status).toBe("ok");
    const warning = await k.waitIopub(
      (m) =>
        m.parent_header.msg_id === msgId && m.header.msg_type === "stream" && String(m.content.text).includes("TS2322"),
      20_000,
    );
    expect(warning.content.name).toBe("stderr");
    expect(String(warning.content.text)).toMatch(/<cell \d+>:2:7/);
  });

  it("keeps the declarations of a cell with type errors for later checks", async () => {
    await k.execute('const mistyped: number = "x";');
    const { msgId } = await k.execute("const reuse = mistyped;");
    await k.request("shell", "is_complete_request", { code: "1" }); // the checker has caught up
    await sleep(100);
    const warnings = k.iopubLog.filter((m) => m.parent_header.msg_id === msgId && m.header.msg_type === "stream");
    expect(warnings.map((m) => m.content.text)).toEqual([]);
  });

  it("completes names declared by earlier cells", async () => {
    await k.execute("const learningRateSchedule = [1, 2];");
    await k.request("shell", "is_complete_request", { code: "1" }); // the checker has caught up
    const r = await k.request("shell", "complete_request", { code: "learningRateSch", cursor_pos: 15 });
    expect(r.content.matches).toContain("learningRateSchedule");
    expect(r.content).toMatchObject({ cursor_start: 0, cursor_end: 15 });
  });
});

describe("a busy kernel stays responsive", () => {
  it("answers heartbeat and control within 100 ms while a cell spins, and interrupt stops it keeping variables", async () => {
    await k.execute("let kept = 41;");
    const id = k.startExecute("while (true) {}");
    await sleep(300);
    const beats: number[] = [];
    for (let i = 0; i < 5; i++) beats.push(await k.heartbeat());
    const t0 = performance.now();
    await k.request("control", "kernel_info_request", {});
    const controlMs = performance.now() - t0;
    expect(Math.max(...beats)).toBeLessThan(100);
    expect(controlMs).toBeLessThan(100);

    const t1 = performance.now();
    await k.request("control", "interrupt_request", {});
    await k.waitReply(id, 5000);
    expect(performance.now() - t1).toBeLessThan(1000);
    const err = k.iopubLog.find((m) => m.parent_header.msg_id === id && m.header.msg_type === "error")!;
    expect(err.content.ename).toBe("KeyboardInterrupt");
    const { outputs } = await k.execute("kept + 1");
    expect(text(outputs.find((m) => m.header.msg_type === "execute_result")!)).toBe("42");
  });

  it("interrupts an awaiting loop within 1 s and the loop really stops", async () => {
    const id = k.startExecute("let ticks = 0;\nfor (;;) { ticks++; await new Promise((r) => setTimeout(r, 5)); }");
    await sleep(300);
    const t1 = performance.now();
    await k.request("control", "interrupt_request", {});
    await k.waitReply(id, 5000);
    expect(performance.now() - t1).toBeLessThan(1000);
    const first = text((await k.execute("ticks")).outputs.find((m) => m.header.msg_type === "execute_result")!);
    await sleep(200);
    const second = text((await k.execute("ticks")).outputs.find((m) => m.header.msg_type === "execute_result")!);
    expect(Number(first)).toBeGreaterThan(0);
    expect(second).toBe(first);
  });

  it("SIGINT to the kernel process interrupts the running cell", async () => {
    const id = k.startExecute("while (true) {}");
    await sleep(300);
    k.proc.kill("SIGINT");
    await k.waitReply(id, 5000);
    const err = k.iopubLog.find((m) => m.parent_header.msg_id === id && m.header.msg_type === "error")!;
    expect(err.content.ename).toBe("KeyboardInterrupt");
  });

  it("survives a cell that kills its runtime and starts a fresh one", async () => {
    const { reply } = await k.execute("process.exit(3)");
    expect(reply.content.status).toBe("error");
    expect(reply.content.ename).toBe("RuntimeDied");
    const { outputs } = await k.execute("typeof kept");
    expect(text(outputs.find((m) => m.header.msg_type === "execute_result")!)).toBe("'undefined'");
  });
});

describe("bad input", () => {
  it("drops a message with a forged signature and keeps serving", async () => {
    const forger = createSigner("not-the-key");
    const { frames, msgId } = k.frames("kernel_info_request", {}, forger);
    await expect(k.send("shell", frames, msgId, 500)).rejects.toThrow(/no reply/);
    expect(k.stderr.join("")).toMatch(/invalid signature/);
    const ok = await k.request("shell", "kernel_info_request", {});
    expect(ok.content.status).toBe("ok");
  });

  it("answers a signed but malformed message with an error reply", async () => {
    const header = newHeader("execute_request", k.session, "test");
    const parts = [JSON.stringify(header), "{}", "{}", "{not json"].map((s) => Buffer.from(s));
    const frames = [Buffer.from(DELIMITER), Buffer.from(k.signer.sign(parts)), ...parts];
    const reply = await k.send("shell", frames, header.msg_id, 5000);
    expect(reply.header.msg_type).toBe("execute_reply");
    expect(reply.content).toMatchObject({ status: "error", ename: "MalformedMessage" });
  });

  it("answers an execute_request without code with a BadRequest error", async () => {
    const reply = await k.request("shell", "execute_request", { silent: false });
    expect(reply.content).toMatchObject({ status: "error", ename: "BadRequest" });
    expect(String(reply.content.evalue)).toContain("content.code");
  });

  it("answers an unknown request type with an error and closes unknown comms", async () => {
    const r = await k.request("shell", "frobnicate_request", {});
    expect(r.header.msg_type).toBe("frobnicate_reply");
    expect(r.content.status).toBe("error");
    const { frames, msgId } = k.frames("comm_open", { comm_id: "c1", target_name: "nobody", data: {} });
    await k.sendFrames("shell", frames);
    const closed = await k.waitIopub(
      (m) => m.header.msg_type === "comm_close" && m.parent_header.msg_id === msgId,
      5000,
    );
    expect(closed.content.comm_id).toBe("c1");
    const info = await k.request("shell", "comm_info_request", {});
    expect(info.content).toEqual({ status: "ok", comms: {} });
  });
});

describe("strict type checking and a small runtime heap", () => {
  let strict: KernelDriver;
  beforeAll(async () => {
    strict = (
      await KernelDriver.start(KERNEL, {
        PEFT_NB_HISTORY_FILE: `${historyFile}.strict`,
        PEFT_NB_TYPECHECK: "strict",
        PEFT_NB_RUNTIME_ARGS: "--max-old-space-size=64",
      })
    ).driver;
  });
  afterAll(async () => {
    await strict?.close();
  });

  it("does not run a cell with a type error in strict mode", async () => {
    const { reply, outputs } = await strict.execute('let ran = 0;\nran = 1;\nconst bad: number = "text";');
    expect(reply.content).toMatchObject({ status: "error", ename: "TypeError" });
    expect(String(reply.content.evalue)).toContain("line 3, column 7");
    expect(outputs.filter((m) => m.header.msg_type === "error")).toHaveLength(1);
    // The cell never ran, so neither the runtime nor the checker knows `ran`.
    const check = await strict.execute("ran");
    expect(check.reply.content).toMatchObject({ status: "error", ename: "TypeError" });
    expect(String(check.reply.content.evalue)).toContain("Cannot find name 'ran'");
  });

  it("ends a cell that runs out of memory with an error and recovers", async () => {
    const { reply } = await strict.execute(
      "const hog: number[][] = [];\nfor (;;) hog.push(new Array(1e5).fill(1.5));",
      {},
      60_000,
    );
    expect(reply.content).toMatchObject({ status: "error", ename: "RuntimeDied" });
    const after = await strict.execute("6 * 7");
    expect(text(after.outputs.find((m) => m.header.msg_type === "execute_result")!)).toBe("42");
  });
});

describe("history and shutdown", () => {
  it("persists history across kernel restarts", async () => {
    const marker = `"history-marker-${Date.now()}"`;
    await k.execute(marker);
    const shut = await k.request("control", "shutdown_request", { restart: true });
    expect(shut.content).toEqual({ status: "ok", restart: true });
    await new Promise<void>((r) => (k.proc.exitCode !== null ? r() : k.proc.once("exit", () => r())));
    await k.close();
    k = (await KernelDriver.start(KERNEL, ENV)).driver;
    const r = await k.request("shell", "history_request", {
      hist_access_type: "search",
      pattern: "*history-marker-*",
      output: false,
      raw: true,
    });
    const hits = r.content.history as [number, number, string][];
    expect(hits.map((h) => h[2])).toContain(marker);
    const tail = await k.request("shell", "history_request", {
      hist_access_type: "tail",
      n: 1,
      output: true,
      raw: true,
    });
    const [[session, , [input, output]]] = tail.content.history as [number, number, [string, string]][];
    expect(input).toBe(marker);
    expect(output).toBe(`'${marker.slice(1, -1)}'`);
    const { reply } = await k.execute("1");
    const now = await k.request("shell", "history_request", {
      hist_access_type: "range",
      session: 0,
      start: 1,
      stop: 2,
      raw: true,
      output: false,
    });
    expect((now.content.history as [number][])[0]![0]).toBeGreaterThan(session);
    expect(reply.content.execution_count).toBe(1);
  });
});
