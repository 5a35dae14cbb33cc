// Kernel start-up and trivial-cell latency, for peft-nb and tslab's own kernel in one run.
//   npm run build && node dist/bench/kernel.js [--cells N] [--starts N]
// Start-up: process spawn -> first kernel_info_reply. Round trip: execute_request sent ->
// execute_reply and the idle status both received, for the cell `1`, after a warm-up: first
// from this project's Node driver, then from Jupyter's Python client (jupyter_client_latency.py).
import { spawnSync } from "node:child_process";
import { mkdtempSync } from "node:fs";
import { cpus, loadavg } from "node:os";
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

/** One kernel under test: its start-up times, then its round trips. */
interface Subject {
  name: string;
  argv: string[];
  driver?: KernelDriver;
  startTimes: number[];
  trivial: number[];
  distinct: number[];
  lost: number;
  failure?: string;
}

interface Figures {
  startMs: number;
  p50: number;
  p99: number;
  distinctP50: number;
}

async function startKernel(s: Subject, starts: number): Promise<void> {
  const env = { PEFT_NB_HISTORY_FILE: join(mkdtempSync(join(tmpdir(), "bench-hist-")), "h.jsonl") };
  for (let i = 0; i < starts; i++) {
    const r = await KernelDriver.start(s.argv, env, ROOT);
    s.startTimes.push(r.startMs);
    if (i < starts - 1) await r.driver.close();
    else s.driver = r.driver;
  }
  // Warm-up: runtime start, JIT, the type checker loading TypeScript.
  for (let i = 0; i < 20; i++) for (const code of ["1", `${-i} + 1`]) await s.driver!.execute(code, {}, 300_000, 5000);
}

async function block(s: Subject, from: number, n: number): Promise<void> {
  const run = async (code: string, into: number[]) => {
    const t0 = performance.now();
    const r = await s.driver!.execute(code, {}, 120_000, 5000);
    into.push(performance.now() - t0);
    if (r.idleLost) s.lost++;
  };
  for (let i = from; i < from + n; i++) {
    await run("1", s.trivial);
    await run(`${i} + 1`, s.distinct); // distinct cells defeat any per-cell caching
  }
}

async function failed(s: Subject, err: unknown): Promise<void> {
  const d = s.driver;
  const exited = d && (d.proc.exitCode !== null || d.proc.signalCode !== null);
  s.failure = `${(err as Error).message}${exited ? ` (kernel exited: ${d.proc.exitCode ?? d.proc.signalCode})` : ""}${d ? `; kernel stderr: ${d.stderr.join("").slice(-300)}` : ""}`;
  await d?.close();
}

/**
 * Both kernels run at once and take turns in blocks (order alternating, a quiet second after each
 * block so one kernel's background work does not slow the other's turn): the machine's load
 * drifts over both alike, and the ratio is measured in one run.
 */
async function sideBySide(subjects: Subject[], cells: number, starts: number, rounds = 10): Promise<void> {
  for (const s of subjects) await startKernel(s, starts).catch((err) => failed(s, err));
  const per = Math.max(1, Math.floor(cells / rounds));
  for (let r = 0; r < rounds; r++) {
    for (const s of r % 2 ? [...subjects].reverse() : subjects) {
      if (s.failure) continue;
      await block(s, r * per, per).catch((err) => failed(s, err));
      await new Promise((res) => setTimeout(res, 1000));
    }
  }
  for (const s of subjects) await s.driver?.close();
}

