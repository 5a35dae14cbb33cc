// The paper's claims set beside what a rerun measured, and the learning-signal check the
// scaled-down reruns must pass. Both return Tables so notebooks save them like any result.
import type { Cell, MeanStd, Table } from "../plots/table.js";

/** A claim of the form "method X needs about `ratio` of full fine-tuning's <resource>". */
export interface ResourceClaim {
  resource: "time" | "memory";
  /** The paper's words. */
  text: string;
  /** The claimed ratio to full fine-tuning (below 1 is cheaper). */
  ratio: number;
}

/** Abstract of arXiv 2507.18076: "reducing training time by about 2.1x and peak memory by nearly 50%". */
export const PAPER_RESOURCE_CLAIMS: readonly ResourceClaim[] = [
  { resource: "time", text: "training time about 2.1x lower than full fine-tuning", ratio: 1 / 2.1 },
  { resource: "memory", text: "peak memory about 50% lower than full fine-tuning", ratio: 0.5 },
];

export interface ResourceRatios {
  method: string;
  /** Training time / full fine-tuning's. */
  timeRatio: number;
  /** Peak memory / full fine-tuning's. */
  memoryRatio: number;
}

export interface ClaimOptions {
  /** How far above the claimed ratio still counts as "about" (default 0.2 = 20%). */
  tolerance?: number;
  claims?: readonly ResourceClaim[];
}

/** Verdict of one claim: it holds when the measured ratio is at most the claimed one plus the tolerance. */
export function claimHolds(claim: ResourceClaim, measuredRatio: number, tolerance = 0.2): boolean {
  if (!Number.isFinite(measuredRatio) || measuredRatio <= 0)
    throw new Error(`claimHolds: measured ${claim.resource} ratio must be a positive number, found ${measuredRatio}`);
  return measuredRatio <= claim.ratio * (1 + tolerance);
}

/** One row per (method, claim): the paper's number, ours, and whether the claim holds here. */
export function resourceClaimTable(rows: readonly ResourceRatios[], opts: ClaimOptions = {}): Table {
  const tolerance = opts.tolerance ?? 0.2;
  const claims = opts.claims ?? PAPER_RESOURCE_CLAIMS;
  if (rows.length === 0) throw new Error("resourceClaimTable: no methods given");
  const out: Cell[][] = [];
  for (const r of rows) {
    for (const c of claims) {
      const measured = c.resource === "time" ? r.timeRatio : r.memoryRatio;
      out.push([
        r.method,
        c.text,
        c.ratio,
        measured,
        1 / measured,
        claimHolds(c, measured, tolerance) ? "holds" : "does not hold",
      ]);
    }
  }
  return {
    columns: [
      "method",
      "paper's claim",
      "claimed ratio",
      "measured ratio",
      "measured saving (x)",
      `verdict (±${Math.round(tolerance * 100)}%)`,
    ],
    rows: out,
    digits: 2,
    caption: "Resource claims of the paper beside this rerun (ratios to full fine-tuning; below 1 is cheaper)",
  };
}

/**
 * The claims table in words, for a report's verdict: the focus method's (the paper's claims are
 * the hybrid's) measured ratio beside each claim and whether it holds, then which methods meet each.
 */
export function resourceClaimVerdict(
  rows: readonly ResourceRatios[],
  opts: ClaimOptions & { focus?: string } = {},
): string {
  const tolerance = opts.tolerance ?? 0.2;
  const claims = opts.claims ?? PAPER_RESOURCE_CLAIMS;
  const focus = opts.focus ?? "hybrid";
  const ratioOf = (r: ResourceRatios, c: ResourceClaim) => (c.resource === "time" ? r.timeRatio : r.memoryRatio);
  const f = rows.find((r) => r.method === focus);
  const head = f
    ? `${focus}: ${claims
        .map((c) => {
          const m = ratioOf(f, c);
          return `${c.resource} ${m.toFixed(2)}× full fine-tuning (claimed ≈ ${c.ratio.toFixed(2)}×): ${claimHolds(c, m, tolerance) ? "holds" : "does not hold"}`;
        })
        .join("; ")}.`
    : `no ${focus} row measured.`;
  const met = claims.map((c) => {
    const who = rows.filter((r) => claimHolds(c, ratioOf(r, c), tolerance)).map((r) => r.method);
    return `the ${c.resource} claim is met by ${who.length ? who.join(", ") : "no method"}`;
  });
  return `${head[0]!.toUpperCase()}${head.slice(1)} Within ${Math.round(tolerance * 100)}%, ${met.join(" and ")}.`;
}

/** A score cell as mean ± std or a plain number. */
export type Score = number | MeanStd;

export function scoreMean(s: Score | null | undefined): number {
  if (s === null || s === undefined) return Number.NaN;
  return typeof s === "number" ? s : s.mean;
}

