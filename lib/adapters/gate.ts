// The hybrid's per-layer mixing weight λ_l ∈ (0, 1), recomputed every step from the two
// branches' gradient norms (never trained). See docs/methods.md for the choice of default.

export type GatePolicy =
  /** λ = BOFT's share of the layer's gradient norm (default). */
  | ({ kind: "share" } & Smoothing)
  /** λ = LoRA-GA's share: favours the branch that is currently learning less. */
  | ({ kind: "inverse" } & Smoothing)
  /** λ = softmax over the per-parameter (RMS) norms normalised to sum 1, at temperature T. */
  | ({ kind: "softmax"; temperature?: number } & Smoothing)
  | { kind: "fixed"; lambda: number };

export interface Smoothing {
  /** EMA factor on λ (default 0.9): λ_t = ema·λ_{t−1} + (1 − ema)·λ_raw. */
  ema?: number;
  /** Default [0.05, 0.95]: neither branch is ever switched off. */
  clamp?: [number, number];
  /**
   * Divide each branch's norm by its current mixing weight (default false: the issue's
   * literal reading). A branch's gradient is proportional to its weight in the mix, so raw
   * shares feed back on themselves and drift to the clamp; compensated norms measure the
   * branch at weight 1. docs/methods.md discusses both; the gate ablation compares them.
   */
  compensate?: boolean;
  /** λ before the first step (default 0.5). */
  initial?: number;
}

export interface BranchNorms {
  boft: number;
  loraga: number;
  boftCount: number;
  loragaCount: number;
}

export function initialLambda(policy: GatePolicy): number {
  if (policy.kind === "fixed") return policy.lambda;
  return policy.initial ?? 0.5;
}

export function validateGate(policy: GatePolicy): void {
  const bad = (msg: string) => {
    throw new Error(`hybrid gate '${policy.kind}': ${msg}`);
  };
  if (policy.kind === "fixed") {
    if (!(policy.lambda >= 0 && policy.lambda <= 1)) bad(`lambda must be in [0, 1], found ${policy.lambda}`);
    return;
  }
  if (!["share", "inverse", "softmax"].includes(policy.kind)) bad("unknown policy (share, inverse, softmax, fixed)");
  const ema = policy.ema ?? 0.9;
  if (!(ema >= 0 && ema < 1)) bad(`ema must be in [0, 1), found ${ema}`);
  const [lo, hi] = policy.clamp ?? [0.05, 0.95];
  if (!(lo >= 0 && lo <= hi && hi <= 1)) bad(`clamp must satisfy 0 ≤ lo ≤ hi ≤ 1, found [${lo}, ${hi}]`);
  if (policy.kind === "softmax" && !((policy.temperature ?? 0.5) > 0)) bad(`temperature must be > 0`);
}

/** The next λ from the previous one and this step's norms. */
export function nextLambda(policy: GatePolicy, prev: number, g: BranchNorms): number {
  if (policy.kind === "fixed") return policy.lambda;
  let nb = g.boft,
    nl = g.loraga;
  if (policy.compensate ?? false) {
    nb = nb / Math.max(prev, 1e-6);
    nl = nl / Math.max(1 - prev, 1e-6);
  }
  if (!Number.isFinite(nb) || !Number.isFinite(nl) || nb + nl <= 0) return prev;
  let raw: number;
  if (policy.kind === "share") raw = nb / (nb + nl);
  else if (policy.kind === "inverse") raw = nl / (nb + nl);
  else {
    const t = policy.temperature ?? 0.5;
    const rb = nb / Math.sqrt(Math.max(g.boftCount, 1)),
      rl = nl / Math.sqrt(Math.max(g.loragaCount, 1));
    const ub = rb / (rb + rl),
      ul = rl / (rb + rl);
    raw = 1 / (1 + Math.exp((ul - ub) / t));
  }
  const ema = policy.ema ?? 0.9;
  const [lo, hi] = policy.clamp ?? [0.05, 0.95];
  return Math.min(hi, Math.max(lo, ema * prev + (1 - ema) * raw));
}
