// The one CLI. Each subcommand lives in its own module and is loaded lazily so that
// `peft-nb kernel` starts without paying for tfjs or the research library.

export interface CliCommand {
  summary: string;
  /** Returns the process exit code. */
  run(argv: string[]): Promise<number>;
}

type Loader = () => Promise<CliCommand>;

const commands: Record<string, Loader> = {
  kernel: async () => (await import("./kernel-command.js")).command,
  install: async () => (await import("./install-command.js")).command,
  run: async () => (await import("./run-command.js")).command,
  generate: async () => (await import("../../lib/cli/generate-command.js")).command,
  reproduce: async () => (await import("../../lib/cli/reproduce-command.js")).command,
  worker: async () => (await import("../../lib/cli/worker-command.js")).command,
  queue: async () => (await import("../../lib/cli/queue-command.js")).command,
};

function usage(): string {
  return [
    "usage: peft-nb <command> [options]",
    "",
    "commands:",
    ...Object.keys(commands).map((c) => `  ${c}`),
    "",
    "Run `peft-nb <command> --help` for the options of one command.",
  ].join("\n");
}

export async function runCli(argv: string[]): Promise<number> {
  const [name, ...rest] = argv;
  if (!name || name === "--help" || name === "-h") {
    console.log(usage());
    return name ? 0 : 2;
  }
  const load = commands[name];
  if (!load) {
    console.error(`peft-nb: unknown command '${name}'\n\n${usage()}`);
    return 2;
  }
  let command: CliCommand;
  try {
    command = await load();
  } catch (err) {
    console.error(`peft-nb: command '${name}' is not available: ${(err as Error).message}`);
    return 2;
  }
  return command.run(rest);
}
