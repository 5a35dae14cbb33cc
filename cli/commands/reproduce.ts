// `peft-nb reproduce`: every reproduction notebook, headless through the kernel, into one folder
// with the executed notebooks, one offline HTML report and every table as CSV and Markdown.
// Exit 0 when all ran, 1 when any failed (the others still run), 2 for bad usage.
import { availableParallelism } from "node:os";
import { resolve } from "node:path";
import type { Notebook } from "../../kernel/notebook/nbformat.js";
import { readNotebook, writeNotebook } from "../../kernel/notebook/notebook-file.js";
import { parseParameterArgs } from "../../kernel/notebook/parameters.js";
import { buildHtmlReport, notebookTitle } from "../../kernel/report/html-report.js";
import { executeNotebook } from "../../kernel/runner/execute-notebook.js";
import { projectRoot } from "../../lib/project-root.js";
import { parseScale, REPRODUCTIONS, type Scale } from "../../lib/reproduce/catalog.js";
import { runReproductions, summaryLines, type PipelineDeps } from "../../lib/reproduce/pipeline.js";
import { checkQueueUrl } from "../../lib/sweep/queue-url.js";
import { defineCommand, UsageError } from "../command.js";
import {
  KERNEL_OPTIONS,
  kernelArgvOption,
  nonNegativeInteger,
  numberOption,
  positiveInteger,
  timeoutOption,
} from "../options.js";

/**
 * Runs trained at once. small's grid is many runs of a model small enough that one process leaves
 * a core half idle, so it trains one run per core (docs/pipeline.md, "Runs in parallel");
 * smoke's runs take seconds (a process each would cost more than it saves) and full's want a GPU.
 */
function parallelFor(scale: Scale, raw: string | undefined): number {
  if (raw !== undefined) return numberOption(raw, "--parallel", positiveInteger(1));
  const env = process.env.PEFT_PARALLEL_RUNS;
  if (env !== undefined && env.trim() !== "") return numberOption(env, "PEFT_PARALLEL_RUNS", positiveInteger(1));
  return scale === "small" ? availableParallelism() : 1;
}

export const command = defineCommand({
  name: "reproduce",
  usage: `usage: peft-nb reproduce [options]

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
  --parallel N         without a queue: train N runs at once, each in its own process with an even
                       share of the cores (default PEFT_PARALLEL_RUNS, else every core at scale
                       small, 1 at smoke and full)
  -q, --quiet          no progress lines (cells started; runs done / total, elapsed, time left)
`,
  options: {
    scale: { type: "string", default: "small" },
    only: { type: "string" },
    out: { type: "string" },
    seed: { type: "string" },
    parameter: { type: "string", short: "p", multiple: true },
    ...KERNEL_OPTIONS,
    dir: { type: "string" },
    queue: { type: "string" },
    store: { type: "string" },
    parallel: { type: "string" },
    quiet: { type: "boolean", short: "q" },
  },
  async run({ values }, io) {
    const seed = numberOption(values.seed, "--seed", nonNegativeInteger(0));
    const cellTimeoutMs = timeoutOption(values.timeout);
    const argv = kernelArgvOption(values["kernel-cmd"]);
    let scale, parameters;
    const kernelEnv: NodeJS.ProcessEnv = { ...process.env };
    try {
      scale = parseScale(values.scale);
      parameters = parseParameterArgs(values.parameter ?? []);
      // Through the kernels' environment, not notebook parameters: a password in the URL must not be
      // saved in the executed notebooks and the report.
      if (values.queue) kernelEnv.PEFT_QUEUE_URL = checkQueueUrl(values.queue);
      if (values.store) kernelEnv.PEFT_RESULT_STORE = resolve(values.store);
      kernelEnv.PEFT_PARALLEL_RUNS = String(parallelFor(scale, values.parallel));
    } catch (err) {
      throw new UsageError((err as Error).message, false);
    }
    const deps: PipelineDeps<Notebook> = {
      readNotebook,
      writeNotebook,
      notebookTitle,
      buildReport: (entries, opts) => buildHtmlReport(entries, opts),
      execute: (nb, o) =>
        executeNotebook(nb, {
          argv,
          cwd: o.cwd,
          env: kernelEnv,
          parameters: o.parameters,
          cellTimeoutMs,
          onCell: values.quiet ? undefined : (i) => o.onCell?.(i),
          onProgress: values.quiet ? undefined : (p) => o.onProgress?.(p),
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
      // The pipeline checks its inputs (--only names, the notebook folder) before running any.
      throw new UsageError((err as Error).message, false);
    }
    for (const l of summaryLines(summary)) io.out(l);
    return summary.ok ? 0 : 1;
  },
});
