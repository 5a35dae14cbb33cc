import { describe, expect, it } from "vitest";
import { PROGRESS_METADATA_KEY, progressBar, progressFromMetadata } from "../../lib/display/index.js";
import { recordingSink } from "../../lib/display/sink.js";

function clock() {
  let t = 1_000_000;
  return { now: () => t, advance: (ms: number) => (t += ms) };
}

describe("progressBar on a rich sink", () => {
  it("draws once, then throttles updates to the interval and always draws the final state", () => {
    const sink = recordingSink(true);
    const c = clock();
    const bar = progressBar({ total: 100, label: "train", sink, now: c.now, minIntervalMs: 100 });
    for (let i = 1; i <= 100; i++) {
      c.advance(10); // 10 ms per step: at most one redraw per 10 steps
      bar.update(i, { loss: 1 / i });
    }
    bar.close();
    const ids = new Set(sink.records.map((r) => r.displayId));
    expect(ids.size).toBe(1);
    expect(sink.records[0]!.kind).toBe("display");
    expect(sink.records.slice(1).every((r) => r.kind === "update")).toBe(true);
    // 1 initial + one per 100 ms over 1 s (10) — the last coincides with the final step.
    expect(sink.records.length).toBe(11);
    const last = String(sink.records.at(-1)!.data!["text/plain"]);
    expect(last).toContain("100/100 100%");
    expect(last).toContain("loss=0.01");
    expect(last).toContain("100 it/s"); // 100 steps in 1 s
    expect(String(sink.records.at(-1)!.data!["text/html"])).toMatch(/width:100\.0%/);
  });

  it("close() draws a throttled-away state, exactly once", () => {
    const sink = recordingSink(true);
    const c = clock();
    const bar = progressBar({ total: 10, sink, now: c.now });
    c.advance(200);
    bar.update(3);
    c.advance(10);
    bar.update(4, { "tok/s": 123.456 }); // within 100 ms of the last draw: not drawn yet
    expect(String(sink.records.at(-1)!.data!["text/plain"])).toContain("3/10");
    bar.close();
    bar.close();
    bar.update(9);
    const last = String(sink.records.at(-1)!.data!["text/plain"]);
    expect(last).toContain("4/10 40%");
    expect(last).toContain("tok/s=123.5");
    expect(sink.records.length).toBe(3);
  });

  it("shows rate and ETA from elapsed time", () => {
    const sink = recordingSink(true);
    const c = clock();
    const bar = progressBar({ total: 100, sink, now: c.now });
    c.advance(5000);
    bar.update(25); // 5 it/s, 75 left => 15 s
    const text = String(sink.records.at(-1)!.data!["text/plain"]);
    expect(text).toContain("25/100 25%");
    expect(text).toContain("5 it/s");
    expect(text).toContain("ETA 0:15");
  });

  it("escapes the label and fields in HTML", () => {
    const sink = recordingSink(true);
    const bar = progressBar({ total: 2, label: "<b>x</b>", sink });
    bar.update(2, { "a&b": "<i>" });
    const h = String(sink.records.at(-1)!.data!["text/html"]);
    expect(h).toContain("&lt;b&gt;x&lt;/b&gt;");
    expect(h).toContain("a&amp;b=&lt;i&gt;");
    expect(h).not.toContain("<i>");
  });

  it("rejects a non-positive total", () => {
    expect(() => progressBar({ total: 0, sink: recordingSink() })).toThrow(/total must be a positive number, found 0/);
  });
});

describe("progressBar on a plain sink", () => {
  it("rewrites one line with \\r, pads over longer text, and ends with a newline", () => {
    const sink = recordingSink(false);
    const c = clock();
    const bar = progressBar({ total: 3, label: "eval", sink, now: c.now });
    c.advance(1000);
    bar.update(1, { loss: 123456.7 });
    c.advance(1000);
    bar.update(2, { loss: 2 });
    c.advance(1000);
    bar.update(3);
    bar.close();
    expect(sink.records.every((r) => r.kind === "write")).toBe(true);
    const writes = sink.records.map((r) => r.text!);
    expect(writes.at(-1)).toBe("\n");
    const lines = writes.slice(0, -1);
    expect(lines.length).toBe(4);
    for (const l of lines) expect(l.startsWith("\r")).toBe(true);
    expect(lines.join("")).not.toContain("\n");
    // The shorter "loss=2" line is padded to cover the longer "loss=1.235e+5" one.
    expect(lines[2]!.length).toBeGreaterThanOrEqual(lines[1]!.length);
    expect(lines[3]).toContain("3/3 100%");
    expect(lines[3]).toContain("ETA 0:00");
  });

  it("falls back to text/plain display updates on a sink without write()", () => {
    const rec = recordingSink(false);
    const { write: _w, ...noWrite } = rec;
    const bar = progressBar({ total: 2, sink: { ...noWrite, rich: false }, minIntervalMs: 0 });
    bar.update(2);
    bar.close();
    expect(rec.records.map((r) => r.kind)).toEqual(["display", "update"]);
    expect(rec.records[1]!.data).toEqual({ "text/plain": expect.stringContaining("2/2") });
  });
});

describe("progressBar's published numbers (kind)", () => {
  it("puts current, total, elapsed and the caller's estimate in every redraw's metadata", () => {
    const sink = recordingSink(true);
    const c = clock();
    // The caller's estimate: 10 s per item left, whatever the rate so far.
    const bar = progressBar({
      total: 4,
      label: "runs",
      kind: "runs",
      sink,
      now: c.now,
      minIntervalMs: 0,
      eta: (done, total) => (total - done) * 10,
    });
    c.advance(2000);
    bar.update(1, { cached: 1 });
    c.advance(3000);
    bar.update(4);
    bar.close();
    const reports = sink.records.map((r) => progressFromMetadata(r.metadata));
    expect(reports.map((r) => r?.current)).toEqual([0, 1, 4]);
    expect(reports[0]).toMatchObject({ kind: "runs", label: "runs", total: 4, elapsedSeconds: 0, etaSeconds: 40 });
    expect(reports[1]).toMatchObject({ elapsedSeconds: 2, etaSeconds: 30, fields: { cached: 1 } });
    expect(reports[2]).toMatchObject({ elapsedSeconds: 5, etaSeconds: 0 });
    // The picture shows the caller's estimate too.
    expect(String(sink.records[1]!.data!["text/plain"])).toContain("ETA 0:30");
  });

  it("publishes nothing without a kind, and a malformed report is ignored", () => {
    const sink = recordingSink(true);
    const bar = progressBar({ total: 2, sink, minIntervalMs: 0 });
    bar.update(2);
    bar.close();
    expect(sink.records.map((r) => r.metadata)).toEqual([{}, {}]);
    expect(progressFromMetadata({ [PROGRESS_METADATA_KEY]: { kind: "runs", current: "3" } })).toBeUndefined();
    expect(progressFromMetadata(null)).toBeUndefined();
  });
});
