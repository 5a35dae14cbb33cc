// HTML escaping and an `html` tagged template that escapes interpolations unless they are
// already-trusted HTML, so builders can compose markup without double escaping.

const JUPYTER_DISPLAY = Symbol.for("Jupyter.display");

const HTML_ESCAPES: Record<string, string> = {
  "&": "&amp;",
  "<": "&lt;",
  ">": "&gt;",
  '"': "&quot;",
  "'": "&#39;",
};

/** Escapes text for use in HTML element content and quoted attribute values. */
export function escapeHtml(text: string): string {
  return text.replace(/[&<>"']/g, (c) => HTML_ESCAPES[c]!);
}

/** Trusted HTML: interpolated raw by `html`, and displayed as text/html by `display()`. */
export class Html {
  constructor(readonly value: string) {}
  toString(): string {
    return this.value;
  }
  [JUPYTER_DISPLAY](): Record<string, unknown> {
    return { "text/html": this.value, "text/plain": this.value };
  }
}

/** Marks a string as trusted HTML (no escaping). */
export function rawHtml(s: string): Html {
  return new Html(s);
}

function interpolate(value: unknown): string {
  if (value instanceof Html) return value.value;
  if (Array.isArray(value)) return value.map(interpolate).join("");
  if (value === null || value === undefined || value === false) return "";
  return escapeHtml(String(value));
}

/**
 * Tagged template: html`<b>${name}</b>` escapes `name`; nested `html` results and arrays of them
 * are inserted as-is; null, undefined and false insert nothing (handy for conditionals).
 */
export function html(strings: TemplateStringsArray, ...values: unknown[]): Html {
  let out = strings[0] ?? "";
  for (let i = 0; i < values.length; i++) out += interpolate(values[i]) + (strings[i + 1] ?? "");
  return new Html(out);
}
