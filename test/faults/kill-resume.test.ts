// SIGKILL at 20 seeded points of a training run, half of them in the middle of writing a
// checkpoint (after each file, after the manifest, after the rename, after pruning), for every
// method; each killed run is resumed in a fresh process and must end with exactly the weights,
// loss curve, learning rates, gradient norms and gates of the uninterrupted run. Resumed LoRA-GA
// and hybrid runs estimate their gradients from other batches than the original: only the
// checkpoint's B₀, A₀ can make them continue the same run.
import { spawn } from "node:child_process";
import { existsSync, mkdtempSync, readdirSync, readFileSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { mulberry32 } from "../../lib/random/mulberry32.js";
import { ensureBuilt, ROOT } from "../helpers/ensure-built.js";
import { printFigures, type Row } from "./helpers/figures.js";

const CHILD = join(ROOT, "test", "faults", "fixtures", "train-child.mjs");
const METHODS = ["full", "lora", "boft", "loraga", "urnn", "hybrid"] as const;
const STEPS = 8;
const EVERY = 2;
const KEEP = 2;
const FILES = ["trainable.safetensors", "optimizer.safetensors", "state.json", "trainable-state.safetensors"];

type Pause = { kind: "step"; step: number } | { kind: "phase"; step: number; phase: string; file?: string };
interface Point {
  method: (typeof METHODS)[number];
  pause: Pause;
  /** The checkpoint a resume must start from (0: none, from scratch). */
  expectFrom: number;
}
interface Result {
  steps: number;
  resumedFrom: string | null;
  losses: number[];
  lrs: number[];
  gradNorms: unknown[];
  gates: unknown[];
  weights: Record<string, string>;
}

/**
 * 20 points from a fixed seed, in pairs per method (each method is killed both between steps and
 * inside a checkpoint write): every write phase at least once (after each of the four files, after
 * the manifest, after the rename, after pruning), every step 1..7 at least once, the rest drawn.
 */
function killPoints(seed = 20_251_130): Point[] {
  const rand = mulberry32(seed);
  const pick = <T>(xs: readonly T[]): T => xs[Math.floor(rand() * xs.length)] as T;
  const shuffled = <T>(xs: readonly T[]): T[] => {
    const out = [...xs];
    for (let i = out.length - 1; i > 0; i--) {
      const j = Math.floor(rand() * (i + 1));
      [out[i], out[j]] = [out[j] as T, out[i] as T];
    }
    return out;
  };
  const phases = [...FILES.map((f) => `file:${f}`), "sealed", "renamed", "pruned"];
  const steps = Array.from({ length: STEPS - 1 }, (_, i) => i + 1);
  const phaseOrder = [...shuffled(phases), ...Array.from({ length: 3 }, () => pick(phases))];
  const stepOrder = [...shuffled(steps), ...Array.from({ length: 3 }, () => pick(steps))];
  const checkpoints = Array.from({ length: STEPS / EVERY }, (_, i) => (i + 1) * EVERY);
  return phaseOrder.flatMap((where, i): Point[] => {
    const method = METHODS[i % METHODS.length] as Point["method"];
    const [phase, file] = where.split(":") as [string, string | undefined];
    // Pruning starts once more than KEEP checkpoints exist.
    const at = pick(phase === "pruned" ? checkpoints.slice(KEEP) : checkpoints);
    const done = phase === "renamed" || phase === "pruned";
    const step = stepOrder[i] as number;
    return [
      {
        method,
        pause: { kind: "phase", step: at, phase, ...(file ? { file } : {}) },
        expectFrom: done ? at : at - EVERY,
      },
      { method, pause: { kind: "step", step }, expectFrom: step - (step % EVERY) },
    ];
  });
}

function label(p: Pause): string {
  return p.kind === "step" ? `step@${p.step}` : `${p.phase}${p.file ? `:${p.file}` : ""}@${p.step}`;
}

/** Runs the child to its end, or until it pauses at `pause` and is SIGKILLed there. */
function runChild(job: Record<string, unknown>, pause?: Pause): Promise<{ killed: boolean; stderr: string }> {
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, [CHILD, JSON.stringify({ ...job, pauseAt: pause })], {
      cwd: ROOT,
      stdio: ["ignore", "pipe", "pipe"],
    });
    let out = "";
    let stderr = "";
    let killedAt: string | null = null;
    child.stderr.on("data", (d) => (stderr += d));
    child.stdout.on("data", (d) => {
      out += d;
      const m = /PAUSED (\S+)\n/.exec(out);
      if (m && !killedAt) {
        killedAt = m[1] as string;
        child.kill("SIGKILL");
      }
    });
    child.on("close", (code, signal) => {
      if (pause) {
        if (signal === "SIGKILL" && killedAt === label(pause)) resolve({ killed: true, stderr });
        else reject(new Error(`child did not stop at ${label(pause)} (exit ${code}, ${signal}):\n${out}\n${stderr}`));
      } else if (code === 0) resolve({ killed: false, stderr });
      else reject(new Error(`child exited ${code} ${signal}:\n${out}\n${stderr}`));
    });
  });
}

