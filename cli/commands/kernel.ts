// `peft-nb kernel --connection-file F`: what kernel.json's argv runs.
import { startKernel } from "../../kernel/session/kernel.js";
import { defineCommand, UsageError } from "../command.js";

export const command = defineCommand({
  name: "kernel",
  usage:
    "usage: peft-nb kernel --connection-file FILE\n\nRuns the Jupyter kernel on the sockets the connection file names.",
  options: { "connection-file": { type: "string", short: "f" } },
  async run({ values }, io) {
    const file = values["connection-file"];
    if (!file) throw new UsageError("--connection-file is required");
    const log = (line: string) => io.err(`[peft-nb kernel] ${line}`);
    const kernel = await startKernel(file, log);
    await kernel.closed;
    // Anything still holding the event loop (a stuck socket) must not keep a shut-down kernel alive.
    setTimeout(() => process.exit(0), 200).unref();
    return 0;
  },
});
