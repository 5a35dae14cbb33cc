// The GSM8K answer convention: a reference ends in `#### N`; a model's answer is the number after its
// last `####`, else the last number it wrote. Numbers compare after normalisation, as strings, so
// "1,000", "$1000.00" and "1000" match without floating-point surprises.

// A number: thousands-grouped or plain digits, optional decimals, optional sign; a "-" right after a
// word character is a hyphen or a minus between operands ("2-4", "10-3"), not a sign.
const NUMBER = /(?:(?<![\w.])[-+])?(?:(?:\d{1,3}(?:,\d{3})+|\d+)(?:\.\d+)?|\.\d+)/g;

/** Canonical text of a number: no sign for zero, no grouping commas, no leading or trailing zeros. */
export function normaliseNumber(raw: string): string | undefined {
  let s = raw.trim().replace(/,/g, "");
  if (!/^[-+]?(\d+(\.\d*)?|\.\d+)$/.test(s)) return undefined;
  let sign = "";
  if (s[0] === "-" || s[0] === "+") {
    sign = s[0] === "-" ? "-" : "";
    s = s.slice(1);
  }
  let [int, frac = ""] = s.split(".");
  int = int.replace(/^0+/, "") || "0";
  frac = frac.replace(/0+$/, "");
  const body = frac ? `${int}.${frac}` : int;
  return body === "0" ? "0" : sign + body;
}

/** The last number in `text`, normalised; undefined when there is none. */
export function lastNumber(text: string): string | undefined {
  const matches = text.match(NUMBER);
  if (!matches) return undefined;
  return normaliseNumber(matches[matches.length - 1]);
}

/** The final answer of a reference solution (`#### N`). Throws when the convention is broken. */
export function extractReferenceAnswer(answer: string): string {
  const i = answer.lastIndexOf("####");
  if (i < 0) throw new Error(`GSM8K reference has no '#### N' line: ${JSON.stringify(answer.slice(-80))}`);
  const n = lastNumber(answer.slice(i + 4).split("\n")[0]);
  if (n === undefined)
    throw new Error(`GSM8K reference '####' is not followed by a number: ${JSON.stringify(answer.slice(i, i + 40))}`);
  return n;
}

/** The model's final answer: the first number after its last `####`, else its last number. */
export function extractPredictedAnswer(generation: string): string | undefined {
  const i = generation.lastIndexOf("####");
  if (i >= 0) {
    const after = firstNumber(generation.slice(i + 4));
    if (after !== undefined) return after;
  }
  return lastNumber(generation);
}

/** Exact match of the normalised final numbers. */
export function gsm8kExactMatch(generation: string, referenceAnswer: string): boolean {
  const pred = extractPredictedAnswer(generation);
  return pred !== undefined && pred === extractReferenceAnswer(referenceAnswer);
}

function firstNumber(text: string): string | undefined {
  const m = text.match(NUMBER);
  return m ? normaliseNumber(m[0]) : undefined;
}
