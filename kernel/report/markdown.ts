// Markdown cells and text/markdown outputs, rendered with `marked` (GitHub-flavoured).
import { Marked } from "marked";

const md = new Marked({ gfm: true, breaks: false });

export function renderMarkdown(src: string): string {
  return md.parse(src, { async: false });
}
