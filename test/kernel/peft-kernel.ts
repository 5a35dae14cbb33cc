// Shared by the tests that run this project's own kernel (launched from dist/, as its kernelspec does).
import { join } from "node:path";
import { projectRoot } from "../../lib/project-root.js";

export const ROOT = projectRoot();
export const BIN = join(ROOT, "bin", "peft-nb.js");

export { ensureBuilt } from "../helpers/ensure-built.js";
