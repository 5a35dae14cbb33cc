// Input history persisted as JSON lines, one entry per executed cell, so that history_request
// (tail/range/search) sees earlier kernel sessions too. Default file:
// $XDG_DATA_HOME/peft-nb/history.jsonl (~/.local/share/...); PEFT_NB_HISTORY_FILE overrides it.
import { appendFile, mkdir, readFile } from "node:fs/promises";
import { homedir } from "node:os";
import { dirname, join } from "node:path";

export interface HistoryEntry {
  session: number;
  line: number;
  input: string;
  output?: string;
}

/** [session, line, input] or [session, line, [input, output]] as history_reply wants them. */
export type HistoryTuple = [number, number, string | [string, string | null]];

export function defaultHistoryPath(env: NodeJS.ProcessEnv = process.env): string {
  if (env.PEFT_NB_HISTORY_FILE) return env.PEFT_NB_HISTORY_FILE;
  const data = env.XDG_DATA_HOME || join(homedir(), ".local", "share");
  return join(data, "peft-nb", "history.jsonl");
}

/** Glob as IPython's history search understands it: * and ? wildcards, whole-input match. */
export function globToRegExp(pattern: string): RegExp {
  const body = pattern
    .replace(/[.+^${}()|[\]\\]/g, "\\$&")
    .replace(/\*/g, "[\\s\\S]*")
    .replace(/\?/g, "[\\s\\S]");
  return new RegExp(`^${body}$`);
}

export class HistoryStore {
  private entries: HistoryEntry[] = [];
  private writes: Promise<void> = Promise.resolve();
  private unwritten = "";
  private timer: NodeJS.Timeout | undefined;
  private dirReady = false;
  /** This kernel's session number: one more than any session in the file. */
  session = 1;

  constructor(readonly path: string) {}

  /** Reads earlier sessions; a missing file is an empty history, a corrupt line is skipped. */
  async load(): Promise<void> {
    let text = "";
    try {
      text = await readFile(this.path, "utf8");
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code !== "ENOENT") throw err;
    }
    const loaded: HistoryEntry[] = [];
    for (const line of text.split("\n")) {
      if (!line.trim()) continue;
      try {
        const e = JSON.parse(line) as HistoryEntry;
        if (typeof e.session === "number" && typeof e.line === "number" && typeof e.input === "string") loaded.push(e);
      } catch {
        // a torn write from a killed kernel; the rest of the file is still good
      }
    }
    this.entries = [...loaded, ...this.entries];
    this.session = loaded.reduce((m, e) => Math.max(m, e.session), 0) + 1;
    for (const e of this.entries) if (!loaded.includes(e)) e.session = this.session;
  }

  append(line: number, input: string, output?: string): void {
    const entry: HistoryEntry = { session: this.session, line, input, ...(output !== undefined ? { output } : {}) };
    this.entries.push(entry);
    this.unwritten += `${JSON.stringify(entry)}\n`;
    // Batched: a burst of cells costs one write, not two file-system calls per cell.
    this.timer ??= setTimeout(() => void this.flush(), 50);
  }

  /** Writes what is pending and waits for it (also on shutdown and in tests). */
  flush(): Promise<void> {
    if (this.timer) clearTimeout(this.timer);
    this.timer = undefined;
    const text = this.unwritten;
    this.unwritten = "";
    if (text) {
      this.writes = this.writes
        .then(async () => {
          if (!this.dirReady) await mkdir(dirname(this.path), { recursive: true });
          this.dirReady = true;
          await appendFile(this.path, text);
        })
        .catch(() => {});
    }
    return this.writes;
  }

  private tuple(e: HistoryEntry, output: boolean): HistoryTuple {
    return [e.session, e.line, output ? [e.input, e.output ?? null] : e.input];
  }

  tail(n: number, output = false): HistoryTuple[] {
    return this.entries.slice(Math.max(0, this.entries.length - n)).map((e) => this.tuple(e, output));
  }

  /** session <= 0 counts back from the current session (0 = this one). stop is exclusive. */
  range(session: number, start: number, stop: number | null, output = false): HistoryTuple[] {
    const s = session <= 0 ? this.session + session : session;
    return this.entries
      .filter((e) => e.session === s && e.line >= start && (stop === null || e.line < stop))
      .map((e) => this.tuple(e, output));
  }

  search(pattern: string, n: number | null, unique: boolean, output = false): HistoryTuple[] {
    const re = globToRegExp(pattern);
    let hits = this.entries.filter((e) => re.test(e.input));
    if (unique) {
      const seen = new Set<string>();
      hits = hits
        .reverse()
        .filter((e) => {
          if (seen.has(e.input)) return false;
          seen.add(e.input);
          return true;
        })
        .reverse();
    }
    if (n !== null && n > 0) hits = hits.slice(-n);
    return hits.map((e) => this.tuple(e, output));
  }
}
