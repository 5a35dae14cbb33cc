// The reproduce command's progress lines: what a notebook's runs bars publish (progress-report.ts),
// turned into one terminal line per finished run.
import { formatDuration } from "../display/progress.js";
import { RUNS_PROGRESS_KIND, type ProgressReport } from "../display/progress-report.js";

/**
 * One terminal line each time a notebook's run count moves (not on every redraw): runs done /
 * total, the notebook's elapsed time and the bar's estimate of what remains.
 */
export function progressLogger(
  name: string,
  startedMs: number,
  log: (line: string) => void,
  now: () => number = () => performance.now(),
): (p: ProgressReport) => void {
  let last = "";
  return (p) => {
    if (p.kind !== RUNS_PROGRESS_KIND) return;
    const key = `${p.label}:${p.current}/${p.total}`;
    if (key === last) return;
    last = key;
    const counts = ["cached", "failed"]
      .filter((k) => typeof p.fields[k] === "number" && (p.fields[k] as number) > 0)
      .map((k) => `${p.fields[k]} ${k}`);
    const remaining =
      p.current >= p.total
        ? "done"
        : p.etaSeconds === undefined
          ? "time left unknown until a run is trained"
          : `about ${formatDuration(p.etaSeconds)} left`;
    log(
      `  ${name}: ${p.label} ${p.current}/${p.total}${counts.length ? ` (${counts.join(", ")})` : ""}, ${formatDuration((now() - startedMs) / 1000)} elapsed, ${remaining}`,
    );
  };
}
