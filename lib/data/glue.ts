// Loaders for the four GLUE tasks used by the paper. Each file has its own quirks (MANIFEST.md):
// MRPC starts with a BOM, CoLA has no header and no final newline, RTE labels are words.
import { DataFormatError, preview } from "./errors.js";
import { dataFile } from "./paths.js";
import { readTsv } from "./text-file.js";

export type GlueTask = "sst2" | "cola" | "mrpc" | "rte";
export type GlueSplit = "train" | "dev";
export const GLUE_TASKS: readonly GlueTask[] = ["sst2", "cola", "mrpc", "rte"];

/** Label names by label id, as in Hugging Face's `glue` dataset (RTE: 0 = entailment). */
export const GLUE_LABELS: Record<GlueTask, readonly [string, string]> = {
  sst2: ["negative", "positive"],
  cola: ["unacceptable", "acceptable"],
  mrpc: ["not_equivalent", "equivalent"],
  rte: ["entailment", "not_entailment"],
};

export interface GlueExample {
  task: GlueTask;
  /** 0-based row index in the file (data rows only). */
  index: number;
  /** The sentence (SST-2, CoLA) or the first sentence of the pair (MRPC, RTE). */
  text: string;
  /** The second sentence of a pair task. */
  textPair?: string;
  label: 0 | 1;
  /** 1-based line in the source file, for tracing a prediction back to the data. */
  line: number;
}

export interface LoadOptions {
  /** Data directory; default dataDir(). */
  dir?: string;
}

interface Layout {
  columns: number;
  header?: readonly string[];
  text: number;
  pair?: number;
  label: number;
  labelField: string;
  parseLabel: (raw: string) => 0 | 1 | undefined;
  expected: string;
}

const binary = (raw: string): 0 | 1 | undefined => (raw === "0" ? 0 : raw === "1" ? 1 : undefined);

const LAYOUTS: Record<GlueTask, Layout> = {
  sst2: {
    columns: 2,
    header: ["sentence", "label"],
    text: 0,
    label: 1,
    labelField: "label",
    parseLabel: binary,
    expected: "0 or 1",
  },
  cola: { columns: 4, text: 3, label: 1, labelField: "label (column 2)", parseLabel: binary, expected: "0 or 1" },
  mrpc: {
    columns: 5,
    header: ["Quality", "#1 ID", "#2 ID", "#1 String", "#2 String"],
    text: 3,
    pair: 4,
    label: 0,
    labelField: "Quality",
    parseLabel: binary,
    expected: "0 or 1",
  },
  rte: {
    columns: 4,
    header: ["index", "sentence1", "sentence2", "label"],
    text: 1,
    pair: 2,
    label: 3,
    labelField: "label",
    parseLabel: (raw) => (raw === "entailment" ? 0 : raw === "not_entailment" ? 1 : undefined),
    expected: "entailment or not_entailment",
  },
};

/** The relative path of a GLUE split under the data directory. */
export function glueFile(task: GlueTask, split: GlueSplit): string {
  return `glue/${task}/${split}.tsv`;
}

/** Loads one split of one GLUE task, validating every row. */
export function loadGlue(task: GlueTask, split: GlueSplit, opts: LoadOptions = {}): GlueExample[] {
  const layout = LAYOUTS[task];
  if (!layout) throw new Error(`unknown GLUE task ${preview(task)}; expected one of ${GLUE_TASKS.join(", ")}`);
  if (split !== "train" && split !== "dev")
    throw new Error(`unknown GLUE split ${preview(split)}; expected train or dev`);
  const file = dataFile(glueFile(task, split), opts.dir);
  return readTsv(file, layout.columns, layout.header).map(({ line, cells }, index) => {
    const label = layout.parseLabel(cells[layout.label]);
    if (label === undefined) {
      throw new DataFormatError(
        file,
        line,
        layout.labelField,
        `expected ${layout.expected}, found ${preview(cells[layout.label])}`,
      );
    }
    const text = cells[layout.text];
    if (text.trim() === "") throw new DataFormatError(file, line, "sentence", "empty text");
    const ex: GlueExample = { task, index, text, label, line };
    if (layout.pair !== undefined) ex.textPair = cells[layout.pair];
    return ex;
  });
}
