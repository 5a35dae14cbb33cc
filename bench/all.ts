// Runs the benchmarks one after another, each in its own process (so one's tfjs state and
// memory never colour another's figures), and prints their output as it comes.
//   npm run bench                 every benchmark
//   npm run bench -- kernel train only these; extra flags after `--` go to each script
import { spawnSync } from "node:child_process";
import { fileURLToPath } from "node:url";

const BENCHES = ["kernel", "models", "adapters", "train", "pretrain", "sandbox", "gate", "sweep"] as const;

const args = process.argv.slice(2);
const named = args.filter((a) => (BENCHES as readonly string[]).includes(a));
const unknown = args.filter((a) => !a.startsWith("-") && !named.includes(a));
if (unknown.length) {
  console.error(`bench: unknown benchmark ${unknown.join(", ")}; choose from ${BENCHES.join(", ")}`);
  process.exit(2);
}
const flags = args.filter((a) => a.startsWith("-"));
let failed = 0;
for (const name of named.length ? named : BENCHES) {
  const script = fileURLToPath(new URL(`./${name}.js`, import.meta.url));
  console.log(`\n=== bench/${name} ===`);
  const r = spawnSync(process.execPath, [script, ...flags], { stdio: "inherit" });
  if (r.status !== 0) {
    failed++;
    console.error(`bench/${name} exited ${r.status ?? r.signal}`);
  }
}
process.exit(failed ? 1 : 0);
