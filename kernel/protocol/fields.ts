// Reading the fields of a message's content, each checked once with an error that names the
// message type, the field, what was expected and what came: the error reply a client sees.
export type Content = Record<string, unknown>;

/** A request the kernel refuses; the session answers it with status "error", ename "BadRequest". */
export class BadRequest extends Error {
  constructor(message: string) {
    super(message);
    this.name = "BadRequest";
  }
}

/** One malformed field of a request's content. */
export class ContentError extends BadRequest {
  constructor(
    readonly msgType: string,
    readonly field: string,
    readonly expected: string,
    readonly found: string,
  ) {
    super(`${msgType}: content.${field} must be ${expected}, found ${found}`);
  }
}

/** How a received value reads in an error: its kind, and the value when it is short. */
export function describeValue(v: unknown): string {
  if (v === undefined) return "nothing";
  if (v === null) return "null";
  if (Array.isArray(v)) return "an array";
  if (typeof v === "object") return "an object";
  const text = typeof v === "string" ? JSON.stringify(v) : String(v);
  return `${typeof v === "string" ? "a string" : typeof v === "number" ? "a number" : typeof v} ${text.length > 40 ? `${text.slice(0, 37)}...` : text}`;
}

const isObject = (v: unknown): v is Content => typeof v === "object" && v !== null && !Array.isArray(v);

/** Typed access to one message's content; absent and null optional fields take their default. */
export class Fields {
  constructor(
    private readonly msgType: string,
    private readonly content: Content,
  ) {}

  private fail(field: string, expected: string): never {
    throw new ContentError(this.msgType, field, expected, describeValue(this.content[field]));
  }

  private given(field: string): boolean {
    const v = this.content[field];
    return v !== undefined && v !== null;
  }

  string(field: string): string {
    const v = this.content[field];
    return typeof v === "string" ? v : this.fail(field, "a string");
  }

  optionalString(field: string): string | undefined {
    return this.given(field) ? this.string(field) : undefined;
  }

  bool(field: string, fallback: boolean): boolean {
    if (!this.given(field)) return fallback;
    const v = this.content[field];
    return typeof v === "boolean" ? v : this.fail(field, "true or false");
  }

  int(field: string, fallback?: number): number {
    if (!this.given(field) && fallback !== undefined) return fallback;
    const v = this.content[field];
    return typeof v === "number" && Number.isInteger(v) ? v : this.fail(field, "an integer");
  }

  /** An integer, or null when absent (the spec's "None": no limit). */
  intOrNull(field: string): number | null {
    return this.given(field) ? this.int(field) : null;
  }

  object(field: string): Content {
    if (!this.given(field)) return {};
    const v = this.content[field];
    return isObject(v) ? v : this.fail(field, "an object");
  }

  /** An object whose values are all strings (user_expressions). */
  stringMap(field: string): Record<string, string> {
    const o = this.object(field);
    for (const [k, v] of Object.entries(o))
      if (typeof v !== "string")
        throw new ContentError(this.msgType, `${field}.${k}`, "a string (an expression)", describeValue(v));
    return o as Record<string, string>;
  }

  oneOf<T extends string>(field: string, values: readonly T[]): T {
    const v = this.content[field];
    return values.includes(v as T)
      ? (v as T)
      : this.fail(field, `one of ${values.map((x) => JSON.stringify(x)).join(", ")}`);
  }
}
