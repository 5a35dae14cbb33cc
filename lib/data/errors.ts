// One error type for malformed data files, so callers can tell bad data from bugs.

/** A data file that does not match its documented format; names file, line (1-based) and field. */
export class DataFormatError extends Error {
  constructor(
    readonly file: string,
    readonly line: number | undefined,
    readonly field: string | undefined,
    detail: string,
  ) {
    const where = line === undefined ? file : `${file}:${line}`;
    super(field === undefined ? `${where}: ${detail}` : `${where}: field '${field}': ${detail}`);
    this.name = "DataFormatError";
  }
}

/** Shortens a value for an error message so a huge bad row does not flood the terminal. */
export function preview(value: unknown, max = 60): string {
  const s = typeof value === "string" ? JSON.stringify(value) : (JSON.stringify(value) ?? String(value));
  return s.length > max ? `${s.slice(0, max)}…` : s;
}
