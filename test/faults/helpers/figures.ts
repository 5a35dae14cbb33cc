// The fault suite prints what it injected and what happened as plain tables (`npm run faults`
// shows them; vitest prints a test file's console output under its name).
export type Row = Record<string, string | number | boolean>;

export function printFigures(title: string, rows: readonly Row[]): void {
  if (rows.length === 0) return;
  const columns = [...new Set(rows.flatMap((r) => Object.keys(r)))];
  const cell = (v: unknown) => (v === undefined ? "" : typeof v === "number" ? String(+v.toFixed(3)) : String(v));
  const width = columns.map((c) => Math.max(c.length, ...rows.map((r) => cell(r[c]).length)));
  const line = (vals: string[]) => vals.map((v, i) => v.padEnd(width[i] as number)).join("  ");
  const out = [
    `\n${title}`,
    line(columns),
    line(width.map((w) => "-".repeat(w))),
    ...rows.map((r) => line(columns.map((c) => cell(r[c])))),
  ];
  console.log(out.join("\n"));
}
