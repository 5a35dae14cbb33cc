// A table's verdict for the report: the one its notebook wrote (saveTable's `verdict`), else, for
// a table with a verdict column (claims, learning signal), which rows got which verdict.
import { formatCell, type Table } from "../plots/table.js";

/** Rows grouped by their verdict column ("holds: hybrid (time), …"); undefined without such a column. */
export function verdictColumnSummary(t: Table): string | undefined {
  const col = t.columns.findIndex((c) => /^verdict\b/i.test(c));
  if (col < 0 || t.rows.length === 0) return undefined;
  // Name a row by its first column, and its second too when the first repeats (method × claim).
  const firsts = t.rows.map((r) => formatCell(r[0] ?? null));
  const unique = new Set(firsts).size === firsts.length;
  const groups = new Map<string, string[]>();
  t.rows.forEach((r, i) => {
    const v = formatCell(r[col] ?? null) || "(none)";
    const label = unique || col <= 1 ? firsts[i]! : `${firsts[i]} (${formatCell(r[1] ?? null)})`;
    groups.set(v, [...(groups.get(v) ?? []), label]);
  });
  return [...groups].map(([v, labels]) => `${v}: ${labels.join(", ")}`).join("; ");
}
