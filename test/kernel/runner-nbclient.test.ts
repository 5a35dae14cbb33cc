// A real Jupyter client, Debian's python3-nbclient, executes the fixture through this project's
// installed kernelspec; `peft-nb run` must produce the same outputs.
import { execFileSync, spawnSync } from "node:child_process";
import { mkdtempSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { beforeAll, describe, expect, it } from "vitest";
import { PYTHON } from "../helpers/python.js";
import { readNotebook } from "../../kernel/notebook/notebook-file.js";
import type { Output } from "../../kernel/notebook/nbformat.js";
import { joinSource } from "../../kernel/notebook/nbformat.js";
import { runCli } from "../../cli/main.js";
import { BIN, ensureBuilt } from "./peft-kernel.js";

const FIXTURE = join(import.meta.dirname, "..", "fixtures", "notebooks", "smoke.ipynb");

const NBCLIENT = `
import json, os, sys
import nbformat
from nbclient import NotebookClient
path = sys.argv[1]
nb = nbformat.read(path, as_version=4)
NotebookClient(nb, kernel_name="peft-nb", timeout=120, startup_timeout=60,
               resources={"metadata": {"path": os.path.dirname(path)}}).execute()
print(json.dumps({"cells": [c.get("outputs", []) for c in nb.cells],
                  "counts": [c.get("execution_count") for c in nb.cells]}))
`;

/** What a reader sees: consecutive streams merged, MIME data as given; ids and metadata aside. */
function visible(outputs: Output[]): unknown[] {
  const out: Array<Record<string, unknown>> = [];
  for (const o of outputs) {
    const last = out[out.length - 1];
    if (o.output_type === "stream") {
      if (last?.type === "stream" && last.name === o.name) last.text = String(last.text) + joinSource(o.text);
      else out.push({ type: "stream", name: o.name, text: joinSource(o.text) });
    } else if (o.output_type === "error") out.push({ type: "error", ename: o.ename, evalue: o.evalue });
    else
      out.push({
        type: o.output_type,
        data: Object.fromEntries(Object.entries(o.data).map(([k, v]) => [k, Array.isArray(v) ? v.join("") : v])),
      });
  }
  return out;
}

describe("nbclient and peft-nb run agree", () => {
  let env: NodeJS.ProcessEnv;
  beforeAll(async () => {
    await ensureBuilt();
    const prefix = mkdtempSync(join(tmpdir(), "peft-nb-prefix-"));
    execFileSync(process.execPath, [BIN, "install", "--prefix", prefix], { stdio: "pipe" });
    env = {
      ...process.env,
      JUPYTER_PATH: join(prefix, "share", "jupyter"),
      JUPYTER_RUNTIME_DIR: join(prefix, "runtime"),
      JUPYTER_DATA_DIR: join(prefix, "data"),
      JUPYTER_CONFIG_DIR: join(prefix, "config"),
      JUPYTER_PLATFORM_DIRS: "1",
    };
  });

  it("executes the fixture through the installed kernelspec with the same outputs", async () => {
    const dir = mkdtempSync(join(tmpdir(), "peft-nb-nbclient-"));
    const script = join(dir, "execute.py");
    writeFileSync(script, NBCLIENT);
    const py = spawnSync(PYTHON, [script, FIXTURE], { env, encoding: "utf8", maxBuffer: 64 * 1024 * 1024 });
    expect(py.status, `${PYTHON} nbclient run failed:\n${py.stderr}`).toBe(0);
    const ref = JSON.parse(py.stdout) as { cells: Output[][]; counts: Array<number | null> };
    const out = join(dir, "ours.ipynb");
    const lines: string[] = [];
    const code = await runCli(["run", FIXTURE, "-o", out, "-q"], {
      out: (l) => lines.push(l),
      err: (l) => lines.push(l),
    });
    expect(code, lines.join("\n")).toBe(0);
    const ours = readNotebook(out);
    expect(ours.cells).toHaveLength(ref.cells.length);
    const oursVisible = ours.cells.map((c) => (c.cell_type === "code" ? visible(c.outputs) : []));
    expect(oursVisible).toEqual(ref.cells.map((o) => visible(o)));
    expect(ours.cells.map((c) => (c.cell_type === "code" ? c.execution_count : null))).toEqual(
      ref.counts.map((n) => n ?? null),
    );
    // the comparison means something only if the kernel produced output at all
    expect(oursVisible.flat().length).toBeGreaterThanOrEqual(3);
  });
});
