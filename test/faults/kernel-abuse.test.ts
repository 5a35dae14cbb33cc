// The real kernel (dist/, started as Jupyter starts it) under abuse over ZMQ: floods of 1,000
// requests, 10 MB outputs, a client that vanishes mid-cell, malformed frames, replayed signed
// messages. After each it must be alive and answering on every channel. Memory: the kernel and
// its runtime child run with a 64 MB heap cap and 100 MB of output goes through them, so anything
// that kept outputs would kill them; RSS before and after is printed, and must stop growing.
import { randomUUID } from "node:crypto";
import { readFileSync } from "node:fs";
import { join } from "node:path";
import * as zmq from "zeromq";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { DELIMITER, encodeMessage, newHeader } from "../../kernel/wire/message.js";
import { ensureBuilt, ROOT } from "../helpers/ensure-built.js";
import { KernelDriver } from "../kernel/helpers/kernel-driver.js";
import { printFigures, type Row } from "./helpers/figures.js";

const HEAP_MB = 64;
const KERNEL = [
  process.execPath,
  `--max-old-space-size=${HEAP_MB}`,
  join(ROOT, "bin", "peft-nb.js"),
  "kernel",
  "--connection-file",
  "{connection_file}",
];
const MB = 2 ** 20;
let k: KernelDriver;
const figures: Row[] = [];

beforeAll(async () => {
  await ensureBuilt();
  k = (await KernelDriver.start(KERNEL, { PEFT_NB_RUNTIME_ARGS: `--max-old-space-size=${HEAP_MB}` })).driver;
}, 120_000);

afterAll(async () => {
  await k?.close();
  printFigures("Kernel under abuse (RSS = kernel + runtime child)", figures);
});

/** Resident memory of a process and all its descendants, in MB (Linux /proc). */
function treeRss(pid: number): number {
  let kb = 0;
  const walk = (p: number) => {
    try {
      kb += Number(/VmRSS:\s+(\d+)/.exec(readFileSync(`/proc/${p}/status`, "utf8"))?.[1] ?? 0);
      for (const tid of readFileSync(`/proc/${p}/task/${p}/children`, "utf8").split(/\s+/).filter(Boolean))
        walk(Number(tid));
    } catch {
      // exited meanwhile
    }
  };
  walk(pid);
  return kb / 1024;
}

const resultText = (outputs: { header: { msg_type: string }; content: Record<string, unknown> }[]) =>
  (outputs.find((m) => m.header.msg_type === "execute_result")?.content.data as Record<string, string> | undefined)?.[
    "text/plain"
  ];

/** Alive and answering: shell, control, heartbeat and a cell, each within a few seconds. */
async function expectAnswering(): Promise<void> {
  expect(k.proc.exitCode).toBeNull();
  expect((await k.request("shell", "kernel_info_request", {}, 10_000)).content.status).toBe("ok");
  expect((await k.request("control", "kernel_info_request", {}, 10_000)).content.status).toBe("ok");
  expect(await k.heartbeat()).toBeLessThan(5000);
  const { outputs } = await k.execute("6 * 7", {}, 10_000);
  expect(resultText(outputs)).toBe("42");
}

const pid = () => k.proc.pid as number;

describe("a flood of requests", () => {
  it("answers 1,000 requests sent at once, in order, five times, in the same processes under 64 MB heaps", async () => {
    await k.execute("let flood = 0;");
    for (let i = 0; i < 50; i++) await k.execute("flood += 0;"); // warm the code paths
    const flood = async () => {
      const t0 = performance.now();
      const sent = Array.from({ length: 1000 }, () => {
        const { frames, msgId } = k.frames("execute_request", {
          code: "++flood",
          silent: false,
          store_history: true,
          user_expressions: {},
          allow_stdin: false,
          stop_on_error: true,
        });
        return k.send("shell", frames, msgId, 120_000);
      });
      const replies = await Promise.all(sent);
      return { replies, seconds: (performance.now() - t0) / 1000 };
    };
    // Memory is bounded by the heap caps, not judged from RSS (it swings by tens of MB with the
    // collector's timing): 5,000 cells through 64 MB heaps, with the runtime never replaced (its
    // state counts every cell), leave under 13 KB per request for anything kept.
    const runtimes = () => readFileSync(`/proc/${pid()}/task/${pid()}/children`, "utf8").trim();
    const runtimeBefore = runtimes();
    const start = treeRss(pid());
    const floods = [];
    const rss = [];
    for (let i = 0; i < 5; i++) {
      floods.push(await flood());
      rss.push(treeRss(pid()));
    }
    expect(runtimes()).toBe(runtimeBefore);
    for (const { replies } of floods) {
      expect(replies.every((r) => r.content.status === "ok")).toBe(true);
      const counts = replies.map((r) => r.content.execution_count as number);
      expect(counts.every((c, i) => i === 0 || c === (counts[i - 1] as number) + 1)).toBe(true);
    }
    const { outputs } = await k.execute("flood");
    expect(resultText(outputs)).toBe("5000");
    await expectAnswering();
    // The type checker (a worker thread with a heap limit of its own) stayed up through the
    // floods: under the kernel's 64 MB cap it once ran out of memory and restarted for every burst.
    expect(k.stderr.join("")).not.toMatch(/type check(er)? (failed|stopped)/);
    for (const [i, f] of floods.entries())
      figures.push({
        fault: `1,000 execute_requests at once (${i === 0 ? "warm-up" : `flood ${i + 1}`})`,
        outcome: "all answered, in order",
        seconds: f.seconds,
        "RSS MB": `${(i === 0 ? start : (rss[i - 1] as number)).toFixed(0)} -> ${(rss[i] as number).toFixed(0)}`,
      });
    // And no native memory piles up either: RSS after the last flood stays within heap noise of the warm-up's.
    expect((rss[4] as number) - (rss[0] as number)).toBeLessThan(128);
  });
});

