// Rate limiter for in-place redraws: a live view need not redraw faster than the eye reads,
// and every redraw of a display costs a message to the client.

export interface Throttle {
  /** True when at least `intervalMs` passed since the last accepted call (or `force`), and records it. */
  ready(force?: boolean): boolean;
}

export function throttle(intervalMs: number, now: () => number = Date.now): Throttle {
  if (!(intervalMs >= 0)) throw new RangeError(`throttle: intervalMs must be >= 0, found ${intervalMs}`);
  let last = -Infinity;
  return {
    ready(force = false) {
      const t = now();
      if (!force && t - last < intervalMs) return false;
      last = t;
      return true;
    },
  };
}
