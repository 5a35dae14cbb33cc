// Picking the next token from one row of logits on the host: greedy at temperature 0,
// otherwise temperature, then top-k, then top-p (nucleus), sampled with a seeded generator.

export interface SamplingOptions {
  /** 0 (default) is greedy. */
  temperature?: number;
  /** Keep only the k most likely tokens (0 or absent: all). */
  topK?: number;
  /** Keep the smallest set of most likely tokens whose probability reaches p (1 or absent: all). */
  topP?: number;
}

export function argmax(row: ArrayLike<number>): number {
  let best = 0;
  for (let i = 1; i < row.length; i++) if ((row[i] as number) > (row[best] as number)) best = i;
  return best;
}

export function sampleToken(row: Float32Array, opts: SamplingOptions, rng: () => number): number {
  const temperature = opts.temperature ?? 0;
  if (temperature < 0) throw new Error(`temperature must be >= 0, found ${temperature}`);
  if (temperature === 0) return argmax(row);
  const order = Array.from(row.keys()).sort((a, b) => (row[b] as number) - (row[a] as number));
  const k = opts.topK && opts.topK > 0 ? Math.min(opts.topK, order.length) : order.length;
  const top = order.slice(0, k);
  const max = row[top[0] as number] as number;
  let probs = top.map((i) => Math.exp(((row[i] as number) - max) / temperature));
  let total = probs.reduce((a, b) => a + b, 0);
  const p = opts.topP ?? 1;
  if (p <= 0 || p > 1) throw new Error(`topP must be in (0, 1], found ${p}`);
  if (p < 1) {
    let acc = 0;
    let keep = 0;
    while (keep < probs.length && acc < p * total) acc += probs[keep++] as number;
    probs = probs.slice(0, Math.max(keep, 1));
    total = probs.reduce((a, b) => a + b, 0);
  }
  let u = rng() * total;
  for (let i = 0; i < probs.length; i++) {
    u -= probs[i] as number;
    if (u <= 0) return top[i] as number;
  }
  return top[probs.length - 1] as number;
}
