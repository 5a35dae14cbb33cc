export { useBackend, parseBackendName, resolveThreads } from "./select.js";
export type { BackendChoice, BackendName, UseBackendOptions } from "./select.js";
export { MemoryMeter, timed } from "./memory.js";
export type { MemorySnapshot } from "./memory.js";
export { matMul } from "./matmul.js";
export { nativeStatus } from "./native/addon.js";