export interface SignalOptions {
  /** Columns where a model of this size cannot learn at all (scores at chance or zero). */
  floor?: readonly string[];
  /** Lower is better for these columns (e.g. a loss). */
  lowerIsBetter?: readonly string[];
  /**
   * Also judge whether the gain exceeds this many standard deviations of the difference,
   * sqrt(std_method² + std_base²) over seeds (cells without a std count as 0): the main table's
   * "beats the base by more than two standard deviations" is `sigmas: 2`. Default: not judged.
   */
  sigmas?: number;
  /**
   * Per column, the best constant predictor's score (constantPredictorScore): a method that does not
   * clear it (by more than `sigmas` of its own std, when given) is at floor in that column, whatever
   * its gain over a base below it: it learned the label prior, not the task.
   */
  constant?: Readonly<Record<string, number>>;
}

/** Whether a method's score clears a column's constant predictor (by more than `sigmas` of its std, when given). */
export function clearsConstant(score: Score | null | undefined, constant: number, sigmas?: number): boolean {
  const m = scoreMean(score);
  return Number.isFinite(m) && m - constant > (sigmas ?? 0) * scoreStd(score);
}

export function scoreStd(s: Score | null | undefined): number {
  return s !== null && s !== undefined && typeof s === "object" ? s.std : 0;
}

/**
 * For every method and every column that is not at floor, the gain over the untuned base
 * (positive = better) and whether it beats the base. Floor columns are listed, not judged.
 */
export function learningSignalTable(
  base: Record<string, Score>,
  methods: Record<string, Record<string, Score>>,
  opts: SignalOptions = {},
): Table {
  const floor = new Set(opts.floor ?? []);
  const lower = new Set(opts.lowerIsBetter ?? []);
  const columns = Object.keys(base);
  const rows: Cell[][] = [];
  for (const [method, scores] of Object.entries(methods)) {
    for (const col of columns) {
      const b = scoreMean(base[col]);
      const m = scoreMean(scores[col]);
      // A floor column is listed, not judged; so is a method that does not clear the column's constant predictor.
      const c = opts.constant?.[col];
      const unjudged = floor.has(col)
        ? "at floor (not judged)"
        : c !== undefined && !clearsConstant(scores[col], c, opts.sigmas)
          ? `at floor (does not clear the constant predictor's ${c.toFixed(3)}${opts.sigmas === undefined ? "" : ` by > ${opts.sigmas} std`})`
          : null;
      if (unjudged !== null) {
        rows.push([method, col, b, m, null, ...(opts.sigmas === undefined ? [] : [null]), unjudged]);
        continue;
      }
      if (!Number.isFinite(b) || !Number.isFinite(m))
        throw new Error(
          `learningSignalTable: ${method} / ${col}: expected finite scores, found base ${b} and method ${m}`,
        );
      const gain = lower.has(col) ? b - m : m - b;
      const verdict = gain > 0 ? "beats base" : "does not beat base";
      if (opts.sigmas === undefined) rows.push([method, col, b, m, gain, verdict]);
      else {
        const sd = Math.hypot(scoreStd(scores[col]), scoreStd(base[col]));
        const clear = gain > opts.sigmas * sd;
        rows.push([method, col, b, m, gain, sd, clear ? `beats base by > ${opts.sigmas} std` : verdict]);
      }
    }
  }
  return {
    columns: [
      "method",
      "column",
      "untuned base",
      "fine-tuned",
      "gain",
      ...(opts.sigmas === undefined ? [] : ["std of gain"]),
      "verdict",
    ],
    rows,
    digits: 3,
    caption: "Learning signal: each method against the untuned base model",
  };
}

/**
 * One row per column with a constant predictor: its score, the untuned base's, the best method's,
 * and how many methods clear the constant predictor by more than `sigmas` std of their own: a column
 * that none clears is at floor, and its other verdicts say nothing about the methods.
 */
export function floorTable(
  base: Record<string, Score>,
  methods: Record<string, Record<string, Score>>,
  constant: Readonly<Record<string, number>>,
  opts: { sigmas?: number } = {},
): Table {
  const sigmas = opts.sigmas ?? 2;
  const rows: Cell[][] = Object.entries(constant).map(([col, c]) => {
    const scored = Object.entries(methods).filter(([, s]) => Number.isFinite(scoreMean(s[col])));
    const best = scored.reduce<[string, Score] | null>(
      (acc, [m, s]) => (acc === null || scoreMean(s[col]) > scoreMean(acc[1]) ? [m, s[col]!] : acc),
      null,
    );
    const clear = scored.filter(([, s]) => clearsConstant(s[col], c, sigmas)).map(([m]) => m);
    const verdict =
      scored.length === 0
        ? "no runs"
        : clear.length === 0
          ? `at floor: no method clears the constant predictor by > ${sigmas} std`
          : `off the floor: ${clear.length} of ${scored.length} methods clear it by > ${sigmas} std (${clear.join(", ")})`;
    return [col, c, base[col] ?? null, best ? best[0] : null, best ? best[1] : null, verdict];
  });
  return {
    columns: ["column", "constant predictor", "untuned base", "best method", "its score", "verdict"],
    rows,
    digits: 3,
    caption: `Floor: each column against the best constant prediction (the label prior alone), over seeds`,
  };
}
