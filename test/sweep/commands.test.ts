// `peft-nb worker` and `peft-nb queue` refuse bad usage with exit 2 and say what was wrong; an
// unreachable Redis is reported at once, not retried for ever.
import { afterEach, describe, expect, it, vi } from "vitest";
import { queueCommand } from "../../lib/cli/queue-command.js";
import { workerCommand } from "../../lib/cli/worker-command.js";
import { freePort } from "../../lib/sweep/local-redis.js";

function captured() {
  const err = vi.spyOn(console, "error").mockImplementation(() => undefined);
  const out = vi.spyOn(console, "log").mockImplementation(() => undefined);
  return {
    err: () => err.mock.calls.map((c) => c.join(" ")).join("\n"),
    out: () => out.mock.calls.map((c) => c.join(" ")).join("\n"),
  };
}

describe("sweep commands", () => {
  const saved = process.env.PEFT_QUEUE_URL;
  afterEach(() => {
    vi.restoreAllMocks();
    if (saved === undefined) delete process.env.PEFT_QUEUE_URL;
    else process.env.PEFT_QUEUE_URL = saved;
  });

  it("worker: no queue, or a bad number, is a usage error naming the flag", async () => {
    delete process.env.PEFT_QUEUE_URL;
    let io = captured();
    expect(await workerCommand([])).toBe(2);
    expect(io.err()).toMatch(/no queue: pass --queue redis:\/\/host:port or set PEFT_QUEUE_URL/);
    vi.restoreAllMocks();
    io = captured();
    expect(await workerCommand(["--queue", "redis://127.0.0.1:1", "--concurrency", "0"])).toBe(2);
    expect(io.err()).toMatch(/--concurrency: expected a positive integer, found '0'/);
    vi.restoreAllMocks();
    io = captured();
    expect(await workerCommand(["--queue", "redis://127.0.0.1:1", "--lock-seconds", "soon"])).toBe(2);
    expect(io.err()).toMatch(/--lock-seconds: expected a positive number of seconds, found 'soon'/);
    vi.restoreAllMocks();
    io = captured();
    expect(await workerCommand(["--queue", "http://127.0.0.1:1"])).toBe(2);
    expect(io.err()).toMatch(/scheme http/);
  });

  it("queue: an unknown action is a usage error; an unreachable Redis fails at once", async () => {
    let io = captured();
    expect(await queueCommand(["frobnicate"])).toBe(2);
    expect(io.err()).toMatch(/expected 'status' or 'retry', found "frobnicate"/);
    vi.restoreAllMocks();
    io = captured();
    const port = await freePort(); // nothing listens there
    expect(await queueCommand(["status", "--queue", `redis://:hunter2@127.0.0.1:${port}`])).toBe(1);
    expect(io.err()).toMatch(
      new RegExp(`cannot use the queue at redis://:\\*\\*\\*@127\\.0\\.0\\.1:${port}: .*ECONNREFUSED`),
    );
    expect(io.err()).not.toContain("hunter2");
  });
});
