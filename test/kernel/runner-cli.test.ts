// `peft-nb run` in-process: files written, exit codes, messages. The happy path uses the default
// kernel (this project's, from dist/), the failing one tslab's through --kernel-cmd.
import { existsSync, mkdtempSync, readFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { beforeAll, describe, expect, it } from "vitest";
import { tslabKernelArgv } from "../../kernel/client/kernel-argv.js";
import { readNotebook, writeNotebook } from "../../kernel/notebook/notebook-file.js";
import { joinSource, type CodeCell, type Notebook, type Output } from "../../kernel/notebook/nbformat.js";
import { runCli } from "../../cli/main.js";
import { ensureBuilt } from "./peft-kernel.js";

const FIXTURE = join(import.meta.dirname, "..", "fixtures", "notebooks", "smoke.ipynb");
const TSLAB_CMD = tslabKernelArgv()
  .map((a) => `'${a}'`)
  .join(" ");

function notebook(...sources: string[]): Notebook {
  return {
    nbformat: 4,
    nbformat_minor: 5,
    metadata: {},
    cells: sources.map((source, i) => ({
      cell_type: "code",
      id: `c${i + 1}`,
      source,
      metadata: {},
      outputs: [],
      execution_count: null,
    })),
  };
}

function text(outputs: Output[], name: "stdout" | "stderr" = "stdout"): string {
  return outputs.map((o) => (o.output_type === "stream" && o.name === name ? joinSource(o.text) : "")).join("");
}

describe("peft-nb run (in-process)", () => {
  beforeAll(() => ensureBuilt(), 300_000);
  const dir = mkdtempSync(join(tmpdir(), "peft-nb-run-"));
  const io = () => {
    const lines = { out: [] as string[], err: [] as string[] };
    return { lines, io: { out: (l: string) => lines.out.push(l), err: (l: string) => lines.err.push(l) } };
  };

  it("writes the executed notebook and the HTML report, exit 0", async () => {
    const { lines, io: sink } = io();
    const out = join(dir, "out.ipynb");
    const html = join(dir, "report.html");
    const code = await runCli(
      ["run", FIXTURE, "-o", out, "--html", html, "-p", "greeting=yo", "-p", "repeats=2", "--timeout", "60"],
      sink,
    );
    expect(lines.err.join("\n")).not.toMatch(/failed/);
    expect(code).toBe(0);
    const nb = readNotebook(out);
    expect(nb.cells.some((c) => c.cell_type === "code" && text(c.outputs) === "yo 0\nyo 1\n")).toBe(true);
    const page = readFileSync(html, "utf8");
    expect(page).toContain("yo 1");
    expect(page).toContain("<h1>Smoke notebook</h1>");
  });

  it("exits 1 on a cell error, still writing the partial notebook and report", async () => {
    const { lines, io: sink } = io();
    const src = join(dir, "bad.ipynb");
    writeNotebook(
      src,
      notebook('console.log("one")', 'throw new RangeError("out of range here")', 'console.log("three")'),
    );
    const html = join(dir, "bad.html");
    const code = await runCli(["run", src, "--html", html, "--kernel-cmd", TSLAB_CMD, "-q"], sink);
    expect(code).toBe(1);
    expect(lines.err.join("\n")).toMatch(/bad\.ipynb: cell 2 \(id c2\) failed: .*out of range here/);
    const back = readNotebook(src); // written in place by default
    expect(text((back.cells[0] as CodeCell).outputs)).toBe("one\n");
    expect((back.cells[2] as CodeCell).outputs).toEqual([]);
    expect(readFileSync(html, "utf8")).toMatch(/Execution stopped: cell 2 \(id c2\) failed/);
  });

  it("exits 2 with a clear message for bad usage", async () => {
    const cases: Array<[string[], RegExp]> = [
      [[], /expected exactly one notebook, found 0/],
      [[FIXTURE, "--timeout", "soon"], /--timeout must be a positive number of seconds, found 'soon'/],
      [[FIXTURE, "-p", "oops"], /'oops' must look like name=value/],
      [[join(dir, "missing.ipynb")], /cannot read notebook .*missing\.ipynb/],
      [[FIXTURE, "--kernel-cmd", "tslab kernel"], /no \{connection_file\} placeholder/],
    ];
    for (const [args, re] of cases) {
      const { lines, io: sink } = io();
      expect(await runCli(["run", ...args], sink)).toBe(2);
      expect(lines.err.join("\n")).toMatch(re);
    }
    expect(existsSync(join(dir, "missing.ipynb"))).toBe(false);
  });
});
