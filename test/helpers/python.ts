// Runs the independent PyTorch/NumPy reference scripts with Debian's system Python, where
// python3-torch is installed (a pyenv or venv python3 earlier on PATH usually lacks it).
import { spawnSync } from "node:child_process";

export const PYTHON = process.env.PEFT_PYTHON ?? "/usr/bin/python3";

/**
 * Runs `script` (a path) with `args`, writes `input` to stdin, and parses stdout as JSON.
 * Throws with the script's stderr when it fails, so a broken reference is never a silent pass.
 */
export function runPythonJson<T = unknown>(script: string, args: string[] = [], input?: string): T {
  const r = spawnSync(PYTHON, [script, ...args], {
    input,
    encoding: "utf8",
    maxBuffer: 512 * 1024 * 1024,
    env: { ...process.env, PYTHONUNBUFFERED: "1", OMP_NUM_THREADS: "2" },
  });
  if (r.error) throw new Error(`${PYTHON} ${script}: ${r.error.message}`);
  if (r.status !== 0) throw new Error(`${PYTHON} ${script} exited ${r.status}:\n${r.stderr}`);
  try {
    return JSON.parse(r.stdout) as T;
  } catch {
    throw new Error(`${PYTHON} ${script}: stdout is not JSON:\n${r.stdout.slice(0, 2000)}\n${r.stderr}`);
  }
}
