// Headless execution end to end against a real Jupyter kernel (tslab's), over ZMQ.
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { KernelClient } from "../../kernel/client/kernel-client.js";
import { tslabKernelArgv } from "../../kernel/client/kernel-argv.js";
import { readNotebook } from "../../kernel/notebook/notebook-file.js";
import { joinSource, type CodeCell, type Notebook, type Output } from "../../kernel/notebook/nbformat.js";
import { executeNotebook } from "../../kernel/runner/execute-notebook.js";

const FIXTURE = join(import.meta.dirname, "..", "fixtures", "notebooks", "smoke.ipynb");

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

/** Everything a cell showed as text: streams, and text/plain of results (kernels differ on which). */
function shown(outputs: Output[]): string {
  return outputs
    .map((o) =>
      o.output_type === "stream"
        ? joinSource(o.text)
        : o.output_type === "execute_result" || o.output_type === "display_data"
          ? String(o.data["text/plain"] ?? "")
          : "",
    )
    .join("");
}

describe("executeNotebook through tslab's kernel", () => {
  let client: KernelClient;
  beforeAll(async () => {
    client = await KernelClient.start({ argv: tslabKernelArgv() });
  });
  afterAll(async () => {
    await client?.shutdown();
  });

  it("runs the fixture with injected parameters and records every output", async () => {
    const input = readNotebook(FIXTURE);
    const r = await executeNotebook(input, { client, parameters: { greeting: "hey", repeats: 3 } });
    expect(r.ok).toBe(true);
    const code = r.notebook.cells.filter((c): c is CodeCell => c.cell_type === "code");
    const bySource = (s: string) => code.find((c) => joinSource(c.source).includes(s))!;
    expect(text(bySource("console.log(`${greeting}").outputs)).toBe("hey 0\nhey 1\nhey 2\n");
    expect(text(bySource("console.error").outputs, "stderr")).toBe("to stderr\n");
    expect(shown(bySource("const total").outputs).trim()).toBe(String(6 * 3));
    const counts = code.map((c) => c.execution_count);
    expect(counts.every((n) => typeof n === "number")).toBe(true);
    expect([...counts].sort((a, b) => a! - b!)).toEqual(counts);
    expect(new Set(counts).size).toBe(counts.length);
    expect(r.notebook.metadata.language_info?.name).toMatch(/typescript/i);
    expect((r.notebook.metadata.peft_nb as { status: string }).status).toBe("completed");
    // the input notebook is not modified
    expect(input.cells.every((c) => c.cell_type !== "code" || c.outputs.length === 0)).toBe(true);
  });

  it("stops at the first failing cell and names it", async () => {
    const r = await executeNotebook(
      notebook('console.log("before")', 'throw new Error("boom")', 'console.log("after")'),
      { client },
    );
    expect(r.ok).toBe(false);
    expect(r.failure?.kind).toBe("error");
    expect(r.failure?.cellIndex).toBe(1);
    expect(r.failure?.cellId).toBe("c2");
    expect(r.failure?.message).toMatch(/^cell 2 \(id c2\) failed: .*boom/);
    const [first, second, third] = r.notebook.cells as CodeCell[];
    expect(text(first!.outputs)).toBe("before\n");
    const err = second!.outputs.find((o) => o.output_type === "error");
    expect(err?.output_type === "error" && err.evalue).toContain("boom");
    expect(third!.outputs).toEqual([]);
    expect(third!.execution_count).toBeNull();
    expect((r.notebook.metadata.peft_nb as { status: string }).status).toBe("failed");
  });
});

describe("executeNotebook failure modes", () => {
  it("interrupts a cell over its timeout and stops there", async () => {
    const r = await executeNotebook(notebook("let x = 1", "await new Promise((r) => setTimeout(r, 60_000))", "x"), {
      argv: tslabKernelArgv(),
      cellTimeoutMs: 1500,
    });
    expect(r.failure?.kind).toBe("timeout");
    expect(r.failure?.cellIndex).toBe(1);
    expect(r.failure?.message).toMatch(/cell 2 \(id c2\) failed: CellTimeoutError: .*1\.5 s/);
    expect((r.notebook.cells[2] as CodeCell).execution_count).toBeNull();
  });

  it("reports a kernel that dies mid-cell instead of hanging", async () => {
    const r = await executeNotebook(notebook('console.log("alive")', "process.exit(3)", "1"), {
      argv: tslabKernelArgv(),
    });
    expect(r.failure?.kind).toBe("kernel-died");
    expect(r.failure?.cellIndex).toBe(1);
    expect(r.failure?.message).toMatch(/cell 2 .*KernelDied.*exited \(code 3\)/);
    expect(text((r.notebook.cells[0] as CodeCell).outputs)).toBe("alive\n");
  });

  it("says which command could not be launched", async () => {
    await expect(
      executeNotebook(notebook("1"), { argv: ["/nonexistent/kernel", "{connection_file}"], startTimeoutMs: 5000 }),
    ).rejects.toThrow(/cannot launch kernel .*\/nonexistent\/kernel/);
  });
});
