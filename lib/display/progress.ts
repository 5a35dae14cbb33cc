// A progress bar that redraws in place: on a rich sink an HTML bar updated through a display id,
// on a plain sink one text line rewritten with \r. Redraws are throttled; the final state is
// always drawn.

import { randomUUID } from "node:crypto";
import { escapeHtml } from "./escape.js";
import { PROGRESS_METADATA_KEY, type ProgressReport } from "./progress-report.js";
import { currentDisplaySink, type DisplaySink, type MimeBundle } from "./sink.js";
import { throttle } from "./throttle.js";

export type ProgressFields = Record<string, string | number>;

export interface ProgressOptions {
  total: number;
  label?: string;
  /** Minimum time between redraws; default 100 ms. */
  minIntervalMs?: number;
  /** Clock in ms (for tests); default Date.now. */
  now?: () => number;
  /** Sink to draw on; default the current one at creation. */
  sink?: DisplaySink;
  /** Characters of the text bar; default 20. */
  width?: number;
  /**
   * What the bar counts (e.g. "runs"): when set, every redraw also publishes the numbers in the
   * display metadata (progress-report.ts) for a headless runner to relay.
   */
  kind?: string;
  /**
   * Seconds left, when the caller knows better than the overall rate (e.g. runs read from a cache
   * take no time, so only trained runs predict the rest); undefined shows "?".
   */
  eta?: (current: number, total: number, elapsedSeconds: number) => number | undefined;
}

export interface ProgressBar {
  readonly id: string;
  update(current: number, fields?: ProgressFields): void;
  /** Draws the final state (if not drawn yet) and ends the line. Further calls do nothing. */
  close(): void;
}

/** What one redraw shows; exported so callers and tests can check the arithmetic. */
export interface ProgressState {
  label: string;
  current: number;
  total: number;
  percent: number;
  /** Items per second since the bar was created; undefined before any time has passed. */
  rate?: number;
  /** Seconds left at the current rate. */
  etaSeconds?: number;
  elapsedSeconds: number;
  fields: ProgressFields;
}

export function formatDuration(seconds: number): string {
  if (!Number.isFinite(seconds) || seconds < 0) return "?";
  const s = Math.round(seconds);
  const h = Math.floor(s / 3600);
  const m = Math.floor((s % 3600) / 60);
  const ss = String(s % 60).padStart(2, "0");
  return h > 0 ? `${h}:${String(m).padStart(2, "0")}:${ss}` : `${m}:${ss}`;
}

function formatValue(v: string | number): string {
  if (typeof v === "string") return v;
  if (Number.isInteger(v)) return String(v);
  if (!Number.isFinite(v)) return String(v);
  return Math.abs(v) >= 1e5 || (v !== 0 && Math.abs(v) < 1e-3) ? v.toExponential(3) : String(Number(v.toPrecision(4)));
}

function formatRate(rate: number | undefined): string {
  if (rate === undefined) return "? it/s";
  return rate >= 1 || rate === 0 ? `${formatValue(rate)} it/s` : `${formatValue(1 / rate)} s/it`;
}

export function progressText(s: ProgressState, width = 20): string {
  const filled = Math.round((s.percent / 100) * width);
  const bar = "█".repeat(filled) + "░".repeat(width - filled);
  const parts = [
    `${s.label ? `${s.label} ` : ""}${bar} ${s.current}/${s.total} ${s.percent.toFixed(0)}%`,
    formatRate(s.rate),
    `ETA ${s.current >= s.total ? formatDuration(0) : formatDuration(s.etaSeconds ?? NaN)}`,
    ...Object.entries(s.fields).map(([k, v]) => `${k}=${formatValue(v)}`),
  ];
  return parts.join("  ");
}

export function progressHtml(s: ProgressState): string {
  const fields = Object.entries(s.fields)
    .map(([k, v]) => ` · ${escapeHtml(k)}=${escapeHtml(formatValue(v))}`)
    .join("");
  return (
    `<div class="peft-progress" style="font-family:monospace;display:flex;align-items:center;gap:0.5em">` +
    (s.label ? `<span>${escapeHtml(s.label)}</span>` : "") +
    `<div style="width:16em;height:0.9em;border:1px solid #999;border-radius:2px;background:#eee">` +
    `<div style="width:${s.percent.toFixed(1)}%;height:100%;background:#4c8bf5"></div></div>` +
    `<span>${s.current}/${s.total} ${s.percent.toFixed(0)}% · ${escapeHtml(formatRate(s.rate))} · ` +
    `${s.current >= s.total ? `done in ${formatDuration(s.elapsedSeconds)}` : `ETA ${formatDuration(s.etaSeconds ?? NaN)}`}` +
    `${fields}</span></div>`
  );
}

function report(kind: string, s: ProgressState): ProgressReport {
  return {
    kind,
    label: s.label,
    current: s.current,
    total: s.total,
    elapsedSeconds: s.elapsedSeconds,
    ...(s.etaSeconds !== undefined && Number.isFinite(s.etaSeconds) ? { etaSeconds: s.etaSeconds } : {}),
    fields: s.fields,
  };
}

export function progressBar(opts: ProgressOptions): ProgressBar {
  const { total } = opts;
  if (!(Number.isFinite(total) && total > 0))
    throw new RangeError(`progressBar: total must be a positive number, found ${total}`);
  const label = opts.label ?? "";
  const now = opts.now ?? Date.now;
  const sink = opts.sink ?? currentDisplaySink();
  const width = opts.width ?? 20;
  const gate = throttle(opts.minIntervalMs ?? 100, now);
  const id = randomUUID();
  const start = now();
  let current = 0;
  let fields: ProgressFields = {};
  let dirty = false;
  let shown = false;
  let closed = false;
  let lastLength = 0;

  const state = (): ProgressState => {
    const elapsedSeconds = (now() - start) / 1000;
    const rate = elapsedSeconds > 0 ? current / elapsedSeconds : undefined;
    const etaSeconds = opts.eta
      ? opts.eta(current, total, elapsedSeconds)
      : rate !== undefined && rate > 0
        ? Math.max(0, total - current) / rate
        : undefined;
    const percent = Math.min(100, Math.max(0, (current / total) * 100));
    return { label, current, total, percent, rate, etaSeconds, elapsedSeconds, fields };
  };

  const draw = (): void => {
    const s = state();
    const text = progressText(s, width);
    dirty = false;
    if (!sink.rich && sink.write) {
      // Pad over the remains of a longer previous line.
      sink.write(`\r${text}${" ".repeat(Math.max(0, lastLength - text.length))}`);
      lastLength = text.length;
      return;
    }
    const data: MimeBundle = sink.rich ? { "text/html": progressHtml(s), "text/plain": text } : { "text/plain": text };
    const metadata = opts.kind ? { [PROGRESS_METADATA_KEY]: report(opts.kind, s) } : {};
    if (shown) sink.update(data, metadata, id);
    else sink.display(data, metadata, id);
    shown = true;
  };

  gate.ready(true);
  draw();

  return {
    id,
    update(value, newFields) {
      if (closed) return;
      if (!Number.isFinite(value))
        throw new RangeError(`progressBar.update: current must be a finite number, found ${value}`);
      current = value;
      if (newFields) fields = { ...fields, ...newFields };
      dirty = true;
      if (gate.ready(current >= total)) draw();
    },
    close() {
      if (closed) return;
      closed = true;
      if (dirty) draw();
      if (!sink.rich && sink.write) sink.write("\n");
    },
  };
}
