import { existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { createServer, type Server } from "node:net";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, test } from "vitest";
import { loadHumanEval, type HumanEvalTask } from "../../lib/data/humaneval.js";
import { mapLimit } from "../../lib/eval/concurrency.js";
import { checkCompletion, evaluateHumanEval } from "../../lib/eval/humaneval.js";
import type { TextGenerator } from "../../lib/eval/interfaces.js";
import { detectIsolation, runPythonSandboxed } from "../../lib/eval/sandbox.js";
import { survivorsAfter, uniqueMarker } from "../helpers/host-processes.js";

const tasks = loadHumanEval();
const task = (i: number): HumanEvalTask => tasks[i];

test("every canonical solution in HumanEval.jsonl passes (2 at a time)", async () => {
  const results = await mapLimit(tasks, 2, (t) => checkCompletion(t, t.canonicalSolution, { timeoutMs: 20_000 }));
  const failed = results.map((r, i) => ({ r, id: tasks[i].taskId })).filter((x) => !x.r.passed);
  expect(failed.map((f) => `${f.id}: ${f.r.reason}`)).toEqual([]);
  expect(results).toHaveLength(164);
  expect(new Set(results.map((r) => r.isolation.method))).toEqual(new Set(["bubblewrap"]));
});

test("wrong bodies fail: a wrong answer, a syntax error, a missing return", async () => {
  const t = task(0); // has_close_elements
  const wrong = await checkCompletion(t, "    return False\n");
  expect(wrong).toMatchObject({ passed: false, status: "failed" });
  expect(wrong.reason).toMatch(/AssertionError/);
  const syntax = await checkCompletion(t, "    return (\n");
  expect(syntax.passed).toBe(false);
  expect(syntax.reason).toMatch(/SyntaxError/);
  expect((await checkCompletion(t, "    pass\n")).passed).toBe(false);
});

test("an infinite loop times out, and every process it started dies with the sandbox", async () => {
  const t0 = Date.now();
  const r = await checkCompletion(task(0), "    while True:\n        pass\n", { timeoutMs: 1500 });
  expect(r).toMatchObject({ passed: false, status: "timeout" });
  expect(Date.now() - t0).toBeLessThan(10_000);
  // a child forked with the low-level posix module (which the guard leaves alone) that starts its own
  // session and execs a command carrying a marker the host can see
  const marker = uniqueMarker();
  const r2 = await runPythonSandboxed(
    `import os, posix\nif posix.fork() == 0:\n    os.setsid()\n    posix.execv("/usr/bin/python3", ["python3", "-c", "import time; time.sleep(60)", ${JSON.stringify(marker)}])\nwhile True: pass\n`,
    { timeoutMs: 1000 },
  );
  expect(r2.status).toBe("timeout");
  expect((await survivorsAfter(marker)).pids).toEqual([]);
});

test("the memory limit stops a huge allocation", async () => {
  const r = await runPythonSandboxed("x = bytearray(3 * 1024**3)\nprint(len(x))", { memoryBytes: 512 * 1024 ** 2 });
  expect(r.status).toBe("failed");
  expect(r.stderr).toMatch(/MemoryError/);
});

describe("containment", () => {
  let outside: string;
  let victim: string;
  beforeAll(() => {
    outside = mkdtempSync(join(tmpdir(), "peft-victim-"));
    victim = join(outside, "precious.txt");
    writeFileSync(victim, "keep me");
  });
  afterAll(() => rmSync(outside, { recursive: true, force: true }));

  test("rm -rf style attempts leave the targeted file outside the sandbox in place", async () => {
    const attempts = [
      `import shutil\nshutil.rmtree(${JSON.stringify(outside)})`,
      `import os\nos.system("rm -rf ${outside}")`,
      `import os\nos.remove(${JSON.stringify(victim)})`,
      `import subprocess\nsubprocess.run(["rm", "-rf", ${JSON.stringify(outside)}])`,
    ];
    for (const src of attempts) {
      const r = await runPythonSandboxed(src);
      expect(r.status, src).toBe("failed");
      expect(existsSync(victim), src).toBe(true);
    }
    expect(readFileSync(victim, "utf8")).toBe("keep me");
  });

  test("writes outside the sandbox fail; cwd, HOME and TMPDIR are a private /tmp the host never sees", async () => {
    const iso = detectIsolation();
    expect(iso.method).toBe("bubblewrap");
    const scratch = `peft-scratch-${Date.now()}.txt`;
    const r = await runPythonSandboxed(
      `import os\nprint(os.getcwd())\nprint(os.environ["HOME"])\nprint(os.environ["TMPDIR"])\nopen(${JSON.stringify(scratch)}, "w").write("ok")\n` +
        `print(sorted(os.listdir(".")))\n` +
        `for target in (${JSON.stringify(victim)}, "/usr/peft-probe", "/peft-probe"):\n` +
        `    try:\n        open(target, "w").write("overwritten")\n        print("WROTE", target)\n` +
        `    except OSError as e:\n        print("DENIED", e.errno)\n`,
    );
    expect(r.status, r.stderr).toBe("passed");
    const [cwd, home, tmp, listing, ...denials] = r.stdout.trim().split("\n");
    expect([cwd, home, tmp]).toEqual(["/tmp", "/tmp", "/tmp"]);
    expect(listing).toBe(`['${scratch}']`); // empty apart from what the program wrote: not the host's /tmp
    expect(existsSync(join(tmpdir(), scratch))).toBe(false);
    // the victim's folder is not there at all (ENOENT); the read-only root refuses (EROFS or EACCES)
    expect(denials[0]).toBe("DENIED 2");
    expect(
      denials.slice(1).every((d) => /^DENIED (30|13)$/.test(d)),
      denials.join(", "),
    ).toBe(true);
    expect(readFileSync(victim, "utf8")).toBe("keep me");
  });

  test("network access fails, even to a server listening on this machine's loopback", async () => {
    const server: Server = createServer((s) => s.end("hello\n"));
    await new Promise<void>((res) => server.listen(0, "127.0.0.1", res));
    const port = (server.address() as { port: number }).port;
    try {
      const r = await runPythonSandboxed(
        `import socket\ns = socket.create_connection(("127.0.0.1", ${port}), timeout=3)\nprint("CONNECTED", s.recv(10))`,
      );
      expect(r.status).toBe("failed");
      expect(r.stdout).not.toMatch(/CONNECTED/);
      // the same program outside the sandbox would connect: the server really is reachable
      const { spawnSync } = await import("node:child_process");
      const direct = spawnSync(
        "/usr/bin/python3",
        ["-c", `import socket; s = socket.create_connection(("127.0.0.1", ${port}), timeout=3); print("CONNECTED")`],
        { encoding: "utf8" },
      );
      expect(direct.stdout).toMatch(/CONNECTED/);
    } finally {
      server.close();
    }
  });
});

