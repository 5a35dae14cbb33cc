// `peft-nb kernel --connection-file F`: what kernel.json's argv runs.
import type { CliCommand } from "./main.js";
import { startKernel } from "../session/kernel.js";

const USAGE =
  "usage: peft-nb kernel --connection-file FILE\n\nRuns the Jupyter kernel on the sockets the connection file names.";

export const command: CliCommand = {
  summary: "run the Jupyter kernel (started by Jupyter through kernel.json)",
  async run(argv) {
    let file: string | undefined;
    for (let i = 0; i < argv.length; i++) {
      const a = argv[i]!;
      if (a === "--help" || a === "-h") {
        console.log(USAGE);
        return 0;
      }
      if (a === "--connection-file" || a === "-f") file = argv[++i];
      else if (a.startsWith("--connection-file=")) file = a.slice("--connection-file=".length);
      else {
        console.error(`peft-nb kernel: unknown argument '${a}'\n\n${USAGE}`);
        return 2;
      }
    }
    if (!file) {
      console.error(`peft-nb kernel: --connection-file is required\n\n${USAGE}`);
      return 2;
    }
    const log = (line: string) => process.stderr.write(`[peft-nb kernel] ${line}\n`);
    let kernel;
    try {
      kernel = await startKernel(file, log);
    } catch (err) {
      console.error(`peft-nb kernel: ${(err as Error).message}`);
      return 1;
    }
    await kernel.closed;
    // Anything still holding the event loop (a stuck socket) must not keep a shut-down kernel alive.
    setTimeout(() => process.exit(0), 200).unref();
    return 0;
  },
};
