// `peft-nb reproduce` end to end with the real kernel over ZMQ, on two tiny stand-in notebooks:
// one saves a table and a figure, the other fails in its second cell. The good one's outputs,
// both executed notebooks, one report and the summary must all be there, and the exit code 1.
import { existsSync, mkdtempSync, readFileSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { beforeAll, describe, expect, it } from "vitest";
import { ensureBuilt, ROOT } from "../helpers/ensure-built.js";
import { runCli } from "../../cli/main.js";

const KERNELSPEC = { name: "peft-nb", display_name: "TypeScript (PEFT)", language: "typescript" };
const HELPERS = join(ROOT, "dist", "lib", "reproduce", "index.js");

function notebook(cells: Array<{ source: string; tags?: string[] }>) {
  return {
    nbformat: 4,
    nbformat_minor: 5,
    metadata: { kernelspec: KERNELSPEC },
    cells: [
      { cell_type: "markdown", id: "m0", metadata: {}, source: "# Stand-in reproduction\n" },
      ...cells.map((c, i) => ({
        cell_type: "code",
        id: `c${i}`,
        metadata: c.tags ? { tags: c.tags } : {},
        source: c.source,
        outputs: [],
        execution_count: null,
      })),
    ],
  };
}

const PARAMS = {
  source: 'let scale: string = "small";\nlet seed: number = 0;\nlet outputDir: string = "out";',
  tags: ["parameters"],
};

describe("peft-nb reproduce through the kernel", () => {
  beforeAll(ensureBuilt, 300_000);

  it("isolates a failing notebook, writes everything else and exits 1", async () => {
    const dir = mkdtempSync(join(tmpdir(), "repro-cmd-"));
    const out = join(dir, "out");
    writeFileSync(
      join(dir, "main-table.ipynb"),
      JSON.stringify(
        notebook([
          PARAMS,
          {
            source: `import { reproductionOutput } from ${JSON.stringify(HELPERS)};\nconst o = reproductionOutput(outputDir);\no.saveTable("scores", { columns: ["scale", "seed"], rows: [[scale, seed]] });\no.saveFigure("line", { data: [{ type: "scatter", x: [0, 1], y: [seed, seed + 1] }], layout: {} });`,
          },
        ]),
      ),
    );
    writeFileSync(
      join(dir, "resources.ipynb"),
      JSON.stringify(
        notebook([PARAMS, { source: 'throw new Error("resources exploded")' }, { source: 'console.log("never")' }]),
      ),
    );
    const lines: string[] = [];
    const code = await runCli(["reproduce", "--dir", dir, "--out", out, "--scale", "smoke", "--seed", "3"], {
      out: (l) => lines.push(l),
      err: (l) => lines.push(l),
    });
    expect(code).toBe(1);
    const text = lines.join("\n");
    expect(text).toMatch(/ok\s+main-table/);
    expect(text).toMatch(/FAILED resources .*resources exploded/);
    expect(text).toMatch(/1\/2 reproductions ok/);
    expect(readFileSync(join(out, "main-table", "tables", "scores.csv"), "utf8")).toBe("scale,seed\r\nsmoke,3\r\n");
    expect(existsSync(join(out, "main-table", "tables", "scores.md"))).toBe(true);
    expect(existsSync(join(out, "main-table", "figures", "line.plotly.json"))).toBe(true);
    const failed = JSON.parse(readFileSync(join(out, "resources.ipynb"), "utf8"));
    expect(failed.metadata.peft_nb.status).toBe("failed");
    expect(failed.cells.at(-1).outputs).toEqual([]);
    const report = readFileSync(join(out, "report.html"), "utf8");
    expect(report).toContain("resources exploded");
    expect(report).toContain("data-plotly-for");
    expect(report).not.toMatch(/<script[^>]+src=["']https?:/);
  });

  it("answers bad usage with exit code 2 and a message naming the option", async () => {
    const err: string[] = [];
    const io = { out: () => undefined, err: (l: string) => err.push(l) };
    expect(await runCli(["reproduce", "--scale", "huge"], io)).toBe(2);
    expect(await runCli(["reproduce", "--seed", "x"], io)).toBe(2);
    expect(await runCli(["reproduce", "--only", "nope", "--out", mkdtempSync(join(tmpdir(), "r-"))], io)).toBe(2);
    expect(await runCli(["reproduce", "--parallel", "0"], io)).toBe(2);
    expect(err.join("\n")).toMatch(/unknown scale 'huge'/);
    expect(err.join("\n")).toMatch(/--seed: expected a non-negative integer, found 'x'/);
    expect(err.join("\n")).toMatch(/unknown reproduction 'nope'/);
    expect(err.join("\n")).toMatch(/--parallel: expected a positive integer, found '0'/);
  });
});
