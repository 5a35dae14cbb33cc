import { mkdtempSync, readFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import {
  NotebookFormatError,
  parseNotebook,
  readNotebook,
  serializeNotebook,
  writeNotebook,
} from "../../kernel/notebook/notebook-file.js";
import { cellTags, joinSource, splitLines, type Notebook } from "../../kernel/notebook/nbformat.js";
import {
  INJECTED_TAG,
  injectParameters,
  ParameterError,
  parseParameterArg,
  parseParameterArgs,
  parseParameterValue,
} from "../../kernel/notebook/parameters.js";

const FIXTURE = join(import.meta.dirname, "..", "fixtures", "notebooks", "smoke.ipynb");

function nb(cells: unknown[], extra: Record<string, unknown> = {}): string {
  return JSON.stringify({ nbformat: 4, nbformat_minor: 5, metadata: {}, cells, ...extra });
}

describe("reading and validating notebooks", () => {
  it("reads the fixture and its parameters cell", () => {
    const n = readNotebook(FIXTURE);
    expect(n.metadata.kernelspec?.name).toBe("peft-nb");
    expect(n.metadata.kernelspec?.language).toBe("typescript");
    const params = n.cells.filter((c) => cellTags(c).includes("parameters"));
    expect(params).toHaveLength(1);
    expect(joinSource(params[0]!.source)).toContain("let greeting");
  });

  it("names the file and the problem for bad input", () => {
    expect(() => parseNotebook("{not json", "a.ipynb")).toThrow(/a\.ipynb: not valid JSON/);
    expect(() => parseNotebook(JSON.stringify({ nbformat: 3, cells: [] }), "b.ipynb")).toThrow(
      /b\.ipynb: only nbformat 4 .* found nbformat 3/,
    );
    expect(() => parseNotebook(nb([{ cell_type: "code", source: 5 }]), "c.ipynb")).toThrow(
      /c\.ipynb: cell 1: source must be a string or list of strings, found number/,
    );
    expect(() =>
      parseNotebook(
        nb([
          { cell_type: "markdown", source: "" },
          { cell_type: "widget", source: "" },
        ]),
        "d.ipynb",
      ),
    ).toThrow(/d\.ipynb: cell 2: cell_type must be code, markdown or raw, found "widget"/);
    expect(() =>
      parseNotebook(
        nb([{ cell_type: "code", source: "", outputs: [{ output_type: "stream", name: "stdlog", text: "" }] }]),
        "e.ipynb",
      ),
    ).toThrow(/e\.ipynb: cell 1 output 1: stream name must be stdout or stderr/);
    expect(() =>
      parseNotebook(nb([{ cell_type: "code", source: "", metadata: { tags: "parameters" } }]), "f.ipynb"),
    ).toThrow(/metadata\.tags must be a list of strings/);
    expect(() => parseNotebook(nb([]).replace('"cells":[]', '"cells":{}'), "g.ipynb")).toThrow(
      /g\.ipynb: cells must be a list, found object/,
    );
    expect(() => readNotebook("/nonexistent/x.ipynb")).toThrow(NotebookFormatError);
  });

  it("fills the fields Jupyter tolerates being absent", () => {
    const n = parseNotebook(nb([{ cell_type: "code", source: "1" }]));
    const c = n.cells[0]!;
    expect(c.cell_type === "code" && c.outputs).toEqual([]);
    expect(c.cell_type === "code" && c.execution_count).toBeNull();
    expect(c.metadata).toEqual({});
  });

  it("round-trips through write and read, dropping runtime-only display ids", () => {
    const n = readNotebook(FIXTURE);
    const c = n.cells[2]!;
    if (c.cell_type !== "code") throw new Error("fixture cell 3 should be code");
    c.outputs = [
      { output_type: "display_data", data: { "text/plain": "x" }, metadata: {}, transient: { display_id: "d1" } },
    ];
    const dir = mkdtempSync(join(tmpdir(), "nbtest-"));
    writeNotebook(join(dir, "out.ipynb"), n);
    const text = readFileSync(join(dir, "out.ipynb"), "utf8");
    expect(text).not.toContain("transient");
    expect(text.endsWith("\n")).toBe(true);
    const back = readNotebook(join(dir, "out.ipynb"));
    expect(back.cells.map((x) => joinSource(x.source))).toEqual(n.cells.map((x) => joinSource(x.source)));
    expect(JSON.parse(serializeNotebook(back))).toEqual(JSON.parse(text));
  });

  it("splits and joins multiline strings as nbformat stores them", () => {
    for (const s of ["", "a", "a\n", "a\nb", "a\n\nb\n"]) expect(joinSource(splitLines(s))).toBe(s);
    expect(splitLines("a\nb")).toEqual(["a\n", "b"]);
  });
});

describe("papermill-style parameters", () => {
  it("parses values like papermill: numbers, booleans, null, JSON, else strings", () => {
    expect(parseParameterValue("3")).toBe(3);
    expect(parseParameterValue("-2.5e-3")).toBe(-0.0025);
    expect(parseParameterValue("true")).toBe(true);
    expect(parseParameterValue("null")).toBeNull();
    expect(parseParameterValue("[1,2]")).toEqual([1, 2]);
    expect(parseParameterValue('{"a":1}')).toEqual({ a: 1 });
    expect(parseParameterValue("smoke")).toBe("smoke");
    expect(parseParameterValue("1.2.3")).toBe("1.2.3");
    expect(parseParameterValue("[oops")).toBe("[oops");
    expect(parseParameterArg("path=/a=b")).toEqual(["path", "/a=b"]);
  });

  it("rejects malformed arguments with the offending text", () => {
    expect(() => parseParameterArg("novalue")).toThrow(/'novalue' must look like name=value/);
    expect(() => parseParameterArg("2x=1")).toThrow(/'2x' is not a valid identifier/);
    expect(() => parseParameterArg("=1")).toThrow(ParameterError);
  });

  it("injects an assignment cell right after the parameters cell and replaces an earlier injection", () => {
    const base = readNotebook(FIXTURE);
    const paramsAt = base.cells.findIndex((c) => cellTags(c).includes("parameters"));
    const once = injectParameters(base, parseParameterArgs(["greeting=hey", "repeats=3"]));
    expect(once.cells).toHaveLength(base.cells.length + 1);
    const injected = once.cells[paramsAt + 1]!;
    expect(cellTags(injected)).toEqual([INJECTED_TAG]);
    expect(joinSource(injected.source)).toContain('greeting = "hey";');
    expect(joinSource(injected.source)).toContain("repeats = 3;");
    expect(joinSource(injected.source)).not.toContain("let ");
    expect(base.cells).toHaveLength(once.cells.length - 1); // input untouched
    const twice = injectParameters(once, { repeats: 5 });
    expect(twice.cells).toHaveLength(base.cells.length + 1);
    expect(joinSource(twice.cells[paramsAt + 1]!.source)).toContain("repeats = 5;");
    expect(joinSource(twice.cells[paramsAt + 1]!.source)).not.toContain("greeting");
  });

  it("declares the values at the top when there is no parameters cell, or refuses in strict mode", () => {
    const plain: Notebook = {
      nbformat: 4,
      nbformat_minor: 5,
      metadata: {},
      cells: [{ cell_type: "code", source: "x", metadata: {}, outputs: [], execution_count: null }],
    };
    const out = injectParameters(plain, { x: 1 });
    expect(joinSource(out.cells[0]!.source)).toContain("let x = 1;");
    expect(() => injectParameters(plain, { x: 1 }, { strict: true })).toThrow(/no cell tagged 'parameters'/);
  });
});
