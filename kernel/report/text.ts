// Text helpers for HTML export: escaping, terminal control sequences, JSON safe inside <script>.
import { stripVTControlCharacters } from "node:util";

export function escapeHtml(s: string): string {
  return s
    .replace(/&/g, "&amp;")
    .replace(/</g, "&lt;")
    .replace(/>/g, "&gt;")
    .replace(/"/g, "&quot;")
    .replace(/'/g, "&#39;");
}

/** Removes ANSI colour/cursor sequences (tracebacks and progress bars are full of them). */
export function stripAnsi(s: string): string {
  return stripVTControlCharacters(s);
}

/**
 * Renders what a terminal would show for `\r`: on each line only the text after the last
 * carriage return survives, so a `\r` progress bar ends as its final state. A trailing `\r\n`
 * is an ordinary line end.
 */
export function applyCarriageReturns(s: string): string {
  return s
    .replace(/\r\n/g, "\n")
    .split("\n")
    .map((line) => {
      const parts = line.split("\r");
      // "abc\r" followed by nothing keeps abc, as a terminal would until something overwrites it.
      for (let i = parts.length - 1; i >= 0; i--) if (parts[i] !== "") return parts[i];
      return "";
    })
    .join("\n");
}

/** Terminal text as the report shows it: control sequences gone, carriage returns applied. */
export function terminalText(s: string): string {
  return applyCarriageReturns(stripAnsi(s));
}

/** JSON that cannot close its <script> element or open an HTML comment. */
export function scriptSafeJson(value: unknown): string {
  return JSON.stringify(value)
    .replace(/</g, "\\u003c")
    .replace(/>/g, "\\u003e")
    .replace(/\u2028/g, "\\u2028")
    .replace(/\u2029/g, "\\u2029");
}
