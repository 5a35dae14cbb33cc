// Every test run gets its own temporary home: HOME, the XDG and Jupyter folders, the kernel's
// history file and the project's caches (pre-trained base models, reproduction runs) all point
// into one folder that is removed afterwards, so `npm test` never reads or writes the user's own
// files (~/.local/share/peft-nb/history.jsonl, <project>/.cache, kernelspecs). Settings that
// would change what the tests exercise (a real MT-Bench judge, a forced backend, kernel flags)
// are cleared. Workers inherit this environment: vitest starts them after the global setup.
// PEFT_TEST_CACHE_DIR keeps base models between runs while iterating (never set in CI).
import { mkdirSync, mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";

const CLEARED = [
  "PEFT_JUDGE_BASE_URL",
  "PEFT_JUDGE_MODEL",
  "PEFT_JUDGE_API_KEY",
  "PEFT_BACKEND",
  "PEFT_RUN_CACHE",
  "PEFT_NB_HISTORY_FILE",
  "PEFT_NB_TYPECHECK",
  "PEFT_NB_RUNTIME_ARGS",
  "JUPYTER_PATH",
];

export default function setup(): () => void {
  const root = mkdtempSync(join(tmpdir(), "peft-test-home-"));
  const dir = (name: string) => {
    const d = join(root, name);
    mkdirSync(d, { recursive: true });
    return d;
  };
  for (const name of CLEARED) delete process.env[name];
  Object.assign(process.env, {
    PEFT_TEST_HOME: root,
    HOME: dir("home"),
    XDG_DATA_HOME: dir("xdg-data"),
    XDG_CONFIG_HOME: dir("xdg-config"),
    XDG_CACHE_HOME: dir("xdg-cache"),
    JUPYTER_DATA_DIR: dir("jupyter-data"),
    JUPYTER_CONFIG_DIR: dir("jupyter-config"),
    JUPYTER_RUNTIME_DIR: dir("jupyter-runtime"),
    IPYTHONDIR: dir("ipython"),
    PEFT_CACHE_DIR: process.env.PEFT_TEST_CACHE_DIR || dir("cache"),
  });
  return () => rmSync(root, { recursive: true, force: true });
}
