// `peft-nb worker` as a real process for the tests: its log lines collected, waitable, killable.
import { type ChildProcess, spawn } from "node:child_process";
import { BIN } from "../../helpers/ensure-built.js";

export interface WorkerProcess {
  name: string;
  proc: ChildProcess;
  lines: string[];
  waitFor(re: RegExp, timeoutMs?: number): Promise<RegExpMatchArray>;
  exited: Promise<number | null>;
}

export function startWorkerProcess(name: string, args: string[], env: NodeJS.ProcessEnv = process.env): WorkerProcess {
  const proc = spawn(process.execPath, [BIN, "worker", "--name", name, ...args], {
    env,
    stdio: ["ignore", "pipe", "pipe"],
  });
  const lines: string[] = [];
  const waiters: Array<() => void> = [];
  let partial = "";
  const onData = (b: Buffer) => {
    partial += b.toString();
    const parts = partial.split("\n");
    partial = parts.pop() ?? "";
    lines.push(...parts);
    for (const w of waiters.splice(0)) w();
  };
  proc.stdout!.on("data", onData);
  proc.stderr!.on("data", onData);
  const exited = new Promise<number | null>((resolve) => proc.once("exit", (code) => resolve(code)));
  return {
    name,
    proc,
    lines,
    exited,
    waitFor(re, timeoutMs = 60_000) {
      return new Promise((resolve, reject) => {
        const deadline = Date.now() + timeoutMs;
        const check = () => {
          for (const l of lines) {
            const m = l.match(re);
            if (m) return resolve(m);
          }
          if (Date.now() > deadline)
            return reject(
              new Error(`worker ${name}: no line matching ${re} within ${timeoutMs} ms:\n${lines.join("\n")}`),
            );
          waiters.push(check);
          setTimeout(check, 500);
        };
        check();
      });
    },
  };
}

/** True while a process with this pid exists. */
export function alive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch {
    return false;
  }
}
