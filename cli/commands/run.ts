// `peft-nb run`: execute a notebook headless through a kernel, write the executed notebook and
// optionally a standalone HTML report. Exit 0 when every cell ran, 1 when a cell failed (the
// partial notebook and report are still written), 2 for bad usage or an unreadable notebook.
import { mkdirSync, writeFileSync } from "node:fs";
import { basename, dirname, extname, resolve } from "node:path";
import { readNotebook, writeNotebook } from "../../kernel/notebook/notebook-file.js";
import { parseParameterArgs, type Parameters } from "../../kernel/notebook/parameters.js";
import { buildNotebookReport, notebookTitle } from "../../kernel/report/html-report.js";
import { stripAnsi } from "../../kernel/report/text.js";
import { executeNotebook } from "../../kernel/runner/execute-notebook.js";
import { defineCommand, UsageError } from "../command.js";
import { KERNEL_OPTIONS, kernelArgvOption, timeoutOption } from "../options.js";

export const command = defineCommand({
  name: "run",
  usage: `usage: peft-nb run NOTEBOOK.ipynb [options]

Executes every code cell through a Jupyter kernel and writes the outputs back.

options:
  -o, --output FILE      write the executed notebook here (default: overwrite NOTEBOOK)
  --html FILE            also write a standalone HTML report
  -p, --parameter N=V    set a parameter (repeatable); injected after the cell tagged "parameters"
  --kernel-cmd CMD       kernel command line with {connection_file}
                         (default: this project's kernel: node bin/peft-nb.js kernel --connection-file {connection_file})
  --timeout S            per-cell timeout in seconds (default: none)
  --cwd DIR              kernel working directory (default: the notebook's folder)
  --no-code              leave code out of the HTML report (outputs only)
  -q, --quiet            no progress lines on stderr
`,
  options: {
    output: { type: "string", short: "o" },
    html: { type: "string" },
    parameter: { type: "string", short: "p", multiple: true },
    ...KERNEL_OPTIONS,
    cwd: { type: "string" },
    "no-code": { type: "boolean" },
    quiet: { type: "boolean", short: "q" },
  },
  positionals: true,
  async run({ values, positionals }, io) {
    if (positionals.length !== 1) throw new UsageError(`expected exactly one notebook, found ${positionals.length}`);
    const input = resolve(positionals[0]!);
    const cellTimeoutMs = timeoutOption(values.timeout);
    let nb: ReturnType<typeof readNotebook>;
    let params: Parameters;
    try {
      nb = readNotebook(input);
      params = parseParameterArgs(values.parameter ?? []);
    } catch (err) {
      throw new UsageError((err as Error).message, false);
    }
    const argv = kernelArgvOption(values["kernel-cmd"]);
    const output = resolve(values.output ?? input);
    const injected = Object.keys(params).length > 0;
    const cells = nb.cells.filter((c) => c.cell_type === "code").length + (injected ? 1 : 0);
    let done = 0;
    let result;
    try {
      result = await executeNotebook(nb, {
        argv,
        cwd: resolve(values.cwd ?? dirname(input)),
        parameters: injected ? params : undefined,
        cellTimeoutMs,
        onCell: (i) => {
          if (!values.quiet) io.err(`[${++done}/${cells}] cell ${i + 1}`);
        },
      });
    } catch (err) {
      io.err(`peft-nb run: ${basename(input)}: ${(err as Error).message}`);
      return 1;
    }
    const html = values.html === undefined ? undefined : resolve(values.html);
    try {
      mkdirSync(dirname(output), { recursive: true });
      writeNotebook(output, result.notebook);
      if (html) {
        const title = notebookTitle(result.notebook, basename(input, extname(input)));
        mkdirSync(dirname(html), { recursive: true });
        writeFileSync(html, buildNotebookReport(result.notebook, title, { showCode: !values["no-code"] }));
      }
    } catch (err) {
      io.err(`peft-nb run: cannot write the results: ${(err as Error).message}`);
      return 1;
    }
    if (result.failure) {
      const cell = result.notebook.cells[result.failure.cellIndex];
      const error = cell?.cell_type === "code" ? cell.outputs.find((o) => o.output_type === "error") : undefined;
      const trace = error?.output_type === "error" ? stripAnsi(error.traceback.join("\n")) : "";
      io.err(`peft-nb run: ${basename(input)}: ${result.failure.message}${trace ? `\n${trace}` : ""}`);
      io.err(`peft-nb run: partial notebook written to ${output}${html ? `, report to ${html}` : ""}`);
      return 1;
    }
    if (!values.quiet) io.err(`peft-nb run: wrote ${output}${html ? ` and ${html}` : ""}`);
    return 0;
  },
});
