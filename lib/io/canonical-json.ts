// JSON with sorted keys and no undefined fields, so equal values always give equal text: what
// cache keys hash and what checkpoint plans compare. Regular expressions and functions are
// written as their source, so two different ones never look alike.
export function canonicalJson(v: unknown): string {
  if (Array.isArray(v)) return `[${v.map(canonicalJson).join(",")}]`;
  if (v instanceof RegExp) return JSON.stringify(`regexp:${v.toString()}`);
  if (typeof v === "function") return JSON.stringify(`function:${v.toString()}`);
  if (v && typeof v === "object") {
    const o = v as Record<string, unknown>;
    return `{${Object.keys(o)
      .filter((k) => o[k] !== undefined)
      .sort()
      .map((k) => `${JSON.stringify(k)}:${canonicalJson(o[k])}`)
      .join(",")}}`;
  }
  return JSON.stringify(v);
}
