import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { KernelClient, KernelError } from "../../kernel/client/kernel-client.js";
import { tslabKernelArgv, fillKernelArgv, splitCommandLine } from "../../kernel/client/kernel-argv.js";
import { freeLoopbackPorts } from "../../kernel/client/connection-file.js";
import type { JupyterMessage } from "../../kernel/wire/message.js";

describe("kernel argv", () => {
  it("fills the connection file placeholder and refuses a command without one", () => {
    expect(fillKernelArgv(["k", "--f={connection_file}"], "/tmp/c.json")).toEqual(["k", "--f=/tmp/c.json"]);
    expect(() => fillKernelArgv(["k", "run"], "/tmp/c.json")).toThrow(/placeholder/);
  });
  it("splits a command line with quotes", () => {
    expect(splitCommandLine(`node "/a b/k.js" kernel '{connection_file}'`)).toEqual([
      "node",
      "/a b/k.js",
      "kernel",
      "{connection_file}",
    ]);
    expect(() => splitCommandLine(`node "oops`)).toThrow(/unterminated/);
  });
  it("hands out distinct free ports", async () => {
    const ports = await freeLoopbackPorts(5);
    expect(new Set(ports).size).toBe(5);
    for (const p of ports) expect(p).toBeGreaterThan(0);
  });
});

describe("KernelClient against tslab's kernel", () => {
  let client: KernelClient;
  beforeAll(async () => {
    client = await KernelClient.start({ argv: tslabKernelArgv() });
  });
  afterAll(async () => {
    await client?.shutdown();
  });

  it("gets kernel_info and a heartbeat", async () => {
    const reply = await client.request("kernel_info_request", {}, { timeoutMs: 10_000 });
    expect(reply.header.msg_type).toBe("kernel_info_reply");
    expect(String((reply.content.language_info as { name: string }).name)).toMatch(/typescript/i);
    expect(await client.heartbeat(2000)).toBe(true);
  });

  it("executes code and streams its output on iopub", async () => {
    const seen: JupyterMessage[] = [];
    const off = client.onIopub((m) => seen.push(m));
    const msg = client.message("execute_request", {
      code: 'console.log("hi " + (6 * 7)); 1 + 2',
      silent: false,
      store_history: true,
      user_expressions: {},
      allow_stdin: false,
      stop_on_error: true,
    });
    const reply = client.awaitReply(msg.header.msg_id, "execute_request", 30_000);
    await client.send(msg, "shell");
    const r = await reply;
    for (
      let i = 0;
      i < 40 &&
      !seen.some(
        (m) =>
          m.parent_header.msg_id === msg.header.msg_id &&
          m.header.msg_type === "status" &&
          m.content.execution_state === "idle",
      );
      i++
    ) {
      await new Promise((res) => setTimeout(res, 50));
    }
    off();
    expect(r.content.status).toBe("ok");
    const mine = seen.filter((m) => m.parent_header.msg_id === msg.header.msg_id);
    const stream = mine.find((m) => m.header.msg_type === "stream");
    expect(stream?.content.text).toBe("hi 42\n");
    expect(mine.at(-1)?.header.msg_type).toBe("status");
  });
});

describe("KernelClient start failures", () => {
  it("reports a kernel that exits before answering, with its stderr", async () => {
    const argv = [
      process.execPath,
      "-e",
      'console.error("cannot load model weights"); process.exit(4)',
      "{connection_file}",
    ];
    await expect(KernelClient.start({ argv, startTimeoutMs: 20_000 })).rejects.toThrow(
      /exited \(code 4\) before it answered kernel_info; its stderr ends:\ncannot load model weights/,
    );
  });

  it("gives up on a kernel that never answers, naming the timeout", async () => {
    const argv = [process.execPath, "-e", "setTimeout(() => {}, 60_000)", "{connection_file}"];
    const failure = KernelClient.start({ argv, startTimeoutMs: 1500 });
    await expect(failure).rejects.toThrow(KernelError);
    await expect(failure).rejects.toThrow(/did not answer kernel_info within 1500 ms/);
  });
});
