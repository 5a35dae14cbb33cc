// What report.html leads with: per notebook, the tables and figures it saved (read back through its
// manifest) and their verdicts, as MIME bundles the kernel's report renders like any output.
import { readFileSync } from "node:fs";
import { PLOTLY_MIME } from "../display/display.js";
import { tableToHtml, type Table } from "../plots/table.js";
import type { SavedFigure, SavedTable } from "./outputs.js";
import { verdictColumnSummary } from "./verdicts.js";

/** One notebook's results as the report leads with them (kernel/report's ResultSection). */
export interface ResultSection {
  title: string;
  failure?: string;
  items: Array<{ output: Record<string, unknown> } | { verdict: string }>;
}

/** What resultSections reads of a reproduction's result (pipeline.ts's ReproductionResult). */
export interface SavedResults {
  title: string;
  ok: boolean;
  failure?: string;
  tables: SavedTable[];
  figures: SavedFigure[];
}

/**
 * What the report leads with, read back from what each notebook saved: its tables in the order
 * saved, then its figures, each followed by its verdict (the notebook's own, else its verdict
 * column's rows grouped by verdict).
 */
export function resultSections(results: readonly SavedResults[]): ResultSection[] {
  return results.map((r) => {
    const items: ResultSection["items"] = [];
    const problems: string[] = r.ok
      ? []
      : [`The notebook failed: ${r.failure ?? "no message"}. What it saved before failing is shown.`];
    for (const t of r.tables) {
      let table: Table;
      try {
        table = JSON.parse(readFileSync(t.json, "utf8")) as Table;
      } catch (err) {
        problems.push(`table ${t.name}: cannot read ${t.json}: ${(err as Error).message}`);
        continue;
      }
      items.push({ output: { "text/html": tableToHtml(table) } });
      const verdict = t.verdict ?? verdictColumnSummary(table);
      if (verdict) items.push({ verdict: `**Verdict.** ${verdict}` });
    }
    for (const f of r.figures) {
      try {
        items.push({ output: { [PLOTLY_MIME]: JSON.parse(readFileSync(f.json, "utf8")) as unknown } });
      } catch (err) {
        problems.push(`figure ${f.name}: cannot read ${f.json}: ${(err as Error).message}`);
        continue;
      }
      if (f.verdict) items.push({ verdict: `**Verdict.** ${f.verdict}` });
    }
    if (items.length === 0 && r.ok) problems.push("The notebook saved no tables or figures.");
    return { title: r.title, ...(problems.length ? { failure: problems.join(" ") } : {}), items };
  });
}
