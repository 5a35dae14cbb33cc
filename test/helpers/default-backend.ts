// vitest setup. Every test file that uses tfjs starts on the backend users get by default
// (useBackend(): native where it is built, else wasm), not on tfjs's own default (cpu). A file that
// needs a particular backend asks for it in its own hooks, which run after this one. Files that never
// import tfjs pay nothing: the engine global only exists once tfjs is loaded.
import { beforeAll } from "vitest";

// vitest already runs two files at once on the two cores: one compute thread each (PEFT_THREADS
// from the environment still wins). The native kernels' threaded paths have their own tests.
process.env.PEFT_THREADS ??= "1";

beforeAll(async () => {
  if (!(globalThis as { _tfengine?: unknown })._tfengine) return;
  const { useBackend } = await import("../../lib/backend/index.js");
  await useBackend();
});
