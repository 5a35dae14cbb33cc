// `peft-nb reproduce`: every reproduction notebook, headless through the kernel, into one folder
// with the executed notebooks, one offline HTML report and every table as CSV and Markdown.
// Exit 0 when all ran, 1 when any failed (the others still run), 2 for bad usage.
import { resolve } from "node:path";
import { parseArgs } from "node:util";
import type { CliCommand } from "../../kernel/cli/main.js";
import { projectRoot, defaultKernelArgv, splitCommandLine, fillKernelArgv } from "../../kernel/client/kernel-argv.js";
import { readNotebook, writeNotebook } from "../../kernel/notebook/notebook-file.js";
import { parseParameterArgs } from "../../kernel/notebook/parameters.js";
import { buildHtmlReport, notebookTitle } from "../../kernel/report/html-report.js";
import { executeNotebook } from "../../kernel/runner/execute-notebook.js";
import type { Notebook } from "../../kernel/notebook/nbformat.js";
import { parseScale, REPRODUCTIONS } from "../reproduce/catalog.js";
import { checkQueueUrl } from "../sweep/queue-url.js";
import { runReproductions, summaryLines, type PipelineDeps } from "../reproduce/pipeline.js";

const USAGE = `usage: peft-nb reproduce [options]

Executes every reproduction notebook (reproductions/*.ipynb) headless through the kernel and
writes, under one folder: the executed notebooks, report.html (one standalone offline page with
all tables and figures), each table as CSV and Markdown, and summary.md / summary.json.

options:
  --scale S            smoke | small | full (default small)
  --only A,B           run only these (${REPRODUCTIONS.join(", ")})
  --out DIR            output folder (default out/reproduce-<scale>)
  --seed S             base seed passed to every notebook (default 0); same seed, same tables
  -p, --parameter N=V  extra notebook parameter (repeatable), e.g. -p backend=cpu -p modelPath=/models/llama
  --timeout S          per-cell timeout in seconds (default none)
  --dir DIR            folder of the reproduction notebooks (default: this project's reproductions/)
  --kernel-cmd CMD     kernel command line with {connection_file} (default: this project's kernel)
  --queue URL          train every run as a job on this Redis queue (redis://[user:pass@]host:port,
                       rediss:// for TLS; default PEFT_QUEUE_URL); \`peft-nb worker\` trains them
  --store DIR          the sweep's result store, shared with the workers (default PEFT_RESULT_STORE)
  -q, --quiet          no per-cell progress lines
`;

export interface ReproduceIO {
  out(line: string): void;
  err(line: string): void;
}

const consoleIO: ReproduceIO = { out: (l) => console.log(l), err: (l) => console.error(l) };

export async function reproduceCommand(argv: string[], io: ReproduceIO = consoleIO): Promise<number> {
  let values;
  try {
    ({ values } = parseArgs({
      args: argv,
      allowPositionals: false,
      options: {
        scale: { type: "string", default: "small" },
        only: { type: "string" },
        out: { type: "string" },
        seed: { type: "string", default: "0" },
        parameter: { type: "string", short: "p", multiple: true },
        timeout: { type: "string" },
        dir: { type: "string" },
        "kernel-cmd": { type: "string" },
        queue: { type: "string" },
        store: { type: "string" },
        quiet: { type: "boolean", short: "q" },
        help: { type: "boolean", short: "h" },
      },
    }));
  } catch (err) {
    io.err(`peft-nb reproduce: ${(err as Error).message}\n\n${USAGE}`);
    return 2;
  }
  if (values.help) {
    io.out(USAGE);
    return 0;
  }
  let scale, parameters, kernelArgv: string[], timeoutMs: number | undefined;
  const kernelEnv: NodeJS.ProcessEnv = { ...process.env };
  const seed = Number(values.seed);
  try {
    scale = parseScale(values.scale!);
    if (!Number.isInteger(seed) || seed < 0)
      throw new Error(`--seed: expected a non-negative integer, found '${values.seed}'`);
    parameters = parseParameterArgs(values.parameter ?? []);
    // Through the kernels' environment, not notebook parameters: a password in the URL must not be
    // saved in the executed notebooks and the report.
    if (values.queue) kernelEnv.PEFT_QUEUE_URL = checkQueueUrl(values.queue);
    if (values.store) kernelEnv.PEFT_RESULT_STORE = resolve(values.store);
    kernelArgv = values["kernel-cmd"] ? splitCommandLine(values["kernel-cmd"]) : defaultKernelArgv();
    fillKernelArgv(kernelArgv, "probe.json");
    if (values.timeout !== undefined) {
      const s = Number(values.timeout);
      if (!Number.isFinite(s) || s <= 0)
        throw new Error(`--timeout: expected a positive number of seconds, found '${values.timeout}'`);
      timeoutMs = s * 1000;
    }
  } catch (err) {
    io.err(`peft-nb reproduce: ${(err as Error).message}`);
    return 2;
  }
  const deps: PipelineDeps<Notebook> = {
    readNotebook,
    writeNotebook,
    notebookTitle,
    buildReport: (entries, opts) => buildHtmlReport(entries, opts),
    execute: (nb, o) =>
      executeNotebook(nb, {
        argv: kernelArgv,
        cwd: o.cwd,
        env: kernelEnv,
        parameters: o.parameters,
        cellTimeoutMs: timeoutMs,
        onCell: values.quiet ? undefined : (i) => o.onCell?.(i),
      }),
  };
  let summary;
  try {
    summary = await runReproductions(
      {
        reproductionsDir: resolve(values.dir ?? resolve(projectRoot(), "reproductions")),
        outDir: resolve(values.out ?? `out/reproduce-${scale}`),
        scale,
        seed,
        only: values.only?.split(","),
        parameters,
        log: (l) => io.err(l),
      },
      deps,
    );
  } catch (err) {
    io.err(`peft-nb reproduce: ${(err as Error).message}`);
    return 2;
  }
  for (const l of summaryLines(summary)) io.out(l);
  return summary.ok ? 0 : 1;
}

export const command: CliCommand = {
  summary: "run every reproduction notebook headless; one folder with notebooks, report.html and tables",
  run: (argv) => reproduceCommand(argv),
};
