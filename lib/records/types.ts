// Long-format records shared by the trainer (writes), adapters (write gates) and plots (read).
// Long format keeps every producer simple and lets plots group by any key.

/** One gradient-norm observation of one branch of one layer at one optimiser step. */
export interface GradNormRecord {
  step: number;
  /** Module path, e.g. `model.layers.2.mlp.down_proj`. */
  layer: string;
  /** "lora", "boft", "loraga", "urnn", "full", ... */
  branch: string;
  /** L2 norm of the concatenated gradients of the branch's tensors. */
  norm: number;
}

/** The hybrid's per-layer mixing weight λ_l at one step. */
export interface GateRecord {
  step: number;
  layer: string;
  lambda: number;
}

/** A scalar curve of one run, e.g. training loss or validation loss over steps. */
export interface RunCurve {
  run: string;
  metric: string;
  seed?: number;
  steps: number[];
  values: number[];
}
