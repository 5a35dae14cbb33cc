// Checks a descriptor's config() runs on attach() options: each error names the method, the
// option and what was found.

function found(value: unknown): string {
  return typeof value === "number" ? String(value) : JSON.stringify(value);
}

export function integerAtLeast(where: string, name: string, value: number, min: number): number {
  if (typeof value !== "number" || !Number.isInteger(value) || value < min)
    throw new Error(`${where}: ${name} must be an integer ≥ ${min}, found ${found(value)}`);
  return value;
}

export function positiveNumber(where: string, name: string, value: number): number {
  if (typeof value !== "number" || !(value > 0) || !Number.isFinite(value))
    throw new Error(`${where}: ${name} must be a positive number, found ${found(value)}`);
  return value;
}

/** A number in [lo, hi) (dropout-like rates). */
export function rate(where: string, name: string, value: number): number {
  if (typeof value !== "number" || !(value >= 0 && value < 1))
    throw new Error(`${where}: ${name} must be in [0, 1), found ${found(value)}`);
  return value;
}

export function boolean(where: string, name: string, value: boolean): boolean {
  if (typeof value !== "boolean") throw new Error(`${where}: ${name} must be true or false, found ${found(value)}`);
  return value;
}

export function oneOf<T extends string>(where: string, name: string, value: T, allowed: readonly T[]): T {
  if (!allowed.includes(value))
    throw new Error(`${where}: ${name} must be one of ${allowed.join(", ")}, found ${found(value)}`);
  return value;
}
