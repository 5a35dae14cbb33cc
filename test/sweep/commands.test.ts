// `peft-nb worker` and `peft-nb queue` refuse bad usage with exit 2 and say what was wrong; an
// unreachable Redis is reported at once, not retried for ever.
import { afterEach, describe, expect, it } from "vitest";
import { runCli } from "../../cli/main.js";
import { freePort } from "../../lib/sweep/local-redis.js";

/** A CliIO that records what a command prints. */
function captured() {
  const out: string[] = [];
  const err: string[] = [];
  return {
    io: { out: (t: string) => out.push(t), err: (t: string) => err.push(t) },
    out: () => out.join("\n"),
    err: () => err.join("\n"),
  };
}
const workerCommand = (argv: string[], io: ReturnType<typeof captured>) => runCli(["worker", ...argv], io.io);
const queueCommand = (argv: string[], io: ReturnType<typeof captured>) => runCli(["queue", ...argv], io.io);

describe("sweep commands", () => {
  const saved = process.env.PEFT_QUEUE_URL;
  afterEach(() => {
    if (saved === undefined) delete process.env.PEFT_QUEUE_URL;
    else process.env.PEFT_QUEUE_URL = saved;
  });

  it("worker: no queue, or a bad number, is a usage error naming the flag", async () => {
    delete process.env.PEFT_QUEUE_URL;
    let io = captured();
    expect(await workerCommand([], io)).toBe(2);
    expect(io.err()).toMatch(/no queue: pass --queue redis:\/\/host:port or set PEFT_QUEUE_URL/);
    io = captured();
    expect(await workerCommand(["--queue", "redis://127.0.0.1:1", "--concurrency", "0"], io)).toBe(2);
    expect(io.err()).toMatch(/--concurrency: expected a positive integer, found '0'/);
    io = captured();
    expect(await workerCommand(["--queue", "redis://127.0.0.1:1", "--lock-seconds", "soon"], io)).toBe(2);
    expect(io.err()).toMatch(/--lock-seconds: expected a positive number of seconds, found 'soon'/);
    io = captured();
    expect(await workerCommand(["--queue", "http://127.0.0.1:1"], io)).toBe(2);
    expect(io.err()).toMatch(/scheme http/);
  });

  it("queue: an unknown action is a usage error; an unreachable Redis fails at once", async () => {
    let io = captured();
    expect(await queueCommand(["frobnicate"], io)).toBe(2);
    expect(io.err()).toMatch(/expected 'status' or 'retry', found "frobnicate"/);
    io = captured();
    const port = await freePort(); // nothing listens there
    expect(await queueCommand(["status", "--queue", `redis://:hunter2@127.0.0.1:${port}`], io)).toBe(1);
    expect(io.err()).toMatch(
      new RegExp(`cannot use the queue at redis://:\\*\\*\\*@127\\.0\\.0\\.1:${port}: .*ECONNREFUSED`),
    );
    expect(io.err()).not.toContain("hunter2");
  });
});
