// Runs the Jupyter project's conformance suite (jupyter_kernel_test, Debian
// python3-jupyter-kernel-test) against the kernel installed into a temporary prefix.
import { spawnSync } from "node:child_process";
import { mkdtempSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { beforeAll, expect, it } from "vitest";
import { ensureBuilt, ROOT } from "../helpers/ensure-built.js";
import { PYTHON } from "../helpers/python.js";

beforeAll(async () => {
  await ensureBuilt();
});

it("passes jupyter_kernel_test with every attribute set", () => {
  const prefix = mkdtempSync(join(tmpdir(), "peft-nb-prefix-"));
  const install = spawnSync(process.execPath, [join(ROOT, "bin", "peft-nb.js"), "install", "--prefix", prefix], {
    encoding: "utf8",
  });
  expect(install.status, install.stderr).toBe(0);
  const r = spawnSync(PYTHON, [join(ROOT, "test", "conformance", "test_peft_kernel.py"), "-v"], {
    encoding: "utf8",
    cwd: tmpdir(),
    env: {
      ...process.env,
      JUPYTER_PATH: join(prefix, "share", "jupyter"),
      PEFT_NB_HISTORY_FILE: join(prefix, "history.jsonl"),
      PYTHONUNBUFFERED: "1",
    },
    timeout: 300_000,
  });
  const report = `${r.stdout}\n${r.stderr}`;
  expect(r.status, report).toBe(0);
  // All 12 tests ran; none was skipped for a missing attribute.
  expect(report).toMatch(/Ran 12 tests/);
  expect(report).not.toMatch(/skipped/);
});
