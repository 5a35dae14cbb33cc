// One error type for every checkpoint/tokenizer reading problem, so callers can catch it and
// users see which file was at fault before the reason.
export class CheckpointError extends Error {
  constructor(
    readonly file: string,
    readonly problem: string,
  ) {
    super(`${file}: ${problem}`);
    this.name = "CheckpointError";
  }
}

/** "[2, 3]" — shapes are printed the same way in every message. */
export function formatShape(shape: readonly number[]): string {
  return `[${shape.join(", ")}]`;
}
