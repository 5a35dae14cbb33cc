// `peft-nb run`: execute a notebook headless through a kernel, write the executed notebook and
// optionally a standalone HTML report. Exit 0 when every cell ran, 1 when a cell failed (the
// partial notebook and report are still written), 2 for bad usage or an unreadable notebook.
import { mkdirSync, writeFileSync } from "node:fs";
import { basename, dirname, extname, resolve } from "node:path";
import { parseArgs } from "node:util";
import type { CliCommand } from "./main.js";
import { readNotebook, writeNotebook } from "../notebook/notebook-file.js";
import { parseParameterArgs } from "../notebook/parameters.js";
import { defaultKernelArgv, fillKernelArgv, splitCommandLine } from "../client/kernel-argv.js";
import { executeNotebook } from "../runner/execute-notebook.js";
import { buildNotebookReport, notebookTitle } from "../report/html-report.js";
import { stripAnsi } from "../report/text.js";

const USAGE = `usage: peft-nb run NOTEBOOK.ipynb [options]

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
`;

export interface RunCommandIO {
  out(line: string): void;
  err(line: string): void;
}

const consoleIO: RunCommandIO = { out: (l) => console.log(l), err: (l) => console.error(l) };

/** The command body, with its output routed through `io` so tests can run it in-process. */
export async function runNotebookCommand(argv: string[], io: RunCommandIO = consoleIO): Promise<number> {
  let parsed;
  try {
    parsed = parseArgs({
      args: argv,
      allowPositionals: true,
      options: {
        output: { type: "string", short: "o" },
        html: { type: "string" },
        parameter: { type: "string", short: "p", multiple: true },
        "kernel-cmd": { type: "string" },
        timeout: { type: "string" },
        cwd: { type: "string" },
        "no-code": { type: "boolean" },
        quiet: { type: "boolean", short: "q" },
        help: { type: "boolean", short: "h" },
      },
    });
  } catch (err) {
    io.err(`peft-nb run: ${(err as Error).message}\n\n${USAGE}`);
    return 2;
  }
  const { values, positionals } = parsed;
  if (values.help) {
    io.out(USAGE);
    return 0;
  }
  if (positionals.length !== 1) {
    io.err(`peft-nb run: expected exactly one notebook, found ${positionals.length}\n\n${USAGE}`);
    return 2;
  }
  const input = resolve(positionals[0]!);
  let timeoutMs: number | undefined;
  if (values.timeout !== undefined) {
    const s = Number(values.timeout);
    if (!Number.isFinite(s) || s <= 0) {
      io.err(`peft-nb run: --timeout must be a positive number of seconds, found '${values.timeout}'`);
      return 2;
    }
    timeoutMs = s * 1000;
  }
  let nb, params, kernelArgv;
  try {
    nb = readNotebook(input);
    params = parseParameterArgs(values.parameter ?? []);
    kernelArgv = values["kernel-cmd"] ? splitCommandLine(values["kernel-cmd"]) : defaultKernelArgv();
    fillKernelArgv(kernelArgv, "probe.json"); // checks the placeholder before anything runs
  } catch (err) {
    io.err(`peft-nb run: ${(err as Error).message}`);
    return 2;
  }
  const output = resolve(values.output ?? input);
  const codeCells = nb.cells.filter((c) => c.cell_type === "code").length;
  let done = 0;
  let result;
  try {
    result = await executeNotebook(nb, {
      argv: kernelArgv,
      cwd: resolve(values.cwd ?? dirname(input)),
      parameters: Object.keys(params).length ? params : undefined,
      cellTimeoutMs: timeoutMs,
      onCell: (i) => {
        if (!values.quiet) io.err(`[${++done}/${codeCells + (Object.keys(params).length ? 1 : 0)}] cell ${i + 1}`);
      },
    });
  } catch (err) {
    io.err(`peft-nb run: ${basename(input)}: ${(err as Error).message}`);
    return 1;
  }
  try {
    mkdirSync(dirname(output), { recursive: true });
    writeNotebook(output, result.notebook);
    if (values.html) {
      const title = notebookTitle(result.notebook, basename(input, extname(input)));
      mkdirSync(dirname(resolve(values.html)), { recursive: true });
      writeFileSync(
        resolve(values.html),
        buildNotebookReport(result.notebook, title, { showCode: !values["no-code"] }),
      );
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
    io.err(
      `peft-nb run: partial notebook written to ${output}${values.html ? `, report to ${resolve(values.html)}` : ""}`,
    );
    return 1;
  }
  if (!values.quiet) io.err(`peft-nb run: wrote ${output}${values.html ? ` and ${resolve(values.html)}` : ""}`);
  return 0;
}

export const command: CliCommand = {
  summary: "execute a notebook headless through the kernel; write outputs and an HTML report",
  run: (argv) => runNotebookCommand(argv),
};
