// Turns any value into a Jupyter MIME bundle: objects that know how to display themselves
// (Symbol.for("Jupyter.display"), the convention Deno's kernel uses), tfjs tensors, and a
// util.inspect text/plain fallback for everything else.

import { inspect } from "node:util";
import type { DisplayMetadata, MimeBundle } from "./sink.js";
import { isTensorLike, tensorSummary } from "./tensor-summary.js";

export const JUPYTER_DISPLAY = Symbol.for("Jupyter.display");

export interface Displayable {
  [JUPYTER_DISPLAY](): MimeBundle;
}

export interface MimeResult {
  data: MimeBundle;
  metadata: DisplayMetadata;
}

function hasDisplayMethod(v: unknown): v is Displayable {
  return (
    (typeof v === "object" || typeof v === "function") &&
    v !== null &&
    typeof (v as Record<symbol, unknown>)[JUPYTER_DISPLAY] === "function"
  );
}

/** The text/plain rendering: strings as they are, everything else as util.inspect shows it. */
export function plainText(value: unknown): string {
  if (typeof value === "string") return value;
  if (value instanceof Error) return value.stack ?? `${value.name}: ${value.message}`;
  return inspect(value, { depth: 4, colors: false, maxArrayLength: 100, maxStringLength: 10_000, breakLength: 100 });
}

export function toMimeBundle(value: unknown): MimeResult {
  if (hasDisplayMethod(value)) {
    const bundle = value[JUPYTER_DISPLAY]();
    if (typeof bundle !== "object" || bundle === null || Array.isArray(bundle)) {
      throw new TypeError(
        `[Symbol.for("Jupyter.display")]() must return a MIME bundle object such as { "text/html": "..." }; ` +
          `found ${bundle === null ? "null" : Array.isArray(bundle) ? "an array" : typeof bundle}`,
      );
    }
    const data: MimeBundle = { ...bundle };
    // Every client can show text/plain; keep one so nothing renders as an empty output.
    if (data["text/plain"] === undefined) data["text/plain"] = plainText(value);
    return { data, metadata: {} };
  }
  if (isTensorLike(value)) {
    const s = tensorSummary(value);
    return { data: { "text/plain": s.text, "text/html": s.html }, metadata: {} };
  }
  return { data: { "text/plain": plainText(value) }, metadata: {} };
}
