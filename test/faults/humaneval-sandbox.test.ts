// Hostile HumanEval completions, each run through the real sandbox and checked from the host:
// forged passes (early exits, atexit hooks, fake verdicts, monkeypatching, always-equal objects),
// escapes (surviving children, held pipes, sleeps, fork bombs, memory and disk hogs), and reaches
// outside (network, host sockets, the parent's environment, the home directory, signals to the
// parent). Prints one row per program: what it tried, the verdict, how long the call took, and
// what the host saw afterwards.
import { type ChildProcess, execFile, spawn } from "node:child_process";
import { chmodSync, existsSync, mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { createServer, type Server } from "node:net";
import { homedir, tmpdir } from "node:os";
import { join } from "node:path";
import { pathToFileURL } from "node:url";
import { promisify } from "node:util";
import { afterAll, beforeAll, describe, expect, test } from "vitest";
import { loadHumanEval } from "../../lib/data/humaneval.js";
import { checkInSandbox, detectIsolation, type SandboxCheck, type SandboxLimits } from "../../lib/eval/sandbox.js";
import { ensureBuilt, ROOT } from "../helpers/ensure-built.js";
import { processesWith, survivorsAfter, uniqueMarker } from "../helpers/host-processes.js";

const task = loadHumanEval()[0]; // has_close_elements; its first assertion expects True
const CORRECT = task.canonicalSolution;
const WRONG = "    return False\n";
const SANDBOX_UID = process.getuid?.() === 0 ? 65534 : process.getuid?.();

interface Row {
  program: string;
  tried: string;
  isolation: string;
  verdict: string;
  ms: number;
  host: string;
}
const rows: Row[] = [];

afterAll(() => {
  const cut = (s: string, n: number) => (s.length > n ? `${s.slice(0, n - 1)}…` : s);
  const lines = rows.map(
    (r) =>
      `${cut(r.program, 24).padEnd(24)} ${cut(r.tried, 58).padEnd(58)} ${r.isolation.padEnd(10)} ${cut(r.verdict, 70).padEnd(70)} ${String(r.ms).padStart(6)} ms  ${r.host}`,
  );
  console.log(
    `\nHumanEval sandbox under hostile programs (${detectIsolation().method} ${detectIsolation().version ?? ""})\n` +
      `${"program".padEnd(24)} ${"what it tried".padEnd(58)} ${"isolation".padEnd(10)} ${"verdict".padEnd(70)} ${"call".padStart(9)}  host afterwards\n` +
      `${lines.join("\n")}\n`,
  );
});

/** Runs a completion of HumanEval/0 in the sandbox, records a row, and checks the call's deadline. */
async function hostile(
  program: string,
  tried: string,
  completion: string,
  limits: SandboxLimits = {},
): Promise<{ r: SandboxCheck; row: Row }> {
  const t0 = Date.now();
  const r = await checkInSandbox(task, completion, limits);
  const ms = Date.now() - t0;
  const row: Row = {
    program,
    tried,
    isolation: r.isolation.method === "bubblewrap" ? "bwrap" : "weak",
    verdict: `${r.status}${r.reason ? `: ${r.reason}` : ""}`.replace(/\s+/g, " "),
    ms,
    host: "",
  };
  rows.push(row);
  // whatever the program does, the call settles within its timeout plus one second
  expect(ms).toBeLessThan((limits.timeoutMs ?? 10_000) + 1000);
  return { r, row };
}

/** Asserts, from the host, that no process carrying `marker` is left; notes the wait in the row. */
async function expectNoSurvivor(marker: string, row: Row, note = ""): Promise<void> {
  const s = await survivorsAfter(marker);
  expect(s.pids).toEqual([]);
  row.host = `${note}no survivor (${s.waitedMs} ms)`;
}

/** Python that execs a long sleep carrying `marker` (visible in the host's process list). */
const execSleeper = (marker: string, indent = "") =>
  `${indent}posix.execv("/usr/bin/python3", ["python3", "-c", "import time; time.sleep(600)", ${JSON.stringify(marker)}])\n`;

beforeAll(() => {
  expect(detectIsolation().method, "these programs must run under bubblewrap").toBe("bubblewrap");
});

describe("forged passes: a pass needs the checker's own check() to return", () => {
  test("exit() after a wrong body", async () => {
    const { r } = await hostile("exit()", "wrong body, then exit() at module level", `${WRONG}\nexit()\n`);
    expect(r).toMatchObject({ status: "failed", reason: "SystemExit: None" });
  });

  test("raise SystemExit(0)", async () => {
    const { r } = await hostile(
      "SystemExit(0)",
      "wrong body, then raise SystemExit(0)",
      `${WRONG}\nraise SystemExit(0)\n`,
    );
    expect(r).toMatchObject({ status: "failed", reason: "SystemExit: 0" });
  });

  test("atexit hook calling os._exit(0)", async () => {
    const { r } = await hostile(
      "atexit os._exit(0)",
      "wrong body; atexit.register(lambda: os._exit(0))",
      `${WRONG}\nimport atexit, os\natexit.register(lambda: os._exit(0))\n`,
    );
    expect(r.status).toBe("failed");
    expect(r.reason).toMatch(/^AssertionError at test line \d+: assert candidate/);
  });

  test("sys.exit(0) in a finally inside the function", async () => {
    const { r } = await hostile(
      "sys.exit in finally",
      "try: return False / finally: sys.exit(0), inside the call",
      "    import sys\n    try:\n        return False\n    finally:\n        sys.exit(0)\n",
    );
    expect(r.status).toBe("failed");
    expect(r.reason).toMatch(/^the candidate raised SystemExit during a call at test line/);
  });

  test("posix._exit(0) during the call", async () => {
    const { r } = await hostile(
      "os._exit(0) in call",
      "posix._exit(0) when called",
      "    import posix\n    posix._exit(0)\n",
    );
    expect(r.status).toBe("failed");
    expect(r.reason).toMatch(/ended the session \(exit code 0\)/);
  });

  test("monkeypatching check, AssertionError and builtins", async () => {
    const { r } = await hostile(
      "monkeypatch check",
      "builtins.check/AssertionError replaced; a thread swaps globals()['check']",
      `${WRONG}
import builtins, sys, threading
builtins.check = lambda candidate: None
builtins.AssertionError = type("AssertionError", (Exception,), {})
builtins.print = lambda *a, **k: None


def _swap():
    for _ in range(100000):
        for g in (globals(), vars(sys.modules["__main__"])):
            if "check" in g:
                g["check"] = lambda candidate: None


threading.Thread(target=_swap, daemon=True).start()
`,
    );
    expect(r.status).toBe("failed");
    expect(r.reason).toMatch(/^AssertionError at test line/);
  });

  test("fake verdicts on stdout and on every descriptor, now and at exit", async () => {
    const { r } = await hostile(
      "fake verdict on all fds",
      'writes {"nonce": …, "passed": true} to fds 0-63 and stdout, again via atexit',
      `${WRONG}
import atexit, json, posix


def _forge():
    fake = (json.dumps({"nonce": "0" * 32, "passed": True}) + "\\n").encode()
    for fd in range(64):
        try:
            posix.write(fd, fake)
        except OSError:
            pass
    print("PASSED", flush=True)


_forge()
atexit.register(_forge)
`,
    );
    expect(r.status).toBe("failed");
    expect(r.stdout).toMatch(/"passed": true/); // the forgery was attempted where it could be
  });

  test("an object equal to everything, which passes the reference harness", async () => {
    const { r } = await hostile(
      "always-equal object",
      "returns an object whose __eq__ is always True",
      "    class AlwaysEqual:\n        def __eq__(self, other):\n            return True\n    return AlwaysEqual()\n",
    );
    expect(r.status).toBe("failed");
    expect(r.reason).toMatch(
      /^TypeError: a value of type AlwaysEqual cannot pass between the checker and the candidate/,
    );
  });

  test("hunting the nonce and the checker: /proc/1, ptrace, frames, gc", async () => {
    const { r, row } = await hostile(
      "nonce hunt",
      "reads /proc/1/{environ,mem,fd}, ptrace-attaches PID 1, scans gc and frames",
      `${WRONG}
import ctypes, gc, os, re, sys


def _try(label, fn):
    try:
        fn()
        print(label, "READ", flush=True)
    except Exception as e:
        print(label, "denied", type(e).__name__, flush=True)


_try("environ", lambda: open("/proc/1/environ", "rb").read())
_try("mem", lambda: open("/proc/1/mem", "rb").read(1))
_try("fds", lambda: os.listdir("/proc/1/fd"))
_try("stdin", lambda: open("/proc/1/fd/0", "rb").read())
_try("verdict", lambda: open("/proc/1/fd/3", "wb"))
libc = ctypes.CDLL(None, use_errno=True)
print("ptrace", libc.ptrace(16, 1, None, None), ctypes.get_errno(), flush=True)
hex32 = set()
for o in gc.get_objects():
    if isinstance(o, dict):
        hex32.update(v for v in o.values() if isinstance(v, str) and re.fullmatch("[0-9a-f]{32}", v))
names, f = set(), sys._getframe()
while f:
    names.update(f.f_locals)
    f = f.f_back
print("hex32", len(hex32), "frames", sorted(n for n in names if "nonce" in n.lower() or "verdict" in n.lower()), flush=True)
`,
    );
    expect(r.status).toBe("failed");
    for (const what of ["environ", "mem", "fds", "stdin", "verdict"])
      expect(r.stdout).toMatch(new RegExp(`^${what} denied PermissionError$`, "m"));
    expect(r.stdout).toMatch(/^ptrace -1 1$/m); // EPERM
    expect(r.stdout).toMatch(/^hex32 0 frames \[\]$/m);
    row.host = "PID 1 unreadable; no nonce in reach";
  });

  test("reading the tests: nowhere in the sandbox", async () => {
    const { r, row } = await hostile(
      "peek at the tests",
      "searches /proc/*/{cmdline,environ} and /tmp for the test's text",
      `${WRONG}
import os
needle = "ATADATEM"[::-1].encode()
hits = []
for pid in [p for p in os.listdir("/proc") if p.isdigit()]:
    for name in ("cmdline", "environ"):
        try:
            if needle in open("/proc/%s/%s" % (pid, name), "rb").read():
                hits.append(pid + "/" + name)
        except OSError:
            pass
for root, _, files in os.walk("/tmp"):
    for name in files:
        if needle in open(os.path.join(root, name), "rb").read():
            hits.append(name)
print("HITS", hits, flush=True)
`,
    );
    expect(task.test).toContain("METADATA");
    expect(r.status).toBe("failed");
    expect(r.stdout).toMatch(/^HITS \[\]$/m);
    row.host = "test text only in the checker";
  });
});

describe("escapes: the whole tree dies, and the call returns on time", () => {
  test("a fork + setsid child left behind by a correct solution", async () => {
    const marker = uniqueMarker();
    const { r, row } = await hostile(
      "fork+setsid survivor",
      "correct body; module level forks, setsid()s and execs a 600 s sleep",
      `${CORRECT}\n\nimport os, posix\nif posix.fork() == 0:\n    os.setsid()\n${execSleeper(marker, "    ")}`,
      { timeoutMs: 5000 },
    );
    expect(r.status).toBe("passed"); // containment does not cost a correct answer its pass
    await expectNoSurvivor(marker, row);
  });

  test("a child holding stdout open while the parent fails fast", async () => {
    const marker = uniqueMarker();
    const { r, row } = await hostile(
      "child holds stdout",
      "a child inheriting stdout sleeps 600 s; the function returns False",
      `    import posix\n    if posix.fork() == 0:\n${execSleeper(marker, "        ")}    return False\n`,
      { timeoutMs: 5000 },
    );
    expect(r.status).toBe("failed");
    expect(r.durationMs).toBeLessThan(5000); // settled by the verdict, not by the timeout or stdout's EOF
    await expectNoSurvivor(marker, row);
  });

  test("a child holding stdout while the parent sleeps forever", async () => {
    const marker = uniqueMarker();
    const { r, row } = await hostile(
      "held stdout + sleep",
      "child holds stdout and sleeps; parent sleeps forever (2 s timeout)",
      `    import posix, time\n    if posix.fork() == 0:\n${execSleeper(marker, "        ")}    time.sleep(10**9)\n`,
      { timeoutMs: 2000 },
    );
    expect(r.status).toBe("timeout");
    await expectNoSurvivor(marker, row);
  });

  test("the sandbox dies with the evaluating process (SIGKILL of Node mid-check)", async () => {
    await ensureBuilt();
    const marker = uniqueMarker();
    const sandbox = pathToFileURL(join(ROOT, "dist", "lib", "eval", "sandbox.js")).href;
    const completion = `    import os, posix, time\n    if posix.fork() == 0:\n        os.setsid()\n${execSleeper(marker, "        ")}    time.sleep(10**9)\n`;
    const script = `import { checkInSandbox } from ${JSON.stringify(sandbox)};
await checkInSandbox(${JSON.stringify({ prompt: task.prompt, test: task.test, entryPoint: task.entryPoint })}, ${JSON.stringify(completion)}, { timeoutMs: 60000 });`;
    const evaluator = spawn(process.execPath, ["--input-type=module", "-e", script], { stdio: "ignore" });
    const t0 = Date.now();
    while (processesWith(marker).length === 0 && Date.now() - t0 < 20_000) await new Promise((r) => setTimeout(r, 50));
    expect(processesWith(marker).length, "the sandboxed sleeper started").toBe(1);
    evaluator.kill("SIGKILL");
    const row: Row = {
      program: "evaluator killed",
      tried: "setsid child + sleep forever; the Node process running the check is SIGKILLed",
      isolation: "bwrap",
      verdict: "(no verdict: its caller is gone)",
      ms: Date.now() - t0,
      host: "",
    };
    rows.push(row);
    await expectNoSurvivor(marker, row);
  });

  test("sleep forever", async () => {
    const { r } = await hostile(
      "sleep forever",
      "time.sleep(10**9) in the call (2 s timeout)",
      "    import time\n    time.sleep(10**9)\n",
      {
        timeoutMs: 2000,
      },
    );
    expect(r.status).toBe("timeout");
  });

  test("a fork bomb stops at the process limit and dies at the deadline", async () => {
    const marker = uniqueMarker();
    const bomb = "import posix\\nwhile True:\\n    try:\\n        posix.fork()\\n    except OSError:\\n        pass";
    const pending = hostile(
      "fork bomb",
      "execs `while True: fork()` (limit 16 processes, 3 s timeout)",
      // keeps every descriptor across the exec, so the checker keeps waiting and only the deadline ends it
      `    import os, posix\n    for fd in os.listdir("/proc/self/fd"):\n        try:\n            os.set_inheritable(int(fd), True)\n        except OSError:\n            pass\n    posix.execv("/usr/bin/python3", ["python3", "-c", "${bomb}", ${JSON.stringify(marker)}])\n`,
      { timeoutMs: 3000, processes: 16 },
    );
    let peak = 0;
    let done = false;
    void pending.finally(() => {
      done = true;
    });
    while (!done) {
      peak = Math.max(peak, processesWith(marker).length);
      await new Promise((res) => setTimeout(res, 50));
    }
    const { r, row } = await pending;
    expect(r.status).toBe("timeout");
    expect(peak).toBeGreaterThan(1); // it did fork
    expect(peak).toBeLessThanOrEqual(15); // 16 minus the checker
    await expectNoSurvivor(marker, row, `peak ${peak} processes; `);
  });

  test("memory hogs: one huge allocation, steady growth, filling /tmp", async () => {
    const huge = await hostile(
      "memory: 8 GiB at once",
      "bytearray(8 GiB)",
      "    x = bytearray(8 * 1024**3)\n    return True\n",
    );
    expect(huge.r.status).toBe("failed");
    expect(huge.r.reason).toMatch(/^MemoryError/);
    const growth = await hostile(
      "memory: steady growth",
      "appends 32 MiB blocks until something stops it",
      "    blocks = []\n    while True:\n        blocks.append(bytearray(32 * 1024**2))\n",
    );
    expect(growth.r.status).toBe("failed");
    expect(growth.r.reason).toMatch(/^MemoryError/);
    const disk = await hostile(
      "disk: fill /tmp",
      "writes 1 MiB files into /tmp until an error (8 MiB tmpfs)",
      `    written = 0
    try:
        for i in range(100000):
            with open("/tmp/fill%d" % i, "wb") as f:
                f.write(b"x" * 1024**2)
            written += 1
    except OSError as e:
        print("TMPFS", written, e.errno, flush=True)
    return False
`,
      { tmpBytes: 8 * 1024 ** 2 },
    );
    const [, mib, errno] = /TMPFS (\d+) (\d+)/.exec(disk.r.stdout) ?? [];
    expect(Number(mib)).toBeLessThanOrEqual(8);
    expect(errno).toBe("28"); // ENOSPC
    disk.row.host = `stopped after ${mib} MiB (ENOSPC)`;
  });

  test("flooding stdout with 100 MB", async () => {
    const { r, row } = await hostile(
      "stdout flood",
      "writes 100 MB to stdout, then returns False",
      '    import sys\n    sys.stdout.write("x" * (100 * 1024**2))\n    sys.stdout.flush()\n    return False\n',
    );
    expect(r.status).toBe("failed");
    expect(r.stdout.length).toBeLessThanOrEqual(64 * 1024 + 65_536);
    row.host = `kept ${r.stdout.length} bytes of it`;
  });
});

describe("reaching outside", () => {
  test("the internet: connections and DNS", async () => {
    const { r, row } = await hostile(
      "internet",
      "connects to 1.1.1.1:53, 8.8.8.8:443; resolves example.com",
      `    import socket
    for host, port in (("1.1.1.1", 53), ("8.8.8.8", 443)):
        try:
            socket.create_connection((host, port), timeout=2).close()
            print("CONNECTED", host, flush=True)
        except OSError as e:
            print("BLOCKED", host, e.errno, flush=True)
    try:
        socket.getaddrinfo("example.com", 80)
        print("RESOLVED", flush=True)
    except OSError as e:
        print("NO DNS", flush=True)
    return False
`,
    );
    expect(r.status).toBe("failed");
    expect(r.stdout).toMatch(/^BLOCKED 1\.1\.1\.1 101$/m); // ENETUNREACH
    expect(r.stdout).toMatch(/^BLOCKED 8\.8\.8\.8 101$/m);
    expect(r.stdout).toMatch(/^NO DNS$/m);
    row.host = "no route (ENETUNREACH), no DNS";
  });

  describe("host servers: loopback TCP, a Unix socket under /tmp, an abstract socket", () => {
    let dir: string;
    const servers: Server[] = [];
    let accepted = 0;
    let tcpPort = 0;
    let unixPath = "";
    // libuv binds abstract names padded with NULs to the full 108 bytes of sun_path; clients must match
    const abstract = `\0${uniqueMarker("peft-abstract")}`;
    beforeAll(async () => {
      dir = mkdtempSync(join(tmpdir(), "peft-hostsock-"));
      chmodSync(dir, 0o755); // only the namespace may hide it, not permissions
      unixPath = join(dir, "host.sock");
      const listen = (arg: number | string) =>
        new Promise<Server>((res) => {
          const s = createServer((c) => {
            accepted++;
            c.on("error", () => {}); // the host client hangs up at once
            c.end("hello\n");
          });
          servers.push(s);
          if (typeof arg === "number") s.listen(arg, "127.0.0.1", () => res(s));
          else s.listen(arg, () => res(s));
        });
      tcpPort = ((await listen(0)).address() as { port: number }).port;
      await listen(unixPath);
      chmodSync(unixPath, 0o777);
      await listen(abstract);
    });
    afterAll(() => {
      for (const s of servers) s.close();
      rmSync(dir, { recursive: true, force: true });
    });

    test("none is reachable from the sandbox, all are from the host", async () => {
      const connectAll = `import socket
for label, family, address in (("tcp", socket.AF_INET, ("127.0.0.1", ${tcpPort})), ("unix", socket.AF_UNIX, ${JSON.stringify(unixPath)}), ("abstract", socket.AF_UNIX, ${JSON.stringify(abstract.padEnd(108, "\0"))})):
    s = socket.socket(family, socket.SOCK_STREAM)
    s.settimeout(2)
    try:
        s.connect(address)
        print(label, "CONNECTED", flush=True)
    except OSError as e:
        print(label, "BLOCKED", type(e).__name__, flush=True)
`;
      const { r, row } = await hostile(
        "host sockets",
        "connects to host 127.0.0.1 TCP, a Unix socket in /tmp, an abstract socket",
        `${WRONG}\n${connectAll}`,
      );
      expect(r.status).toBe("failed");
      expect(r.stdout).toMatch(/^tcp BLOCKED/m);
      expect(r.stdout).toMatch(/^unix BLOCKED FileNotFoundError$/m);
      expect(r.stdout).toMatch(/^abstract BLOCKED ConnectionRefusedError$/m);
      expect(accepted).toBe(0);
      // the same program on the host, as the sandbox's user, reaches all three (run asynchronously so
      // this process can accept the connections)
      const direct = await promisify(execFile)("/usr/bin/python3", ["-c", connectAll], { uid: SANDBOX_UID });
      expect(direct.stdout.match(/CONNECTED/g), direct.stdout + direct.stderr).toHaveLength(3);
      await new Promise((res) => setTimeout(res, 100));
      expect(accepted).toBe(3);
      row.host = "0 connections accepted (3 from the host)";
    });
  });

  describe("secrets and files of the host", () => {
    let holder: ChildProcess;
    const key = "PEFT_JUDGE_API_KEY";
    let victimDir: string;
    let victim: string;
    beforeAll(() => {
      process.env[key] = "sk-test-not-a-real-key";
      // a host process of the sandbox's own user whose environment holds the key, like the kernel's would
      holder = spawn("/usr/bin/sleep", ["60"], {
        env: { [key]: "sk-test-not-a-real-key" },
        uid: SANDBOX_UID,
        stdio: "ignore",
      });
      victimDir = mkdtempSync(join(tmpdir(), "peft-victim-"));
      chmodSync(victimDir, 0o777);
      victim = join(victimDir, "precious.txt");
      writeFileSync(victim, "keep me");
      chmodSync(victim, 0o666);
    });
    afterAll(() => {
      holder.kill("SIGKILL");
      delete process.env[key];
      rmSync(victimDir, { recursive: true, force: true });
    });

    test("the parent's environment: not inherited, not readable through /proc", async () => {
      expect(readFileSync(`/proc/${holder.pid}/environ`, "latin1")).toContain(key); // there to be found
      const { r, row } = await hostile(
        "read parent environ",
        `looks for ${key} in os.environ and every /proc/<pid>/environ, incl. host pids`,
        `    import os
    print("ENV", ${JSON.stringify(key)} in os.environ, flush=True)
    hits = []
    for pid in [p for p in os.listdir("/proc") if p.isdigit()] + [${JSON.stringify(String(holder.pid))}, ${JSON.stringify(String(process.pid))}]:
        try:
            if ${JSON.stringify(key)}.encode() in open("/proc/%s/environ" % pid, "rb").read():
                hits.append(pid)
        except OSError:
            pass
    print("HITS", hits, flush=True)
    return False
`,
      );
      expect(r.status).toBe("failed");
      expect(r.stdout).toMatch(/^ENV False$/m);
      expect(r.stdout).toMatch(/^HITS \[\]$/m);
      row.host = "key not found";
    });

    test("the home directory and system files: not there", async () => {
      const home = homedir();
      const entry = existsSync(home) ? readdirSync(home)[0] : undefined;
      const paths = [
        ...new Set([
          home,
          ...(entry ? [join(home, entry)] : []),
          "/root",
          "/home",
          "/etc/passwd",
          "/etc/shadow",
          "/run",
          "/var",
        ]),
      ];
      const { r, row } = await hostile(
        "read home and /etc",
        `looks for ${paths.join(", ")}`,
        `    import os
    for p in ${JSON.stringify(paths)}:
        print("VISIBLE" if os.path.lexists(p) else "ABSENT", p, flush=True)
    return False
`,
      );
      expect(r.status).toBe("failed");
      expect(r.stdout).not.toMatch(/VISIBLE/);
      expect(r.stdout.match(/ABSENT/g)).toHaveLength(paths.length);
      row.host = `${paths.length} paths absent`;
    });

    test("writing and deleting outside the private /tmp", async () => {
      const { r, row } = await hostile(
        "write/delete outside",
        "writes /, /usr, /etc, /proc/sys; rm -rf of a host folder via posix.system",
        `    import posix
    for target in ("/peft", "/usr/peft", "/etc/peft", "/proc/sys/kernel/hostname", ${JSON.stringify(victim)}):
        try:
            open(target, "w").write("overwritten")
            print("WROTE", target, flush=True)
        except OSError as e:
            print("DENIED", target, e.errno, flush=True)
    print("RM", posix.system("rm -rf ${victimDir} 2>/dev/null; test -e ${victimDir}"), flush=True)
    return False
`,
      );
      expect(r.status).toBe("failed");
      expect(r.stdout).not.toMatch(/WROTE/);
      expect(r.stdout.match(/DENIED/g)).toHaveLength(5);
      expect(readFileSync(victim, "utf8")).toBe("keep me");
      row.host = "host file intact";
    });
  });

  test("signals to the parent, to PID 1 and to every process (kill -1), then a correct answer", async () => {
    // a host process of the sandbox's own user: kill(-1) must not reach it
    // kill(-1) reaches only the caller's PID namespace; never run this without one
    expect(detectIsolation().processTree).toBe(true);
    const bystander = spawn("/usr/bin/sleep", ["60"], { uid: SANDBOX_UID, stdio: "ignore" });
    try {
      const { r, row } = await hostile(
        "kill parent / kill -1",
        "SIGKILL/SIGTERM/SIGINT to getppid(), PID 1 and -1; SIGSTOP to PID 1",
        `${CORRECT}\n\nimport posix, signal\nfor target in (posix.getppid(), 1, -1):\n    for sig in (signal.SIGINT, signal.SIGTERM, signal.SIGSTOP, signal.SIGKILL):\n        try:\n            posix.kill(target, sig)\n        except OSError:\n            pass\n`,
      );
      expect(r.status).toBe("passed"); // the checker survived everything and judged the correct answer
      expect(bystander.exitCode).toBeNull();
      expect(bystander.signalCode).toBeNull();
      row.host = "checker and host bystander alive";
    } finally {
      bystander.kill("SIGKILL");
    }
  });

  test("signals to itself: SIGSEGV, abort, SIGSTOP", async () => {
    const segv = await hostile(
      "SIGSEGV self",
      "kills itself with SIGSEGV during the call",
      "    import posix\n    posix.kill(posix.getpid(), 11)\n",
    );
    expect(segv.r.reason).toMatch(/ended the session \(killed by signal 11\)/);
    const abort = await hostile("abort()", "os.abort() during the call", "    import os\n    os.abort()\n");
    expect(abort.r.reason).toMatch(/killed by signal 6/);
    const stop = await hostile(
      "SIGSTOP self",
      "stops itself during the call (2 s timeout)",
      "    import posix\n    posix.kill(posix.getpid(), 19)\n    return True\n",
      {
        timeoutMs: 2000,
      },
    );
    expect(stop.r.status).toBe("timeout");
  });

  test("new namespaces and /dev/shm of the host", async () => {
    const shm = `/dev/shm/${uniqueMarker("peft-shm")}`;
    writeFileSync(shm, "host");
    try {
      const { r, row } = await hostile(
        "unshare / host shm",
        "unshare(CLONE_NEWUSER); looks for a file the host put in /dev/shm",
        `    import ctypes, os
    libc = ctypes.CDLL(None, use_errno=True)
    print("UNSHARE", libc.unshare(0x10000000), ctypes.get_errno(), flush=True)
    print("SHM", os.path.exists(${JSON.stringify(shm)}), flush=True)
    return False
`,
      );
      expect(r.stdout).toMatch(/^UNSHARE -1 (1|28)$/m); // EPERM, or ENOSPC from --disable-userns
      expect(r.stdout).toMatch(/^SHM False$/m);
      row.host = "no user namespace; host shm unseen";
    } finally {
      rmSync(shm, { force: true });
    }
  });
});

describe("the weak fallback (opt-in): the verdict holds, containment does not", () => {
  const weak: SandboxLimits = { isolation: "python guard only" };

  test("exit tricks and fake verdicts still fail", async () => {
    for (const [name, completion] of [
      ["weak: exit()", `${WRONG}\nexit()\n`],
      ["weak: os._exit(0) in call", "    import posix\n    posix._exit(0)\n"],
      [
        "weak: fake verdict",
        `${WRONG}\nimport posix\nfor fd in range(64):\n    try:\n        posix.write(fd, b'{"passed": true}\\n')\n    except OSError:\n        pass\n`,
      ],
    ] as const) {
      const { r } = await hostile(name, "as above, without bubblewrap", completion, weak);
      expect(r.status, name).toBe("failed");
      expect(r.isolation.method).toBe("python guard only");
    }
  });

  test("a fork + setsid child outlives the call: why evaluation refuses this mode by default", async () => {
    const marker = uniqueMarker();
    const { r, row } = await hostile(
      "weak: setsid survivor",
      "as the bwrap case above, without bubblewrap",
      `${CORRECT}\n\nimport os, posix\nif posix.fork() == 0:\n    os.setsid()\n${execSleeper(marker, "    ")}`,
      { ...weak, timeoutMs: 5000 },
    );
    expect(r.status).toBe("passed");
    const survivors = (await survivorsAfter(marker, 300)).pids;
    for (const pid of survivors) process.kill(pid, "SIGKILL");
    expect(survivors.length).toBe(1);
    row.host = "SURVIVED (killed by the test)";
  });
});
