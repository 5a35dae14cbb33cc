// The mulberry32 stream (mulberry32.ts) as an object whose whole state is one uint32, so a
// checkpoint can store it and a resumed run draws exactly the numbers the uninterrupted run
// would have drawn.
import { mulberry32Step } from "./mulberry32.js";

export class Rng {
  private s: number;

  constructor(seed: number) {
    if (!Number.isFinite(seed)) throw new Error(`Rng: seed must be a finite number, found ${seed}`);
    this.s = Math.floor(seed) >>> 0;
  }

  /** Uniform in [0, 1). */
  next(): number {
    const [state, value] = mulberry32Step(this.s);
    this.s = state;
    return value;
  }

  /** Integer in [0, n). */
  int(n: number): number {
    return Math.floor(this.next() * n);
  }

  /** A fresh 32-bit seed, e.g. for tf.randomNormal. */
  seed(): number {
    return Math.floor(this.next() * 4294967296) >>> 0;
  }

  get state(): number {
    return this.s;
  }

  set state(value: number) {
    if (!Number.isInteger(value) || value < 0 || value > 0xffffffff) {
      throw new Error(`Rng.state: expected a uint32, found ${value}`);
    }
    this.s = value;
  }
}
