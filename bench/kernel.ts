// Kernel start-up and trivial-cell latency, for peft-nb and tslab's own kernel in one run.
//   npm run build && node dist/bench/kernel.js [--cells N] [--starts N]
// Start-up: process spawn -> first kernel_info_reply. Round trip: execute_request sent ->
// execute_reply and the idle status both received, for the cell `1`, after a warm-up.
import { mkdtempSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { projectRoot } from "../lib/project-root.js";
import { KernelDriver } from "./kernel-driver.js";

const ROOT = projectRoot();

function arg(name: string, fallback: number): number {
  const i = process.argv.indexOf(name);
  return i >= 0 ? Number(process.argv[i + 1]) : fallback;
}

function quantile(xs: number[], q: number): number {
  const s = [...xs].sort((a, b) => a - b);
  return s[Math.min(s.length - 1, Math.floor(q * s.length))]!;
}

interface Figures {
  startMs: number;
  p50: number;
  p99: number;
  distinctP50: number;
  distinctP99: number;
}

async function measure(name: string, argv: string[], cells: number, starts: number): Promise<Figures> {
  const env = { PEFT_NB_HISTORY_FILE: join(mkdtempSync(join(tmpdir(), "bench-hist-")), "h.jsonl") };
  const startTimes: number[] = [];
  let driver: KernelDriver | undefined;
  for (let i = 0; i < starts; i++) {
    const r = await KernelDriver.start(argv, env, ROOT);
    startTimes.push(r.startMs);
    if (i < starts - 1) await r.driver.close();
    else driver = r.driver;
  }
  const d = driver!;
  try {
    return await cellLatencies(name, d, startTimes, cells);
  } catch (err) {
    const exited = d.proc.exitCode !== null || d.proc.signalCode !== null;
    await d.close();
    throw new Error(
      `${(err as Error).message}${exited ? ` (kernel exited: ${d.proc.exitCode ?? d.proc.signalCode})` : ""}; kernel stderr: ${d.stderr.join("").slice(-300)}`,
    );
  }
}

async function cellLatencies(name: string, d: KernelDriver, startTimes: number[], cells: number): Promise<Figures> {
  let lost = 0;
  const run = async (code: string) => {
    const t0 = performance.now();
    const r = await d.execute(code, {}, 120_000, 5000);
    if (r.idleLost) lost++;
    return performance.now() - t0;
  };
  for (let i = 0; i < 20; i++) await d.execute("1", {}, 300_000, 5000); // warm-up: runtime start, JIT
  const rt: number[] = [];
  for (let i = 0; i < cells; i++) rt.push(await run("1"));
  // Distinct cells defeat any per-cell caching (the type checker memoises repeated cells).
  const distinct: number[] = [];
  for (let i = 0; i < cells; i++) distinct.push(await run(`${i} + 1`));
  await d.close();
  const f = {
    startMs: quantile(startTimes, 0.5),
    p50: quantile(rt, 0.5),
    p99: quantile(rt, 0.99),
    distinctP50: quantile(distinct, 0.5),
    distinctP99: quantile(distinct, 0.99),
  };
  console.log(
    `${name.padEnd(8)} start->kernel_info_reply ${f.startMs.toFixed(0).padStart(6)} ms (median of ${starts}) | ` +
      `cell "1" p50 ${f.p50.toFixed(2)} ms p99 ${f.p99.toFixed(2)} ms | distinct cells p50 ${f.distinctP50.toFixed(2)} ms p99 ${f.distinctP99.toFixed(2)} ms (${cells} each)` +
      (lost ? ` | ${lost} idle status never arrived (counted as reply + 5 s)` : ""),
  );
  return f;
}

const cells = arg("--cells", 200);
const starts = arg("--starts", 3);
async function measureOrReport(name: string, argv: string[]): Promise<Figures | null> {
  try {
    return await measure(name, argv, cells, starts);
  } catch (err) {
    console.log(`${name.padEnd(8)} measurement failed: ${(err as Error).message}`);
    return null;
  }
}

const ours = await measureOrReport("peft-nb", [
  process.execPath,
  join(ROOT, "bin", "peft-nb.js"),
  "kernel",
  "--connection-file",
  "{connection_file}",
]);
const tslabBin = join(ROOT, "node_modules", "tslab", "bin", "tslab");
const theirs = await measureOrReport("tslab", [
  process.execPath,
  tslabBin,
  "kernel",
  "--config-path",
  "{connection_file}",
]);
if (ours && theirs)
  console.log(
    `ratio tslab/peft-nb: start ${(theirs.startMs / ours.startMs).toFixed(1)}x, p50 ${(theirs.p50 / ours.p50).toFixed(1)}x, p99 ${(theirs.p99 / ours.p99).toFixed(1)}x, ` +
      `distinct p50 ${(theirs.distinctP50 / ours.distinctP50).toFixed(1)}x`,
  );
console.log(
  `load average ${(await import("node:os"))
    .loadavg()
    .map((l) => l.toFixed(1))
    .join(" ")} on ${(await import("node:os")).cpus().length} cores`,
);
if (ours)
  console.log(
    `targets: start <= 500 ms ${ours.startMs <= 500 ? "met" : "MISSED"}; p50 <= 2 ms ${ours.p50 <= 2 ? "met" : "MISSED"}`,
  );
process.exit(ours && theirs ? 0 : 1);
