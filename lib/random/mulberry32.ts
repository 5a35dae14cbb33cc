// The project's one seeded generator. Host-side on purpose: tfjs' seeded ops give different
// numbers on different backends, and a seed must mean the same run everywhere. The whole state
// is one uint32, so checkpoints can store it and a resumed run draws the same numbers (rng.ts).

/** One mulberry32 step from a uint32 state: [next state, uniform in [0, 1)]. */
export function mulberry32Step(state: number): [number, number] {
  const next = (state + 0x6d2b79f5) >>> 0;
  let t = next;
  t = Math.imul(t ^ (t >>> 15), t | 1);
  t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
  return [next, ((t ^ (t >>> 14)) >>> 0) / 4294967296];
}

/** A uniform [0, 1) stream seeded by `seed` (a finite number, taken as a uint32). */
export function mulberry32(seed: number): () => number {
  if (!Number.isFinite(seed)) throw new Error(`seed must be a finite number, found ${seed}`);
  let state = seed >>> 0;
  return () => {
    const [next, value] = mulberry32Step(state);
    state = next;
    return value;
  };
}

/** Fisher–Yates permutation of 0..n-1 drawn from `rand`. */
export function permutation(n: number, rand: () => number): number[] {
  const p = Array.from({ length: n }, (_, i) => i);
  for (let i = n - 1; i > 0; i--) {
    const j = Math.floor(rand() * (i + 1));
    [p[i], p[j]] = [p[j] as number, p[i] as number];
  }
  return p;
}
