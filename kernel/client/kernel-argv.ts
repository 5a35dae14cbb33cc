// Kernel launch commands: a kernelspec-style argv whose `{connection_file}` placeholder is filled in.
import { join } from "node:path";
import { projectRoot } from "../../lib/project-root.js";

export const CONNECTION_FILE_PLACEHOLDER = "{connection_file}";

/** This project's own kernel, as its kernelspec launches it. */
export function defaultKernelArgv(): string[] {
  return [
    process.execPath,
    join(projectRoot(), "bin", "peft-nb.js"),
    "kernel",
    "--connection-file",
    CONNECTION_FILE_PLACEHOLDER,
  ];
}

/** tslab's kernel, useful as a reference implementation. */
export function tslabKernelArgv(): string[] {
  return [join(projectRoot(), "node_modules", ".bin", "tslab"), "kernel", "--config-path", CONNECTION_FILE_PLACEHOLDER];
}

export function fillKernelArgv(argv: string[], connectionFile: string): string[] {
  if (argv.length === 0) throw new Error("kernel command is empty");
  if (!argv.some((a) => a.includes(CONNECTION_FILE_PLACEHOLDER))) {
    throw new Error(
      `kernel command ${JSON.stringify(argv)} has no ${CONNECTION_FILE_PLACEHOLDER} placeholder to pass the connection file`,
    );
  }
  return argv.map((a) => a.split(CONNECTION_FILE_PLACEHOLDER).join(connectionFile));
}

/**
 * Splits a `--kernel-cmd` string into argv: whitespace separates, single or double quotes group.
 * Enough for paths with spaces without pulling in a shell.
 */
export function splitCommandLine(cmd: string): string[] {
  const out: string[] = [];
  let cur = "";
  let quote: string | null = null;
  let started = false;
  for (const ch of cmd) {
    if (quote) {
      if (ch === quote) quote = null;
      else cur += ch;
    } else if (ch === "'" || ch === '"') {
      quote = ch;
      started = true;
    } else if (/\s/.test(ch)) {
      if (started) out.push(cur);
      cur = "";
      started = false;
    } else {
      cur += ch;
      started = true;
    }
  }
  if (quote) throw new Error(`unterminated ${quote} quote in kernel command: ${cmd}`);
  if (started) out.push(cur);
  return out;
}