const root = mkdtempSync(join(tmpdir(), "faults-kill-"));
const references = new Map<string, Result>();
const figures: Row[] = [];
const read = (file: string) => JSON.parse(readFileSync(file, "utf8")) as Result;

beforeAll(async () => {
  await ensureBuilt();
  for (const method of METHODS) {
    const out = join(root, `reference-${method}.json`);
    await runChild({ method, steps: STEPS, out });
    references.set(method, read(out));
  }
}, 300_000);

afterAll(() => {
  printFigures(
    `SIGKILL and resume: ${figures.length} seeded points, ${STEPS} steps, checkpoint every ${EVERY}`,
    figures,
  );
  rmSync(root, { recursive: true, force: true });
});

describe("SIGKILL at 20 seeded points, then resume in a new process", () => {
  const points = killPoints();

  it("covers every method both ways, every write phase and every step", () => {
    expect(points).toHaveLength(20);
    for (const m of METHODS)
      expect(new Set(points.filter((p) => p.method === m).map((p) => p.pause.kind)), m).toEqual(
        new Set(["phase", "step"]),
      );
    const phases = points.flatMap((p) => (p.pause.kind === "phase" ? [label(p.pause).split("@")[0]] : []));
    expect(new Set(phases).size).toBe(FILES.length + 3);
    const steps = points.flatMap((p) => (p.pause.kind === "step" ? [p.pause.step] : []));
    expect(new Set(steps).size).toBe(STEPS - 1);
  });

  it.each(points.map((p, i) => [i + 1, p.method, label(p.pause), p] as const))(
    "%i: %s killed at %s resumes to the uninterrupted result",
    async (_i, method, where, point) => {
      const dir = join(root, `run-${_i}`);
      const job = { method, steps: STEPS, dir, every: EVERY, keepLast: KEEP };
      const t0 = performance.now();
      await runChild({ ...job, out: join(dir, "never.json") }, point.pause);
      const onDisk = existsSync(dir) ? readdirSync(dir).sort() : [];
      const out = join(root, `resumed-${_i}.json`);
      // A resume from a checkpoint re-estimates LoRA-GA's gradient from other batches (one from
      // scratch has nothing to carry over: it is a new run, so it must estimate as the original did).
      const { stderr } = await runChild({ ...job, out, ...(point.expectFrom > 0 ? { estimateSeed: 1234 } : {}) });
      const seconds = (performance.now() - t0) / 1000;
      const r = read(out);
      const ref = references.get(method) as Result;
      const from = r.resumedFrom ? Number(/ckpt-(\d+)$/.exec(r.resumedFrom)?.[1]) : 0;
      const same =
        JSON.stringify([r.losses, r.lrs, r.gradNorms, r.gates, r.weights]) ===
        JSON.stringify([ref.losses, ref.lrs, ref.gradNorms, ref.gates, ref.weights]);
      figures.push({
        "#": _i,
        method,
        "killed at": where,
        "on disk after the kill":
          onDisk.map((n) => n.replace(/^(\.tmp-ckpt-\d+)-\d+$/, "$1-<pid>")).join(" ") || "(none)",
        "resumed from": from ? `ckpt ${from}` : "scratch",
        "steps redone": STEPS - from,
        "bit-identical": same,
        seconds,
      });
      expect(from, stderr).toBe(point.expectFrom);
      expect(r.steps).toBe(STEPS);
      expect(r.losses).toEqual(ref.losses);
      expect(r.lrs).toEqual(ref.lrs);
      expect(r.gradNorms).toEqual(ref.gradNorms);
      expect(r.gates).toEqual(ref.gates);
      expect(r.weights).toEqual(ref.weights);
      // A write that died left only debris, removed by the next write.
      expect(readdirSync(dir).filter((n) => n.startsWith(".tmp-"))).toEqual([]);
    },
  );
});