function figures(s: Subject): Figures | null {
  if (s.failure) {
    console.log(`${s.name.padEnd(8)} measurement failed: ${s.failure}`);
    return null;
  }
  const f = {
    startMs: quantile(s.startTimes, 0.5),
    p50: quantile(s.trivial, 0.5),
    p99: quantile(s.trivial, 0.99),
    distinctP50: quantile(s.distinct, 0.5),
  };
  console.log(
    `${s.name.padEnd(8)} start->kernel_info_reply ${f.startMs.toFixed(0).padStart(6)} ms (median of ${s.startTimes.length}) | ` +
      `cell "1" p50 ${f.p50.toFixed(2)} ms p90 ${quantile(s.trivial, 0.9).toFixed(2)} ms p99 ${f.p99.toFixed(2)} ms | ` +
      `distinct cells p50 ${f.distinctP50.toFixed(2)} ms p90 ${quantile(s.distinct, 0.9).toFixed(2)} ms (${s.trivial.length} each)` +
      (s.lost ? ` | ${s.lost} idle status never arrived (counted as reply + 5 s)` : ""),
  );
  return f;
}

const cells = arg("--cells", 200);
const starts = arg("--starts", 3);
const OURS = [process.execPath, join(ROOT, "bin", "peft-nb.js"), "kernel", "--connection-file", "{connection_file}"];
const TSLAB = [
  process.execPath,
  join(ROOT, "node_modules", "tslab", "bin", "tslab"),
  "kernel",
  "--config-path",
  "{connection_file}",
];
const subject = (name: string, argv: string[]): Subject => ({
  name,
  argv,
  startTimes: [],
  trivial: [],
  distinct: [],
  lost: 0,
});
const subjects = [subject("peft-nb", OURS), subject("tslab", TSLAB)];
console.log("Node driver (bench/kernel-driver.ts), kernels taking turns:");
await sideBySide(subjects, cells, starts);
const [ours, theirs] = subjects.map(figures);
if (ours && theirs)
  console.log(
    `ratio tslab/peft-nb: start ${(theirs.startMs / ours.startMs).toFixed(1)}x, p50 ${(theirs.p50 / ours.p50).toFixed(1)}x, p99 ${(theirs.p99 / ours.p99).toFixed(1)}x, ` +
      `distinct p50 ${(theirs.distinctP50 / ours.distinctP50).toFixed(1)}x`,
  );

/** The same round trip as Jupyter's own Python client sees it, both kernels side by side in one run. */
function jupyterClientSideBySide(): { ours: number; theirs: number } | null {
  const python = process.env.PEFT_PYTHON ?? "/usr/bin/python3";
  const script = join(ROOT, "bench", "jupyter_client_latency.py");
  console.log(`\njupyter_client (${python}), kernels taking turns:`);
  const r = spawnSync(
    python,
    [
      script,
      "--json",
      "--cells",
      String(cells),
      ...["peft-nb", "tslab"].flatMap((n, i) => ["--kernel", `${n}=${JSON.stringify([OURS, TSLAB][i])}`]),
    ],
    { cwd: ROOT, encoding: "utf8", stdio: ["ignore", "pipe", "inherit"] },
  );
  if (r.status !== 0) {
    console.log(
      `jupyter_client measurement failed (${r.error?.message ?? `exit ${r.status}`}); needs python3-jupyter-client`,
    );
    return null;
  }
  const f = JSON.parse(r.stdout) as Record<string, Record<string, { p50: number }>>;
  const p50 = (name: string) => f[name]?.["1"]?.p50 ?? Number.NaN;
  console.log(
    `jupyter_client cell "1" p50: peft-nb ${p50("peft-nb").toFixed(2)} ms, tslab ${p50("tslab").toFixed(2)} ms`,
  );
  return { ours: p50("peft-nb"), theirs: p50("tslab") };
}
const client = jupyterClientSideBySide();

console.log(
  `load average ${loadavg()
    .map((l) => l.toFixed(1))
    .join(" ")} on ${cpus().length} cores`,
);
if (ours)
  console.log(
    `targets: start <= 500 ms ${ours.startMs <= 500 ? "met" : "MISSED"}; p50 <= 2 ms ${ours.p50 <= 2 ? "met" : "MISSED"}` +
      (client ? `; jupyter_client p50 below tslab's ${client.ours < client.theirs ? "met" : "MISSED"}` : ""),
  );
process.exit(ours && theirs && client ? 0 : 1);
