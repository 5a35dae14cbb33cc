import { afterEach, beforeEach, describe, expect, it } from "vitest";
import { recordingSink, setDisplaySink, type DisplaySink } from "../../lib/display/sink.js";
import {
  displayTable,
  formatCell,
  tableToCsv,
  tableToHtml,
  tableToMarkdown,
  tableToText,
  type Table,
} from "../../lib/plots/index.js";

const tricky: Table = {
  caption: "Results <GLUE>",
  columns: ["method", "note", "acc", "steps"],
  rows: [
    ["LoRA, r=8", 'says "hi"', { mean: 0.81234, std: 0.0049 }, 1000],
    ["a|b", "<script>x</script> & *bold* _it_ `code`", 0.5, 20],
    ["multi\nline", " padded ", null, -0.0001],
  ],
  digits: 2,
};

/** A minimal RFC 4180 parser, to read the CSV back instead of comparing against our own output. */
function parseCsv(s: string): string[][] {
  const rows: string[][] = [];
  let row: string[] = [];
  let field = "";
  let quoted = false;
  for (let i = 0; i < s.length; i++) {
    const c = s[i]!;
    if (quoted) {
      if (c === '"' && s[i + 1] === '"') {
        field += '"';
        i++;
      } else if (c === '"') quoted = false;
      else field += c;
    } else if (c === '"') quoted = true;
    else if (c === ",") {
      row.push(field);
      field = "";
    } else if (c === "\r" && s[i + 1] === "\n") {
      row.push(field);
      rows.push(row);
      row = [];
      field = "";
      i++;
    } else field += c;
  }
  return rows;
}

describe("formatCell", () => {
  it("formats integers, decimals, mean ± std and empty cells", () => {
    expect(formatCell(12)).toBe("12");
    expect(formatCell(0.123456, 4)).toBe("0.1235");
    expect(formatCell({ mean: 0.81234, std: 0.0049 }, 2)).toBe("0.81 ± 0.00");
    expect(formatCell({ mean: 71.256, std: 1.04 }, 1)).toBe("71.3 ± 1.0");
    expect(formatCell(-0.0001, 2)).toBe("0.00");
    expect(formatCell(null)).toBe("");
    expect(formatCell(NaN)).toBe("NaN");
  });
});

describe("table renderers on tricky input", () => {
  it("CSV quotes commas, quotes, line breaks and edge spaces, and reads back to the same cells", () => {
    const csv = tableToCsv(tricky);
    expect(parseCsv(csv)).toEqual([
      ["method", "note", "acc", "steps"],
      ["LoRA, r=8", 'says "hi"', "0.81 ± 0.00", "1000"],
      ["a|b", "<script>x</script> & *bold* _it_ `code`", "0.50", "20"],
      ["multi\nline", " padded ", "", "0.00"],
    ]);
  });

  it("HTML escapes every cell and right-aligns numeric columns", () => {
    const h = tableToHtml(tricky);
    expect(h).not.toContain("<script>");
    expect(h).toContain("&lt;script&gt;x&lt;/script&gt; &amp;");
    expect(h).toContain("says &quot;hi&quot;");
    expect(h).toContain("<caption>Results &lt;GLUE&gt;</caption>");
    expect(h).toContain('<th style="text-align:right">acc</th>');
    expect(h).toContain("<th>note</th>");
    expect((h.match(/<tr>/g) ?? []).length).toBe(4);
  });

  it("Markdown keeps one line per row with pipes and markup escaped", () => {
    const md = tableToMarkdown(tricky).split("\n");
    expect(md[0]).toBe("**Results &lt;GLUE&gt;**");
    const table = md.slice(2);
    expect(table.length).toBe(2 + tricky.rows.length);
    expect(table[1]).toBe("| --- | --- | ---: | ---: |");
    // Unescaped pipes separate cells: every line has exactly columns + 1 of them.
    for (const line of table) expect(line.split(/(?<!\\)\|/).length - 2).toBe(4);
    expect(table[3]).toContain("a\\|b");
    expect(table[3]).toContain("&lt;script&gt;");
    expect(table[3]).toContain("\\*bold\\* \\_it\\_ \\`code\\`");
    expect(table[4]).toContain("multi<br>line");
  });

  it("text aligns columns", () => {
    const lines = tableToText({
      columns: ["name", "x"],
      rows: [
        ["a", 1.5],
        ["long name", 10],
      ],
    }).split("\n");
    expect(new Set(lines.map((l) => l.length)).size).toBe(1);
    expect(lines[2]).toBe("a          1.500");
  });

  it("rejects ragged rows and bad cells, naming them", () => {
    expect(() => tableToCsv({ columns: ["a", "b"], rows: [["x"]] })).toThrow(/row 0 has 1 cells; expected 2/);
    expect(() => tableToHtml({ columns: ["a"], rows: [[{ mean: 1 } as never]] })).toThrow(/row 0 column "a" must be/);
    expect(() => tableToHtml({ columns: ["a"], rows: [], digits: [1, 2] })).toThrow(
      /"digits" has 2 entries; expected 1/,
    );
  });
});

describe("displayTable", () => {
  let sink: ReturnType<typeof recordingSink>;
  let previous: DisplaySink;
  beforeEach(() => {
    sink = recordingSink();
    previous = setDisplaySink(sink);
  });
  afterEach(() => void setDisplaySink(previous));

  it("sends HTML, Markdown and text, and updates in place", () => {
    const h = displayTable(tricky);
    h.update({ columns: ["x"], rows: [[1]] });
    expect(Object.keys(sink.records[0]!.data!).sort()).toEqual(["text/html", "text/markdown", "text/plain"]);
    expect(sink.records[1]).toMatchObject({ kind: "update", displayId: h.id });
    expect(sink.records[1]!.data!["text/markdown"]).toBe("| x |\n| ---: |\n| 1 |");
  });
});
