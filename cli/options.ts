// Option values shared by several commands, checked once: numbers with a range, timeouts in
// seconds, and the kernel command line of `run` and `reproduce`.
import { defaultKernelArgv, fillKernelArgv, splitCommandLine } from "../kernel/client/kernel-argv.js";
import { UsageError } from "./command.js";

interface NumberRule {
  fallback: number;
  check: (n: number) => boolean;
  /** What a valid value is, for the error: "a non-negative integer". */
  expected: string;
}

/** `raw` as a number obeying `rule`, or the fallback when the option is absent. */
export function numberOption(raw: string | undefined, flag: string, rule: NumberRule): number {
  if (raw === undefined) return rule.fallback;
  const n = Number(raw);
  if (raw.trim() === "" || !Number.isFinite(n) || !rule.check(n))
    throw new UsageError(`${flag}: expected ${rule.expected}, found '${raw}'`, false);
  return n;
}

export const nonNegativeInteger = (fallback: number): NumberRule => ({
  fallback,
  check: (n) => Number.isInteger(n) && n >= 0,
  expected: "a non-negative integer",
});

export const positiveInteger = (fallback: number): NumberRule => ({
  fallback,
  check: (n) => Number.isInteger(n) && n >= 1,
  expected: "a positive integer",
});

/** A per-cell timeout given in seconds, in milliseconds; undefined when not given. */
export function timeoutOption(raw: string | undefined): number | undefined {
  if (raw === undefined) return undefined;
  const s = Number(raw);
  if (raw.trim() === "" || !Number.isFinite(s) || s <= 0)
    throw new UsageError(`--timeout must be a positive number of seconds, found '${raw}'`, false);
  return s * 1000;
}

/** `--kernel-cmd CMD` as argv (this project's kernel when absent), its placeholder checked up front. */
export function kernelArgvOption(raw: string | undefined): string[] {
  try {
    const argv = raw ? splitCommandLine(raw) : defaultKernelArgv();
    fillKernelArgv(argv, "probe.json");
    return argv;
  } catch (err) {
    throw new UsageError(`--kernel-cmd: ${(err as Error).message}`, false);
  }
}

/** The same kernel options for every command that runs notebooks. */
export const KERNEL_OPTIONS = {
  "kernel-cmd": { type: "string" },
  timeout: { type: "string" },
} as const;