describe("large output and vanishing clients", () => {
  it("streams ten 10 MB outputs whole through 64 MB heaps and keeps answering", async () => {
    const rss = [treeRss(pid())];
    const t0 = performance.now();
    for (let i = 0; i < 10; i++) {
      const { reply, outputs } = await k.execute(
        'process.stdout.write("x".repeat(10 * 2 ** 20)); "written"',
        {},
        60_000,
      );
      expect(reply.content.status, `output ${i + 1}`).toBe("ok");
      const text = outputs
        .filter((m) => m.header.msg_type === "stream")
        .map((m) => String(m.content.text))
        .join("");
      expect(text.length, `output ${i + 1}`).toBe(10 * MB);
      expect(resultText(outputs)).toBe("'written'");
      k.iopubLog.length = 0; // the test's own copy, not the kernel's
      rss.push(treeRss(pid()));
    }
    await expectAnswering();
    figures.push({
      fault: `ten 10 MB stream outputs, ${HEAP_MB} MB heap caps`,
      outcome: "each received whole; kernel and runtime alive",
      seconds: (performance.now() - t0) / 1000,
      "RSS MB": rss.map((r) => r.toFixed(0)).join(" "),
    });
  });

  it("finishes the cell of a client that disconnected mid-cell and serves the others", async () => {
    const ghost = new zmq.Dealer();
    ghost.routingId = randomUUID();
    ghost.linger = 0;
    ghost.connect(`tcp://${k.conn.ip}:${k.conn.shell_port}`);
    const header = newHeader("execute_request", randomUUID(), "ghost");
    const content = {
      code: 'await new Promise((r) => setTimeout(r, 1000)); console.log("ghost done"); 1',
      silent: false,
    };
    await ghost.send(encodeMessage({ identities: [], header, parent_header: {}, metadata: {}, content }, k.signer));
    await new Promise((r) => setTimeout(r, 200)); // the cell is running
    ghost.close();
    const { outputs } = await k.execute("21 * 2", {}, 30_000);
    expect(resultText(outputs)).toBe("42");
    const done = await k.waitIopub((m) => m.parent_header.msg_id === header.msg_id && m.header.msg_type === "stream");
    expect(String(done.content.text)).toContain("ghost done");
    await expectAnswering();
    figures.push({ fault: "client gone mid-cell", outcome: "its cell finished (output on iopub); next client served" });
  });
});

describe("malformed and replayed messages", () => {
  it("drops or answers every malformed message and stays up", async () => {
    const signed = (parts: string[]) => {
      const bufs = parts.map((p) => Buffer.from(p));
      return [Buffer.from(DELIMITER), Buffer.from(k.signer.sign(bufs)), ...bufs];
    };
    const header = (t: string) => JSON.stringify(newHeader(t, k.session, "abuse"));
    const cases: Array<[string, Buffer[]]> = [
      ["no <IDS|MSG> delimiter", [Buffer.from("garbage")]],
      ["delimiter and nothing after it", [Buffer.from(DELIMITER)]],
      ["one empty frame", [Buffer.alloc(0)]],
      ["1 MB of random bytes", [Buffer.from(Array.from({ length: MB }, (_, i) => (i * 7919) % 256))]],
      [
        "forged signature",
        [Buffer.from(DELIMITER), Buffer.from("0".repeat(64)), ...["{}", "{}", "{}", "{}"].map((s) => Buffer.from(s))],
      ],
      ["signed, header without msg_type", signed(['{"msg_id": "x"}', "{}", "{}", "{}"])],
      ["signed, content not JSON", signed([header("execute_request"), "{}", "{}", "{not json"])],
      ["signed, content a JSON array", signed([header("kernel_info_request"), "{}", "{}", "[1, 2]"])],
      [
        "signed, invalid UTF-8",
        [
          Buffer.from(DELIMITER),
          Buffer.from(
            k.signer.sign([Buffer.from([0xff, 0xfe]), Buffer.from("{}"), Buffer.from("{}"), Buffer.from("{}")]),
          ),
          Buffer.from([0xff, 0xfe]),
          Buffer.from("{}"),
          Buffer.from("{}"),
          Buffer.from("{}"),
        ],
      ],
    ];
    for (const [what, frames] of cases) {
      const logged = k.stderr.join("").length;
      await k.sendFrames("shell", frames);
      await expectAnswering();
      const log = k.stderr.join("").slice(logged);
      figures.push({
        fault: `malformed: ${what}`,
        outcome:
          log
            .trim()
            .split("\n")[0]
            ?.replace(/^.*?shell: /, "") ?? "",
      });
      expect(log, what).toMatch(/dropped|malformed/);
    }
  });

  it("drops a replayed signed message and logs it, however often it is resent", async () => {
    await k.execute("let replayed = 0;");
    const { frames, msgId } = k.frames("execute_request", { code: "++replayed", silent: false });
    const first = await k.send("shell", frames, msgId, 10_000);
    expect(first.content.status).toBe("ok");
    const logged = k.stderr.join("").length;
    for (let i = 0; i < 3; i++) await expect(k.send("shell", frames, msgId, 500)).rejects.toThrow(/no reply/);
    const { outputs } = await k.execute("replayed");
    expect(resultText(outputs)).toBe("1");
    const log = k.stderr.join("").slice(logged);
    expect(log.match(/dropped a replayed message/g)).toHaveLength(3);
    await expectAnswering();
    figures.push({
      fault: "a signed execute_request replayed 3 times",
      outcome: "ran once; 3 replays dropped and logged",
    });
  });
});
