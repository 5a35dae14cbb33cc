// Every tutorial top to bottom through the kernel, twice: the project's runner (`peft-nb run`)
// and Debian's python3-nbclient with the kernelspec installed into a temporary prefix. Both must
// finish without an error output and show what each tutorial promises.
import { mkdtempSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { beforeAll, describe, expect, it } from "vitest";
import { ensureBuilt, ROOT } from "../helpers/ensure-built.js";
import { missingPackageExports, TUTORIAL_IMPORTS } from "../reproductions/helpers/exports.js";
import { executeWithNbclient, kernelspecEnv } from "../reproductions/helpers/nbclient.js";
import { runCli } from "../../cli/main.js";
import { readNotebook } from "../../kernel/notebook/notebook-file.js";
import { joinSource, type Notebook, type Output } from "../../kernel/notebook/nbformat.js";

const TUTORIALS = ["01-getting-started", "02-adapter-tour", "03-gradient-norm-dynamics"];
const KERNELSPEC = { name: "peft-nb", display_name: "TypeScript (PEFT)", language: "typescript" };

function outputs(nb: Notebook): Output[] {
  return nb.cells.flatMap((c) => (c.cell_type === "code" ? c.outputs : []));
}
const stdout = (nb: Notebook) =>
  outputs(nb)
    .map((o) => (o.output_type === "stream" && o.name === "stdout" ? joinSource(o.text) : ""))
    .join("");
const plots = (nb: Notebook) =>
  outputs(nb).filter(
    (o) =>
      (o.output_type === "display_data" || o.output_type === "execute_result") &&
      "application/vnd.plotly.v1+json" in o.data,
  );

/** Rows of a displayed table (its text/plain rendering) found by caption: cells split on 2+ spaces. */
function tableRows(nb: Notebook, caption: string): string[][] {
  const shown = outputs(nb).map((o) =>
    o.output_type === "display_data" ? joinSource((o.data["text/plain"] as string | string[]) ?? "") : "",
  );
  const text = shown.find((t) => t.startsWith(caption));
  if (!text) throw new Error(`no table captioned '${caption}' among the outputs`);
  return text
    .split("\n")
    .slice(3)
    .filter(Boolean)
    .map((l) => l.trim().split(/\s{2,}/));
}

/** The promises of each tutorial, checked on an executed notebook from either client. */
function checkTutorial(name: string, nb: Notebook): void {
  const errors = outputs(nb).filter((o) => o.output_type === "error");
  expect(errors, `${name}: ${JSON.stringify(errors).slice(0, 2000)}`).toEqual([]);
  if (name === "01-getting-started") {
    const m = /first 5 steps ([\d.]+), of the last 5 ([\d.]+)/.exec(stdout(nb));
    expect(m, stdout(nb)).not.toBeNull();
    expect(Number(m![2])).toBeLessThan(Number(m![1])); // LoRA fits the batch: the loss went down
    expect(stdout(nb)).toMatch(/trainable \d+ of \d+ parameters/);
    expect(plots(nb).length).toBe(1);
  } else if (name === "02-adapter-tour") {
    const counts = tableRows(nb, "Trainable parameters per method");
    expect(counts.map((r) => r[0])).toEqual(["lora", "boft", "loraga", "urnn", "hybrid"]);
    for (const r of counts) expect(Number(r[2])).toBeLessThan(Number(r[3])); // adapters train a fraction
    // LoRA and LoRA-GA of the same rank train the same factors; the hybrid trains a BOFT and a LoRA-GA branch
    const n = Object.fromEntries(counts.map((r) => [r[0], Number(r[2])]));
    expect(n.lora).toBe(n.loraga);
    expect(n.hybrid).toBe(n.loraga! + n.boft!);
    for (const r of tableRows(nb, "Merging leaves the outputs unchanged")) expect(Number(r[1])).toBeLessThan(1e-4);
    for (const r of tableRows(nb, "Orthogonal and unitary adapters")) {
      expect(Number(r[1])).toBeGreaterThan(1e-3); // the merged weight did change
      expect(Number(r[2])).toBeLessThan(1e-4); // yet W·Wᵀ is kept (float32 round-off)
    }
  } else {
    const m = /first 5 steps ([\d.]+), of the last 5 ([\d.]+)/.exec(stdout(nb));
    expect(m, stdout(nb)).not.toBeNull();
    expect(Number.isFinite(Number(m![2]))).toBe(true);
    expect(plots(nb).length).toBeGreaterThanOrEqual(4); // dashboard + branch lines + heat map + gates
    // The default gate keeps every layer off the clamp, where the literal share of parameter norms would sit.
    const gate = tableRows(nb, "The gate at step");
    expect(gate.length).toBe(8);
    for (const r of gate) {
      expect(Number(r[1]), r[0]).toBeGreaterThan(0.1);
      expect(Number(r[1]), r[0]).toBeLessThan(0.9);
      expect(Number(r[4]), r[0]).toBeLessThan(0.1);
    }
  }
}

describe("tutorials", () => {
  beforeAll(async () => {
    await ensureBuilt();
    const missing = await missingPackageExports(TUTORIAL_IMPORTS);
    if (missing.length)
      throw new Error(
        `lib/index.ts ("peft-notebook") does not export what the notebooks import: ${missing.join(", ")}`,
      );
  }, 600_000);

  it("are nbformat 4 with the peft-nb kernelspec", () => {
    for (const name of TUTORIALS) {
      const nb = readNotebook(join(ROOT, "notebooks", `${name}.ipynb`));
      expect(nb.nbformat).toBe(4);
      expect(nb.metadata.kernelspec).toEqual(KERNELSPEC);
      expect(nb.cells[0]!.cell_type).toBe("markdown");
    }
  });

  for (const name of TUTORIALS) {
    it(`${name} runs top to bottom through peft-nb run`, async () => {
      const out = join(mkdtempSync(join(tmpdir(), "tutorial-")), `${name}.ipynb`);
      const lines: string[] = [];
      const code = await runCli(
        ["run", join(ROOT, "notebooks", `${name}.ipynb`), "-o", out, "-q", "--timeout", "240"],
        { out: (l) => lines.push(l), err: (l) => lines.push(l) },
      );
      expect(code, lines.join("\n")).toBe(0);
      checkTutorial(name, readNotebook(out));
    }, 300_000);
  }

  it("run top to bottom through nbclient and the installed kernelspec", () => {
    const env = kernelspecEnv();
    const dir = mkdtempSync(join(tmpdir(), "tutorial-nbclient-"));
    for (const name of TUTORIALS) {
      const out = join(dir, `${name}.ipynb`);
      const r = executeWithNbclient(join(ROOT, "notebooks", `${name}.ipynb`), out, env, 240);
      expect(r.ok, `${name} under nbclient:\n${r.stderr.slice(-3000)}`).toBe(true);
      checkTutorial(name, readNotebook(out));
    }
  }, 900_000);
});