test("fallback without namespaces: the Python guard still blocks sockets and deletions", async () => {
  const server: Server = createServer((s) => s.end("hello\n"));
  await new Promise<void>((res) => server.listen(0, "127.0.0.1", res));
  const port = (server.address() as { port: number }).port;
  const dir = mkdtempSync(join(tmpdir(), "peft-victim-"));
  const victim = join(dir, "precious.txt");
  writeFileSync(victim, "keep me");
  try {
    const net = await runPythonSandboxed(
      `import socket\nsocket.create_connection(("127.0.0.1", ${port}), timeout=3)\nprint("CONNECTED")`,
      {
        isolation: "python guard only",
      },
    );
    expect(net.isolation).toMatchObject({
      method: "python guard only",
      network: false,
      filesystem: false,
      processTree: false,
      reason: "requested explicitly",
    });
    expect(net.status).toBe("failed");
    expect(net.stderr).toMatch(/sandbox: socket.create_connection is disabled/);
    const rm = await runPythonSandboxed(`import shutil\nshutil.rmtree(${JSON.stringify(dir)})`, {
      isolation: "python guard only",
    });
    expect(rm.stderr).toMatch(/sandbox: shutil.rmtree is disabled/);
    expect(existsSync(victim)).toBe(true);
  } finally {
    server.close();
    rmSync(dir, { recursive: true, force: true });
  }
  await expect(runPythonSandboxed("pass", { isolation: "bogus" as never })).rejects.toThrow(
    /unknown sandbox isolation "bogus"/,
  );
});

test("evaluateHumanEval: pass@k of a generator that answers half the tasks right", async () => {
  const some = tasks.slice(0, 4);
  // sample s: canonical on even samples for tasks 0 and 1, always wrong for tasks 2 and 3
  const gen: TextGenerator = {
    async generate(prompts, opts) {
      expect(opts.stop).toContain("\ndef ");
      return prompts.map((p) => {
        const t = some.find((x) => x.prompt === p)!;
        const good = some.indexOf(t) < 2 && opts.seed % 2 === 0;
        // trailing junk after a stop sequence must be cut off by the evaluator
        return `${good ? t.canonicalSolution : "    return None\n"}\ndef junk(:\n`;
      });
    },
  };
  const r = await evaluateHumanEval(gen, { tasks: some, n: 4, k: [1, 2], seed: 0 });
  expect(r.n).toBe(4);
  expect(r.isolation).toMatchObject({ method: "bubblewrap", network: true, filesystem: true, processTree: true });
  expect(r.tasks.map((t) => t.correct)).toEqual([2, 2, 0, 0]);
  // per task with n=4, c=2: pass@1 = 0.5, pass@2 = 1 - C(2,2)/C(4,2) = 5/6; tasks 2,3: 0
  expect(r.passAtK[1]).toBeCloseTo((0.5 + 0.5) / 4, 12);
  expect(r.passAtK[2]).toBeCloseTo((5 / 6 + 5 / 6) / 4, 12);
  await expect(evaluateHumanEval(gen, { tasks: some, n: 1, k: 2 })).rejects.toThrow(/k must be in 1..n \(n=1\)/);
});
