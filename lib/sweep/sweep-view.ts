// The notebook's live view of its queued runs: one row per run with where it stands and, while a
// worker trains it, the step, loss and tokens/s the worker publishes. Redrawn in place, at most
// once a second, and once more at the end.
import { displayTable } from "../plots/table.js";
import type { Table } from "../plots/table.js";
import type { DisplayHandle } from "../display/display.js";
import { throttle } from "../display/throttle.js";
import type { RunJobProgress } from "./run-job.js";

export type RunStatus = "stored" | "waiting" | "active" | "done" | "failed";

export interface RunRow {
  key: string;
  label: string;
  status: RunStatus;
  progress?: RunJobProgress;
  note?: string;
}

export function sweepTable(rows: readonly RunRow[]): Table {
  const count = (s: RunStatus) => rows.filter((r) => r.status === s).length;
  return {
    columns: ["run", "status", "worker", "step", "loss", "tokens/s", "note"],
    rows: rows.map((r) => {
      const p = r.progress;
      const training = r.status === "active" && p;
      return [
        r.label,
        training ? `${r.status} (${p.phase})` : r.status,
        p?.worker ?? "",
        training && p.totalSteps ? `${p.step}/${p.totalSteps}` : "",
        training && p.loss !== undefined ? p.loss : null,
        training && p.tokensPerSec !== undefined ? Math.round(p.tokensPerSec) : null,
        r.note ?? (p?.resumedFromStep !== undefined ? `resumed from step ${p.resumedFromStep}` : ""),
      ];
    }),
    digits: [0, 0, 0, 0, 4, 0, 0],
    caption: `Queued runs: ${count("done") + count("stored")} of ${rows.length} finished (${count("stored")} already stored), ${count("active")} training, ${count("waiting")} waiting, ${count("failed")} failed`,
  };
}

export interface SweepView {
  changed(): void;
  close(): void;
}

export function sweepView(rows: readonly RunRow[], enabled: boolean): SweepView {
  if (!enabled) return { changed: () => undefined, close: () => undefined };
  const gate = throttle(1000);
  let handle: DisplayHandle<Table> | null = null;
  const draw = (force: boolean) => {
    if (!gate.ready(force)) return;
    if (handle) handle.update(sweepTable(rows));
    else handle = displayTable(sweepTable(rows));
  };
  draw(true);
  return { changed: () => draw(false), close: () => draw(true) };
}
