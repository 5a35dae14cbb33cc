// `peft-nb install [--user | --prefix P]`: registers the kernel with Jupyter. No Python needed.
import { join } from "node:path";
import { kernelJson, kernelsDir, writeKernelspec } from "../../kernel/kernelspec/kernelspec.js";
import { projectRoot } from "../../lib/project-root.js";
import { defineCommand, UsageError } from "../command.js";

export const command = defineCommand({
  name: "install",
  usage: [
    "usage: peft-nb install [--user | --prefix PREFIX]",
    "",
    "Writes the 'peft-nb' kernelspec (kernel.json and logos).",
    "  --user           into Jupyter's per-user data dir (default; honours JUPYTER_DATA_DIR)",
    "  --prefix PREFIX  into PREFIX/share/jupyter/kernels (e.g. a virtualenv or sys.prefix)",
  ].join("\n"),
  options: { user: { type: "boolean" }, prefix: { type: "string" } },
  async run({ values }, io) {
    const { user, prefix } = values;
    if (user && prefix !== undefined) throw new UsageError("--user and --prefix exclude each other");
    if (prefix === "") throw new UsageError("--prefix needs a folder");
    const bin = join(projectRoot(), "bin", "peft-nb.js");
    const folder = await writeKernelspec(
      kernelsDir(prefix ? { prefix } : { user: true }),
      kernelJson(process.execPath, bin),
    );
    io.out(`installed kernelspec peft-nb in ${folder}`);
    return 0;
  },
});
