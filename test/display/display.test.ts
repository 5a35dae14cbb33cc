import { afterEach, beforeEach, describe, expect, it } from "vitest";
import { clearOutput, display, html, isDisplayHandle, PLOTLY_MIME, toMimeBundle } from "../../lib/display/index.js";
import { recordingSink, setDisplaySink, type DisplaySink } from "../../lib/display/sink.js";

let sink: ReturnType<typeof recordingSink>;
let previous: DisplaySink;
beforeEach(() => {
  sink = recordingSink(true);
  previous = setDisplaySink(sink);
});
afterEach(() => {
  setDisplaySink(previous);
});

describe("display()", () => {
  it("publishes a bundle with a display id and updates the same id in place", () => {
    const h = display({ a: 1 }, { id: "my-id", metadata: { isolated: true } });
    h.update([1, 2, 3]);
    expect(h.id).toBe("my-id");
    expect(sink.records.map((r) => [r.kind, r.displayId])).toEqual([
      ["display", "my-id"],
      ["update", "my-id"],
    ]);
    expect(sink.records[0]!.data!["text/plain"]).toBe("{ a: 1 }");
    expect(sink.records[1]!.data!["text/plain"]).toBe("[ 1, 2, 3 ]");
    expect(sink.records[1]!.metadata).toEqual({ isolated: true });
  });

  it("tags every handle with the registered display-handle symbol, invisibly", () => {
    const handles = [display(1), display.html("<b>x</b>"), display.json({ a: 1 }), display.plotly({ data: [] })];
    const tag = Symbol.for("peft-notebook.display-handle");
    for (const h of handles) {
      expect((h as unknown as Record<symbol, unknown>)[tag]).toBe(true);
      expect(isDisplayHandle(h)).toBe(true);
      expect(Object.keys(h)).toEqual(["id", "update"]);
    }
    // Shape alone is not a handle.
    expect(isDisplayHandle({ id: "x", update() {} })).toBe(false);
    expect(isDisplayHandle(null)).toBe(false);
  });

  it("makes a distinct id when none is given", () => {
    const a = display(1);
    const b = display(2);
    expect(a.id).not.toBe(b.id);
    expect(sink.records[0]!.displayId).toBe(a.id);
  });

  it("renders objects with Symbol.for('Jupyter.display') rich, adding a text/plain fallback", () => {
    const obj = {
      [Symbol.for("Jupyter.display")]() {
        return { "text/html": "<b>hi</b>" };
      },
    };
    const { data } = toMimeBundle(obj);
    expect(data["text/html"]).toBe("<b>hi</b>");
    expect(typeof data["text/plain"]).toBe("string");
    const keep = { [Symbol.for("Jupyter.display")]: () => ({ "text/plain": "mine" }) };
    expect(toMimeBundle(keep).data).toEqual({ "text/plain": "mine" });
  });

  it("names the problem when a Jupyter.display method returns no bundle", () => {
    const bad = { [Symbol.for("Jupyter.display")]: () => "oops" };
    expect(() => toMimeBundle(bad)).toThrow(/must return a MIME bundle.*found string/);
  });

  it("shows plain values in util.inspect style", () => {
    expect(toMimeBundle("plain").data).toEqual({ "text/plain": "plain" });
    expect(toMimeBundle(new Map([["k", 2]])).data["text/plain"]).toBe("Map(1) { 'k' => 2 }");
    expect(toMimeBundle(42).data["text/plain"]).toBe("42");
    const err = new RangeError("bad range");
    expect(String(toMimeBundle(err).data["text/plain"])).toMatch(/^RangeError: bad range\n\s+at /);
  });

  it("html tag escapes interpolations but not nested html", () => {
    const name = `<script>"x" & 'y'</script>`;
    const h = html`<b>${name}</b>${html`<i>${1}</i>`}${[html`<br>`, "<"]}${null}`;
    expect(h.value).toBe("<b>&lt;script&gt;&quot;x&quot; &amp; &#39;y&#39;&lt;/script&gt;</b><i>1</i><br>&lt;");
    display(h);
    expect(sink.records[0]!.data!["text/html"]).toBe(h.value);
  });
});

describe("display.<mime>()", () => {
  it("html, markdown, svg, json carry their MIME type and a text/plain fallback", () => {
    display.html("<p>x</p>");
    display.markdown("# T");
    display.svg('<svg xmlns="http://www.w3.org/2000/svg"></svg>');
    display.json({ a: [1, 2] });
    const [h, m, s, j] = sink.records.map((r) => r.data!);
    expect(h!["text/html"]).toBe("<p>x</p>");
    expect(m!["text/markdown"]).toBe("# T");
    expect(s!["image/svg+xml"]).toContain("<svg");
    expect(j!["application/json"]).toEqual({ a: [1, 2] });
    for (const d of [h, m, s, j]) expect(typeof d!["text/plain"]).toBe("string");
  });

  it("png accepts bytes or base64 and rejects non-PNG data", () => {
    const png = Uint8Array.from([0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a, 1, 2, 3]);
    display.png(png);
    const b64 = Buffer.from(png).toString("base64");
    display.png(b64);
    display.png(`data:image/png;base64,${b64}`);
    expect(sink.records.map((r) => r.data!["image/png"])).toEqual([b64, b64, b64]);
    expect(() => display.png(Uint8Array.from([0xff, 0xd8, 0xff]))).toThrow(/not a PNG.*found ff d8 ff/);
    expect(() => display.png("not base64!")).toThrow(/not base64/);
  });

  it("json rejects cyclic values with a clear error", () => {
    const cyc: Record<string, unknown> = {};
    cyc.self = cyc;
    expect(() => display.json(cyc)).toThrow(/display.json: value is not JSON-serialisable/);
  });

  it("svg rejects markup without an <svg> element", () => {
    expect(() => display.svg("<div></div>")).toThrow(/display.svg: expected SVG markup/);
  });

  it("plotly sends the plotly MIME type plus offline text/html and text/plain fallbacks", () => {
    const fig = {
      data: [{ type: "scatter", name: "a<b", x: [1, 2], y: new Float32Array([3, 4]) }],
      layout: { title: { text: "Loss" }, xaxis: { title: { text: "step" } } },
    };
    const h = display.plotly(fig, { id: "fig" });
    const d = sink.records[0]!.data!;
    const payload = d[PLOTLY_MIME] as { data: { y: unknown }[]; layout: unknown };
    expect(payload.data[0]!.y).toEqual([3, 4]); // typed arrays become JSON arrays
    expect(JSON.parse(JSON.stringify(payload))).toEqual(payload);
    expect(d["text/html"]).toContain("a&lt;b");
    expect(d["text/html"]).not.toMatch(/<script|(src|href)=["']?https?:|url\(/); // nothing to fetch
    expect(d["text/html"]).toContain("<svg");
    expect(d["text/plain"]).toContain("Loss");
    h.update({ data: [], layout: {} });
    expect(sink.records[1]).toMatchObject({ kind: "update", displayId: "fig" });
    expect((sink.records[1]!.data![PLOTLY_MIME] as { data: unknown[] }).data).toEqual([]);
    expect(() => display.plotly({ layout: {} } as never)).toThrow(/figure.data must be an array/);
  });

  it("clearOutput passes wait through", () => {
    clearOutput({ wait: true });
    clearOutput();
    expect(sink.records).toEqual([
      { kind: "clear", wait: true },
      { kind: "clear", wait: false },
    ]);
  });
});
