// The hybrid's per-layer mixing weight λ_l ∈ (0, 1), recomputed every step from the two
// branches' gradients (never trained). See docs/methods.md §5 for the choice of default.

export type GatePolicy =
  /**
   * λ = BOFT's share of the branches' gradients in weight space, ‖P_boft(G)‖ / (‖P_boft(G)‖ +
   * ‖P_loraga(G)‖), G = ∂L/∂W_eff (default; gate-signal.ts). Invariant to how each branch is
   * parameterised, and free of the gate's own feedback (G does not carry the mixing weights).
   */
  | ({ kind: "weight" } & Smoothing)
  /** λ = BOFT's share of the parameter-gradient norm: the gate as first specified, kept for comparison. */
  | ({ kind: "share" } & Smoothing & Compensation)
  /** λ = LoRA-GA's share of the parameter-gradient norm: favours the branch that is currently learning less. */
  | ({ kind: "inverse" } & Smoothing & Compensation)
  /** λ = softmax over the per-parameter (RMS) norms normalised to sum 1, at temperature T. */
  | ({ kind: "softmax"; temperature?: number } & Smoothing & Compensation)
  | { kind: "fixed"; lambda: number };

export type GateKind = GatePolicy["kind"];

export const GATE_KINDS: readonly GateKind[] = ["weight", "share", "inverse", "softmax", "fixed"];

/** The default gate of the hybrid. */
export const DEFAULT_GATE: GatePolicy = { kind: "weight" };

/** Gate policies by name: the reproductions' `gate` setting and notebook parameter, the gate ablation. */
export const GATE_PRESETS: Readonly<Record<string, GatePolicy>> = {
  weight: DEFAULT_GATE,
  share: { kind: "share" },
  "share-compensated": { kind: "share", compensate: true },
  inverse: { kind: "inverse" },
  softmax: { kind: "softmax", temperature: 0.5 },
  "fixed-0.5": { kind: "fixed", lambda: 0.5 },
};

export function gatePreset(name: string): GatePolicy {
  const p = GATE_PRESETS[name];
  if (!p)
    throw new Error(
      `gate: unknown preset ${JSON.stringify(name)}; expected one of ${Object.keys(GATE_PRESETS).join(", ")}`,
    );
  return p;
}

export interface Smoothing {
  /** EMA factor on λ (default 0.9): λ_t = ema·λ_{t−1} + (1 − ema)·λ_raw. */
  ema?: number;
  /** Default [0.05, 0.95]: neither branch is ever switched off. */
  clamp?: [number, number];
  /** λ before the first step (default 0.5). */
  initial?: number;
}

export interface Compensation {
  /**
   * Divide each branch's norm by its current mixing weight (default false: the literal reading).
   * A branch's gradient is proportional to its weight in the mix, so raw shares feed back on
   * themselves; compensated norms measure the branch at weight 1. ("weight" needs no such
   * correction: it reads G itself.)
   */
  compensate?: boolean;
}

/** What the gate reads each step; `nextLambda`'s `boft`/`loraga` hold this measure. */
export type GateMeasure = "weight-space" | "parameter" | "none";

export function gateMeasure(policy: GatePolicy): GateMeasure {
  if (policy.kind === "fixed") return "none";
  return policy.kind === "weight" ? "weight-space" : "parameter";
}

export interface BranchNorms {
  /** The policy's measure of each branch (gateMeasure): weight-space norms or parameter-gradient norms. */
  boft: number;
  loraga: number;
  /** Parameters per branch (softmax's RMS). */
  boftCount: number;
  loragaCount: number;
}

export function initialLambda(policy: GatePolicy): number {
  if (policy.kind === "fixed") return policy.lambda;
  return policy.initial ?? 0.5;
}

export function validateGate(policy: GatePolicy): void {
  const kind = (policy as { kind?: unknown } | null)?.kind;
  const bad = (msg: string) => {
    throw new Error(`hybrid gate '${String(kind)}': ${msg}`);
  };
  if (!GATE_KINDS.includes(kind as GateKind)) bad(`unknown policy (expected one of ${GATE_KINDS.join(", ")})`);
  if (policy.kind === "fixed") {
    if (!(policy.lambda >= 0 && policy.lambda <= 1)) bad(`lambda must be in [0, 1], found ${policy.lambda}`);
    return;
  }
  const ema = policy.ema ?? 0.9;
  if (!(ema >= 0 && ema < 1)) bad(`ema must be in [0, 1), found ${ema}`);
  const [lo, hi] = policy.clamp ?? [0.05, 0.95];
  if (!(lo >= 0 && lo <= hi && hi <= 1)) bad(`clamp must satisfy 0 ≤ lo ≤ hi ≤ 1, found [${lo}, ${hi}]`);
  if (policy.kind === "weight" && !(lo > 0 && hi < 1))
    bad(`clamp must stay inside (0, 1), found [${lo}, ${hi}]: a branch at weight 0 has no gradient to measure`);
  if (policy.kind === "softmax" && !((policy.temperature ?? 0.5) > 0)) bad(`temperature must be > 0`);
}

/** The next λ from the previous one and this step's branch measures (see gateMeasure). */
export function nextLambda(policy: GatePolicy, prev: number, g: BranchNorms): number {
  if (policy.kind === "fixed") return policy.lambda;
  let nb = g.boft,
    nl = g.loraga;
  if (policy.kind !== "weight" && (policy.compensate ?? false)) {
    nb = nb / Math.max(prev, 1e-6);
    nl = nl / Math.max(1 - prev, 1e-6);
  }
  if (!Number.isFinite(nb) || !Number.isFinite(nl) || nb + nl <= 0) return prev;
  let raw: number;
  if (policy.kind === "share" || policy.kind === "weight") raw = nb / (nb + nl);
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
