// Debian's python3-nbclient as a second, independent Jupyter client: it launches the kernel from
// a kernelspec installed by `peft-nb install --prefix` into a temporary prefix (JUPYTER_PATH).
import { execFileSync, spawnSync } from "node:child_process";
import { mkdtempSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { PYTHON } from "../../helpers/python.js";
import { ROOT } from "../../helpers/ensure-built.js";

const SCRIPT = `
import os, sys
import nbformat
from nbclient import NotebookClient
src, dst, timeout = sys.argv[1], sys.argv[2], int(sys.argv[3])
nb = nbformat.read(src, as_version=4)
try:
    NotebookClient(nb, kernel_name="peft-nb", timeout=timeout, startup_timeout=120,
                   resources={"metadata": {"path": os.path.dirname(src)}}).execute()
finally:
    nbformat.write(nb, dst)
`;

/** Installs the kernelspec into a fresh prefix; returns the environment that makes Jupyter find it. */
export function kernelspecEnv(): NodeJS.ProcessEnv {
  const prefix = mkdtempSync(join(tmpdir(), "peft-nb-prefix-"));
  execFileSync(process.execPath, [join(ROOT, "bin", "peft-nb.js"), "install", "--prefix", prefix], { stdio: "pipe" });
  return {
    ...process.env,
    JUPYTER_PATH: join(prefix, "share", "jupyter"),
    JUPYTER_RUNTIME_DIR: join(prefix, "runtime"),
    JUPYTER_DATA_DIR: join(prefix, "data"),
    JUPYTER_CONFIG_DIR: join(prefix, "config"),
    JUPYTER_PLATFORM_DIRS: "1",
  };
}

/** Executes `src` with nbclient, writing the executed notebook (also a failed one) to `dst`. */
export function executeWithNbclient(
  src: string,
  dst: string,
  env: NodeJS.ProcessEnv,
  timeoutS = 600,
): { ok: boolean; stderr: string } {
  const dir = mkdtempSync(join(tmpdir(), "peft-nb-nbclient-"));
  const script = join(dir, "execute.py");
  writeFileSync(script, SCRIPT);
  const r = spawnSync(PYTHON, [script, src, dst, String(timeoutS)], {
    env,
    encoding: "utf8",
    maxBuffer: 256 * 1024 * 1024,
  });
  return { ok: r.status === 0, stderr: r.stderr + (r.error ? String(r.error) : "") };
}
