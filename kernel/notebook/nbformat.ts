// nbformat v4 (https://nbformat.readthedocs.io): the subset of the schema this project reads
// and writes. Multiline strings may be a string or a list of lines, as on disk.

export type MultilineString = string | string[];
export type MimeData = Record<string, unknown>;

export interface StreamOutput {
  output_type: "stream";
  name: "stdout" | "stderr";
  text: MultilineString;
}

export interface DisplayDataOutput {
  output_type: "display_data";
  data: MimeData;
  metadata: Record<string, unknown>;
  /** Runtime only: the display_id that update_display_data targets. Stripped before writing. */
  transient?: { display_id?: string };
}

export interface ExecuteResultOutput {
  output_type: "execute_result";
  execution_count: number | null;
  data: MimeData;
  metadata: Record<string, unknown>;
}

export interface ErrorOutput {
  output_type: "error";
  ename: string;
  evalue: string;
  traceback: string[];
}

export type Output = StreamOutput | DisplayDataOutput | ExecuteResultOutput | ErrorOutput;

export interface CellMetadata extends Record<string, unknown> {
  tags?: string[];
}

export interface CodeCell {
  cell_type: "code";
  id?: string;
  source: MultilineString;
  metadata: CellMetadata;
  execution_count: number | null;
  outputs: Output[];
}

export interface MarkdownCell {
  cell_type: "markdown";
  id?: string;
  source: MultilineString;
  metadata: CellMetadata;
  attachments?: Record<string, MimeData>;
}

export interface RawCell {
  cell_type: "raw";
  id?: string;
  source: MultilineString;
  metadata: CellMetadata;
}

export type Cell = CodeCell | MarkdownCell | RawCell;

export interface NotebookMetadata extends Record<string, unknown> {
  kernelspec?: { name: string; display_name: string; language?: string };
  language_info?: { name: string; [key: string]: unknown };
}

export interface Notebook {
  nbformat: 4;
  nbformat_minor: number;
  metadata: NotebookMetadata;
  cells: Cell[];
}

/** Joins a multiline string as nbformat defines it: list items already carry their newlines. */
export function joinSource(s: MultilineString): string {
  return Array.isArray(s) ? s.join("") : s;
}

/** Splits text into nbformat's on-disk list form (each line keeps its "\n"), as Jupyter writes it. */
export function splitLines(text: string): string[] {
  return text.match(/[^\n]*\n|[^\n]+$/g) ?? [];
}

export function cellTags(cell: Cell): string[] {
  const tags = cell.metadata?.tags;
  return Array.isArray(tags) ? tags.filter((t): t is string => typeof t === "string") : [];
}

/** A short label for messages: "cell 3 (id abc)" with a 1-based index as shown in Jupyter. */
export function describeCell(index: number, cell: Cell): string {
  return `cell ${index + 1}${cell.id ? ` (id ${cell.id})` : ""}`;
}
