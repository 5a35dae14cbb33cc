// The one `peft-nb` CLI. Each subcommand is one module under cli/commands/ exporting `command`;
// this table is the only place that names them. Modules load lazily so that `peft-nb kernel`
// starts without paying for tfjs or the research library.
import { type CliCommand, type CliIO, consoleIO, runCommand } from "./command.js";

interface Entry {
  summary: string;
  load(): Promise<CliCommand>;
}

// The loaded modules are typed by their own options; the table only needs the common shape.
const lazy = (load: () => Promise<{ command: unknown }>) => async () => (await load()).command as CliCommand;

export const COMMANDS: Record<string, Entry> = {
  install: { summary: "install the Jupyter kernelspec", load: lazy(() => import("./commands/install.js")) },
  kernel: {
    summary: "run the Jupyter kernel (started by Jupyter through kernel.json)",
    load: lazy(() => import("./commands/kernel.js")),
  },
  run: {
    summary: "execute a notebook headless through the kernel; write outputs and an HTML report",
    load: lazy(() => import("./commands/run.js")),
  },
  reproduce: {
    summary: "run every reproduction notebook headless; one folder with notebooks, report.html and tables",
    load: lazy(() => import("./commands/reproduce.js")),
  },
  pretrain: {
    summary: "rebuild the shipped base model from its recipe and check its bytes against the record",
    load: lazy(() => import("./commands/pretrain.js")),
  },
  generate: {
    summary: "generate tokens from a model (quick check of a checkpoint)",
    load: lazy(() => import("./commands/generate.js")),
  },
  worker: {
    summary: "train the run jobs of a sweep's queue (BullMQ on Redis) on this machine",
    load: lazy(() => import("./commands/worker.js")),
  },
  queue: {
    summary: "a sweep's queue: status (jobs per notebook, workers alive), retry failed runs",
    load: lazy(() => import("./commands/queue.js")),
  },
};

function usage(): string {
  const width = Math.max(...Object.keys(COMMANDS).map((c) => c.length));
  return [
    "usage: peft-nb <command> [options]",
    "",
    "commands:",
    ...Object.entries(COMMANDS).map(([name, c]) => `  ${name.padEnd(width)}  ${c.summary}`),
    "",
    "Run `peft-nb <command> --help` for the options of one command.",
  ].join("\n");
}

export async function runCli(argv: string[], io: CliIO = consoleIO): Promise<number> {
  const [name, ...rest] = argv;
  if (!name || name === "--help" || name === "-h") {
    (name ? io.out : io.err)(usage());
    return name ? 0 : 2;
  }
  const entry = Object.hasOwn(COMMANDS, name) ? COMMANDS[name] : undefined;
  if (!entry) {
    io.err(`peft-nb: unknown command '${name}'\n\n${usage()}`);
    return 2;
  }
  let command: CliCommand;
  try {
    command = await entry.load();
  } catch (err) {
    io.err(`peft-nb: command '${name}' is not available: ${(err as Error).message}`);
    return 2;
  }
  return runCommand(command, rest, io);
}
