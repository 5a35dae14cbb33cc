// `peft-nb install [--user | --prefix P]`: registers the kernel with Jupyter. No Python needed.
import { join } from "node:path";
import type { CliCommand } from "./main.js";
import { kernelJson, kernelsDir, writeKernelspec } from "../kernelspec/kernelspec.js";
import { projectRoot } from "../executor/module-require.js";

const USAGE = [
  "usage: peft-nb install [--user | --prefix PREFIX]",
  "",
  "Writes the 'peft-nb' kernelspec (kernel.json and logos).",
  "  --user           into Jupyter's per-user data dir (default; honours JUPYTER_DATA_DIR)",
  "  --prefix PREFIX  into PREFIX/share/jupyter/kernels (e.g. a virtualenv or sys.prefix)",
].join("\n");

export const command: CliCommand = {
  summary: "install the Jupyter kernelspec",
  async run(argv) {
    let prefix: string | undefined;
    let user = false;
    for (let i = 0; i < argv.length; i++) {
      const a = argv[i]!;
      if (a === "--help" || a === "-h") {
        console.log(USAGE);
        return 0;
      }
      if (a === "--user") user = true;
      else if (a === "--prefix") {
        prefix = argv[++i];
        if (!prefix) {
          console.error(`peft-nb install: --prefix needs a folder\n\n${USAGE}`);
          return 2;
        }
      } else if (a.startsWith("--prefix=")) prefix = a.slice("--prefix=".length);
      else {
        console.error(`peft-nb install: unknown argument '${a}'\n\n${USAGE}`);
        return 2;
      }
    }
    if (user && prefix) {
      console.error(`peft-nb install: --user and --prefix exclude each other\n\n${USAGE}`);
      return 2;
    }
    const bin = join(projectRoot(), "bin", "peft-nb.js");
    const folder = await writeKernelspec(
      kernelsDir(prefix ? { prefix } : { user: true }),
      kernelJson(process.execPath, bin),
    );
    console.log(`installed kernelspec peft-nb in ${folder}`);
    return 0;
  },
};
