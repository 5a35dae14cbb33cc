// The seam between lib and kernel: lib publishes MIME bundles to whatever sink is installed.
// The kernel's executor installs one that sends Jupyter display messages, a terminal run one
// that prints text, tests one that records. The sink lives on globalThis under a registered
// symbol so that two copies of this module (e.g. dist/ and a test's source import) agree.

export type MimeBundle = Record<string, unknown>;
export type DisplayMetadata = Record<string, unknown>;

export interface DisplaySink {
  /** display_data; displayId makes it updatable later. */
  display(data: MimeBundle, metadata: DisplayMetadata, displayId?: string): void;
  /** update_display_data for an earlier display with the same id. */
  update(data: MimeBundle, metadata: DisplayMetadata, displayId: string): void;
  /** clear_output; wait = clear when the next output arrives. */
  clear(wait: boolean): void;
  /** True where rich (HTML) output is shown; false for plain terminals. */
  readonly rich: boolean;
  /**
   * Optional raw text to the output stream, where `\r` rewrites the current line (plain
   * progress bars). Sinks without it get text/plain display updates instead.
   */
  write?(text: string): void;
}

const SINK_KEY = Symbol.for("peft-notebook.display-sink");

type Global = typeof globalThis & { [SINK_KEY]?: DisplaySink };

/** Prints text/plain; updates of a display re-print it on a fresh line with \r semantics left to callers. */
export const terminalSink: DisplaySink = {
  rich: false,
  display(data) {
    const text = data["text/plain"];
    if (text !== undefined) process.stdout.write(`${String(text)}\n`);
  },
  update(data) {
    const text = data["text/plain"];
    if (text !== undefined) process.stdout.write(`${String(text)}\n`);
  },
  clear() {},
  write(text) {
    process.stdout.write(text);
  },
};

export function setDisplaySink(sink: DisplaySink): DisplaySink {
  const g = globalThis as Global;
  const previous = g[SINK_KEY] ?? terminalSink;
  g[SINK_KEY] = sink;
  return previous;
}

export function currentDisplaySink(): DisplaySink {
  return (globalThis as Global)[SINK_KEY] ?? terminalSink;
}

export interface RecordedDisplay {
  kind: "display" | "update" | "clear" | "write";
  data?: MimeBundle;
  metadata?: DisplayMetadata;
  displayId?: string;
  wait?: boolean;
  /** For kind "write". */
  text?: string;
}

/** A sink for tests: remembers every call in order. */
export function recordingSink(rich = true): DisplaySink & { records: RecordedDisplay[] } {
  const records: RecordedDisplay[] = [];
  return {
    rich,
    records,
    display(data, metadata, displayId) {
      records.push({ kind: "display", data, metadata, displayId });
    },
    update(data, metadata, displayId) {
      records.push({ kind: "update", data, metadata, displayId });
    },
    clear(wait) {
      records.push({ kind: "clear", wait });
    },
    write(text) {
      records.push({ kind: "write", text });
    },
  };
}
