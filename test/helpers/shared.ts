// Read-only files shared by the development machines and CI: the benchmark data and the small
// real model, in `../shared` beside the project (PEFT_SHARED_DIR overrides it), never a fixed path.
import { join, resolve } from "node:path";
import { ROOT } from "./ensure-built.js";

export const SHARED_DIR = process.env.PEFT_SHARED_DIR || resolve(ROOT, "..", "shared");

/** llama2.c's stories260K checkpoint (MIT), the real model the model and io tests load. */
export const STORIES = join(SHARED_DIR, "models", "stories260K.bin");
