// The notebook-facing API: `import { ... } from "peft-notebook"` in a cell resolves here.
// Each area keeps its own index; this file only gathers them.
export * from "./display/index.js";
export * from "./plots/index.js";
export * from "./io/index.js";
export * from "./data/index.js";
export * from "./eval/index.js";
export * from "./records/types.js";
export * from "./nn/linear.js";
export type * from "./nn/module.js";
export * from "./backend/index.js";
export * from "./models/index.js";
export * from "./train/index.js";
export * from "./adapters/index.js";
export * from "./pretrain/index.js";
export * from "./experiments/index.js";
export * from "./reproduce/index.js";
export * from "./sweep/index.js";
