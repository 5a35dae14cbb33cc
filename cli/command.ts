// The seam every `peft-nb` subcommand plugs into: a command declares its usage and its
// node:util parseArgs options, and gets parsed values and one IO to print through. Parsing,
// --help and usage errors are handled here once, so every command answers them alike.
import { type ParseArgsConfig, parseArgs } from "node:util";

type ParseArgsOptionsConfig = NonNullable<ParseArgsConfig["options"]>;

/** Where a command prints: stdout for results, stderr for progress and errors. */
export interface CliIO {
  out(text: string): void;
  err(text: string): void;
}

export const consoleIO: CliIO = { out: (t) => console.log(t), err: (t) => console.error(t) };

type Parsed<O extends ParseArgsOptionsConfig> = ReturnType<typeof parseArgs<{ options: O; allowPositionals: true }>>;

export interface CliCommand<O extends ParseArgsOptionsConfig = ParseArgsOptionsConfig> {
  /** As typed after `peft-nb`. */
  name: string;
  /** The whole `--help` text, starting with `usage: peft-nb <name> ...`. */
  usage: string;
  /** Options for node:util parseArgs; `--help`/`-h` is added for every command. */
  options: O;
  /** Whether positional arguments are accepted (run() checks how many). */
  positionals?: boolean;
  /** Returns the process exit code: 0 done, 1 failed, 2 bad usage. */
  run(args: Parsed<O>, io: CliIO): Promise<number>;
}

/** Declares a command with its option types inferred (so run() sees typed values). */
export function defineCommand<const O extends ParseArgsOptionsConfig>(command: CliCommand<O>): CliCommand<O> {
  return command;
}

/** Bad arguments: exit 2 with the message, and the usage text unless `showUsage` is false. */
export class UsageError extends Error {
  constructor(
    message: string,
    readonly showUsage = true,
  ) {
    super(message);
    this.name = "UsageError";
  }
}

/**
 * Parses `argv` for `command` and runs it. `--help` prints the usage (exit 0); unknown options,
 * missing values and UsageErrors print `peft-nb <name>: <problem>` (exit 2); any other error
 * escaping run() prints its message (exit 1).
 */
export async function runCommand<O extends ParseArgsOptionsConfig>(
  command: CliCommand<O>,
  argv: string[],
  io: CliIO = consoleIO,
): Promise<number> {
  const prefix = `peft-nb ${command.name}`;
  try {
    const options = { ...command.options, help: { type: "boolean", short: "h" } } as const;
    const all = parseArgs({ args: argv, options, allowPositionals: true, strict: true });
    if ((all.values as { help?: boolean }).help) {
      io.out(command.usage);
      return 0;
    }
    if (!command.positionals && all.positionals.length)
      throw new UsageError(`unexpected argument '${all.positionals[0]}'`);
    // The values are typed by the command's own options; `help` was only added here.
    return await command.run(all as unknown as Parsed<O>, io);
  } catch (err) {
    if (err instanceof UsageError || (err as { code?: string }).code?.startsWith("ERR_PARSE_ARGS_")) {
      const show = !(err instanceof UsageError) || err.showUsage;
      io.err(`${prefix}: ${(err as Error).message}${show ? `\n\n${command.usage}` : ""}`);
      return 2;
    }
    io.err(`${prefix}: ${(err as Error).message}`);
    return 1;
  }
}
