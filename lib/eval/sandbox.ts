// The sandbox for untrusted Python (model-written code): bubblewrap namespaces, limits, a scrubbed
// environment, a whole-tree kill at the deadline, and a HumanEval checker the candidate cannot forge.
// docs/sandbox.md says what it guarantees on which systems; the parts live in ./sandbox/.
export { type CheckTask, checkInSandbox, type SandboxCheck } from "./sandbox/check-in-sandbox.js";
export {
  detectIsolation,
  type Isolation,
  resolveIsolation,
  SandboxUnavailableError,
} from "./sandbox/isolation.js";
export type { IsolationMethod, SandboxLimits } from "./sandbox/options.js";
export { SANDBOX_PYTHON } from "./sandbox/python-env.js";
export { runPythonSandboxed, type SandboxResult } from "./sandbox/run-program.js";
