// Which isolation runs, measured, and the refusal rule: without bubblewrap nothing runs unless the
// caller accepts the weak fallback, and every result names the isolation it actually had.
import { chmodSync, mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterEach, beforeAll, afterAll, describe, expect, test } from "vitest";
import { loadHumanEval } from "../../lib/data/humaneval.js";
import { checkCompletion, evaluateHumanEval } from "../../lib/eval/humaneval.js";
import type { TextGenerator } from "../../lib/eval/interfaces.js";
import { detectIsolation, runPythonSandboxed, SandboxUnavailableError } from "../../lib/eval/sandbox.js";
import { resolveLimits } from "../../lib/eval/sandbox/options.js";

const task = loadHumanEval()[0];
const saved = { bwrap: process.env.PEFT_BWRAP, weak: process.env.PEFT_SANDBOX_ALLOW_WEAK, home: process.env.HOME };
afterEach(() => {
  for (const [key, value] of [
    ["PEFT_BWRAP", saved.bwrap],
    ["PEFT_SANDBOX_ALLOW_WEAK", saved.weak],
    ["HOME", saved.home],
  ] as const) {
    if (value === undefined) delete process.env[key];
    else process.env[key] = value;
  }
});

test("on this machine bubblewrap runs, and the probe measured every property", () => {
  expect(detectIsolation()).toEqual({
    method: "bubblewrap",
    network: true,
    filesystem: true,
    processTree: true,
    ipc: true,
    processLimit: true,
    version: expect.stringMatching(/^\d+\.\d+/),
  });
});

test("a home directory that is /tmp, or under it, is checked as hidden without refusing the sandbox", async () => {
  const home = mkdtempSync(join(tmpdir(), "peft-home-"));
  try {
    for (const h of ["/tmp", home]) {
      process.env.HOME = h;
      expect(detectIsolation(), h).toMatchObject({ method: "bubblewrap", filesystem: true });
    }
    const r = await runPythonSandboxed(`import os\nprint(os.path.exists(${JSON.stringify(home)}))`);
    expect(r.stdout.trim()).toBe("False");
  } finally {
    rmSync(home, { recursive: true, force: true });
  }
});

describe("without bubblewrap", () => {
  const missing = "/nonexistent/bwrap";

  test("evaluation refuses before generating anything, naming the cause and the opt-in", async () => {
    process.env.PEFT_BWRAP = missing;
    let generated = 0;
    const gen: TextGenerator = {
      async generate(prompts) {
        generated += prompts.length;
        return prompts.map(() => task.canonicalSolution);
      },
    };
    const refusal = evaluateHumanEval(gen, { tasks: [task] });
    await expect(refusal).rejects.toBeInstanceOf(SandboxUnavailableError);
    await expect(refusal).rejects.toThrow(/PEFT_BWRAP=\/nonexistent\/bwrap is not an executable.*allowWeakIsolation/s);
    expect(generated).toBe(0);
    await expect(checkCompletion(task, task.canonicalSolution)).rejects.toThrow(SandboxUnavailableError);
    await expect(runPythonSandboxed("print(1)")).rejects.toThrow(/PEFT_SANDBOX_ALLOW_WEAK=1/);
  });

  test("an explicit opt-in runs the weak fallback, and every result says so and why", async () => {
    process.env.PEFT_BWRAP = missing;
    const weak = { method: "python guard only", network: false, filesystem: false, processTree: false };
    const c = await checkCompletion(task, task.canonicalSolution, { allowWeakIsolation: true });
    expect(c).toMatchObject({ passed: true, isolation: { ...weak, reason: expect.stringContaining(missing) } });
    const wrong = await checkCompletion(task, "    return False\n\nexit(0)\n", { allowWeakIsolation: true });
    expect(wrong).toMatchObject({ passed: false, status: "failed", reason: "SystemExit: 0" });
    const gen: TextGenerator = { generate: async (prompts) => prompts.map(() => task.canonicalSolution) };
    const e = await evaluateHumanEval(gen, { tasks: [task], sandbox: { allowWeakIsolation: true } });
    expect(e.passAtK[1]).toBe(1);
    expect(e.isolation).toMatchObject(weak);
    process.env.PEFT_SANDBOX_ALLOW_WEAK = "1";
    const r = await runPythonSandboxed("import os\nprint(sorted(os.environ))");
    expect(r.isolation).toMatchObject(weak);
    expect(r.stdout).not.toMatch(/PEFT_|NODE|npm_/); // the environment is scrubbed in the fallback too
  });

  test('isolation: "bubblewrap" is a requirement that no opt-in overrides', async () => {
    process.env.PEFT_BWRAP = missing;
    process.env.PEFT_SANDBOX_ALLOW_WEAK = "1";
    await expect(runPythonSandboxed("print(1)", { isolation: "bubblewrap", allowWeakIsolation: true })).rejects.toThrow(
      SandboxUnavailableError,
    );
  });
});

describe("a bubblewrap that does not isolate is refused", () => {
  let dir: string;
  beforeAll(() => {
    dir = mkdtempSync(join(tmpdir(), "peft-fake-bwrap-"));
    chmodSync(dir, 0o755); // the probe may run as "nobody"
  });
  afterAll(() => rmSync(dir, { recursive: true, force: true }));
  const fake = (name: string, body: string): string => {
    const path = join(dir, name);
    writeFileSync(
      path,
      `#!/bin/sh\ncase "$1" in --version) echo "bubblewrap 0.0.1"; exit 0;; --help) echo "--size"; exit 0;; esac\n${body}`,
    );
    chmodSync(path, 0o755);
    return path;
  };

  test("one that cannot create namespaces: its own message is the reason", async () => {
    process.env.PEFT_BWRAP = fake(
      "no-userns",
      'echo "bwrap: No permissions to create a new namespace, likely because the kernel does not allow non-privileged user namespaces." >&2\nexit 1\n',
    );
    expect(detectIsolation()).toMatchObject({
      method: "python guard only",
      reason: expect.stringMatching(/failed to start a sandbox: bwrap: No permissions to create a new namespace/),
    });
    await expect(runPythonSandboxed("print(1)")).rejects.toThrow(/No permissions to create a new namespace/);
  });

  test("one that runs the command without isolating it: the probe notices", async () => {
    // skips its options and runs the command on the host, as a broken or spoofed bwrap might
    process.env.PEFT_BWRAP = fake("passthrough", 'while [ "$1" != "--" ]; do shift; done\nshift\nexec "$@"\n');
    const iso = detectIsolation();
    expect(iso.method).toBe("python guard only");
    expect(iso.reason).toMatch(/runs, but the sandbox lacks network, filesystem, processTree, ipc isolation/);
  });
});

test("limits are validated, and a bad one is named with what was found", async () => {
  expect(resolveLimits({ timeoutMs: 2500.7 }).timeoutMs).toBe(2500);
  expect(() => resolveLimits({ timeoutMs: -1 })).toThrow("sandbox: timeoutMs must be a number >= 1, found -1");
  expect(() => resolveLimits({ processes: 2 })).toThrow("sandbox: processes must be a number >= 4, found 2");
  await expect(runPythonSandboxed("pass", { memoryBytes: Number.NaN })).rejects.toThrow(
    "sandbox: memoryBytes must be a number >= 67108864, found null",
  );
});
