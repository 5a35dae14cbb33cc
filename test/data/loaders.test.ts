import { mkdirSync, mkdtempSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { describe, expect, test } from "vitest";
import { DataFormatError } from "../../lib/data/errors.js";
import { loadGlue, type GlueTask } from "../../lib/data/glue.js";
import { loadGsm8k } from "../../lib/data/gsm8k.js";
import { loadHumanEval } from "../../lib/data/humaneval.js";
import { loadMtBench, MT_BENCH_CATEGORIES } from "../../lib/data/mtbench.js";
import { DATA_SOURCES } from "../../lib/data/sources.js";

// Label counts are GLUE's published dev statistics (and MANIFEST.md's row counts), not read from the code.
const DEV_LABELS: Record<GlueTask, [number, number]> = {
  sst2: [428, 444],
  cola: [322, 721],
  mrpc: [129, 279],
  rte: [146, 131], // 0 = entailment
};

describe("real GLUE files", () => {
  test.each(["sst2", "cola", "mrpc", "rte"] as GlueTask[])(
    "%s: row counts match the manifest, dev label counts match GLUE",
    (task) => {
      for (const split of ["train", "dev"] as const) {
        const rows = loadGlue(task, split);
        const src = DATA_SOURCES.find((s) => s.path === `glue/${task}/${split}.tsv`)!;
        expect(rows).toHaveLength(src.rows);
        expect(rows.every((r) => r.text.length > 0 && (r.label === 0 || r.label === 1))).toBe(true);
        if (task === "mrpc" || task === "rte") expect(rows.every((r) => (r.textPair ?? "").length > 0)).toBe(true);
        else expect(rows.every((r) => r.textPair === undefined)).toBe(true);
      }
      const dev = loadGlue(task, "dev");
      expect([dev.filter((r) => r.label === 0).length, dev.filter((r) => r.label === 1).length]).toEqual(
        DEV_LABELS[task],
      );
    },
  );

  test("quirks: MRPC BOM stripped, CoLA's unterminated last row kept, first rows as in the file", () => {
    const mrpc = loadGlue("mrpc", "dev");
    expect(mrpc[0].label).toBe(1);
    expect(mrpc[0].text.startsWith("He said the foodservice pie business")).toBe(true);
    expect(mrpc[0].line).toBe(2);
    const cola = loadGlue("cola", "dev");
    expect(cola[0].text).toBe("The sailors rode the breeze clear of the rocks.");
    expect(cola[cola.length - 1].text.endsWith("himself.")).toBe(true);
    expect(cola[cola.length - 1].line).toBe(1043);
    const rte = loadGlue("rte", "dev");
    expect(rte[0].label).toBe(1); // not_entailment
    expect(rte[1].label).toBe(0);
  });
});

test("GSM8K, HumanEval and MT-Bench load with their documented shapes", () => {
  expect(loadGsm8k("train")).toHaveLength(7473);
  const he = loadHumanEval();
  expect(he).toHaveLength(164);
  expect(he.map((t) => t.taskId)).toEqual(Array.from({ length: 164 }, (_, i) => `HumanEval/${i}`));
  const mt = loadMtBench();
  expect(mt).toHaveLength(80);
  expect(mt.map((q) => q.questionId)).toEqual(Array.from({ length: 80 }, (_, i) => 81 + i));
  for (const c of MT_BENCH_CATEGORIES) expect(mt.filter((q) => q.category === c)).toHaveLength(10);
  expect(mt.filter((q) => q.reference !== undefined)).toHaveLength(39);
});

describe("bad files name file, line and field", () => {
  const dir = mkdtempSync(join(tmpdir(), "peft-data-"));
  const put = (rel: string, text: string): void => {
    mkdirSync(join(dir, rel, ".."), { recursive: true });
    writeFileSync(join(dir, rel), text);
  };

  test("bad SST-2 label", () => {
    put("glue/sst2/dev.tsv", "sentence\tlabel\ngood film\t1\nbad film\tpositive\n");
    expect(() => loadGlue("sst2", "dev", { dir })).toThrow(DataFormatError);
    expect(() => loadGlue("sst2", "dev", { dir })).toThrow(
      /sst2\/dev\.tsv:3: field 'label': expected 0 or 1, found "positive"/,
    );
  });
  test("wrong header and wrong column count", () => {
    put("glue/rte/dev.tsv", "idx\tsentence1\tsentence2\tlabel\n");
    expect(() => loadGlue("rte", "dev", { dir })).toThrow(/rte\/dev\.tsv:1: field 'header'/);
    put("glue/cola/dev.tsv", "gj04\t1\t\tok sentence\ngj04\t1\tmissing a column\n");
    expect(() => loadGlue("cola", "dev", { dir })).toThrow(
      /cola\/dev\.tsv:2: expected 4 tab-separated columns, found 3/,
    );
  });
  test("bad RTE label word", () => {
    put("glue/rte/train.tsv", "index\tsentence1\tsentence2\tlabel\n0\ta\tb\tentails\n");
    expect(() => loadGlue("rte", "train", { dir })).toThrow(
      /train\.tsv:2: field 'label': expected entailment or not_entailment, found "entails"/,
    );
  });
  test("GSM8K: invalid JSON, missing field, missing #### line", () => {
    put("gsm8k/test.jsonl", '{"question": "q", "answer": "a\\n#### 1"}\n{oops\n');
    expect(() => loadGsm8k("test", { dir })).toThrow(/test\.jsonl:2: invalid JSON/);
    put("gsm8k/test.jsonl", '{"question": "q"}\n');
    expect(() => loadGsm8k("test", { dir })).toThrow(/test\.jsonl:1: field 'answer': missing, expected a string/);
    put("gsm8k/test.jsonl", '{"question": "q", "answer": "it is 4"}\n');
    expect(() => loadGsm8k("test", { dir })).toThrow(/test\.jsonl:1: field 'answer': last line should be '#### N'/);
  });
  test("MT-Bench: one turn only; HumanEval: bad entry point", () => {
    put("mtbench/question.jsonl", '{"question_id": 81, "category": "writing", "turns": ["only one"]}\n');
    expect(() => loadMtBench({ dir })).toThrow(/question\.jsonl:1: field 'turns': expected an array of 2 strings/);
    put(
      "humaneval/HumanEval.jsonl",
      `${JSON.stringify({
        task_id: "X/0",
        prompt: "",
        canonical_solution: "",
        test: "def check(c): pass",
        entry_point: "not valid",
      })}\n`,
    );
    expect(() => loadHumanEval({ dir })).toThrow(
      /HumanEval\.jsonl:1: field 'entry_point': expected a Python identifier/,
    );
  });
  test("a missing file says where to fetch it", () => {
    expect(() => loadGlue("mrpc", "train", { dir })).toThrow(
      /missing data file .*mrpc\/train\.tsv[\s\S]*Nstats\/my_bert/,
    );
  });
});
