// Domain-adaptive pre-training text: the unlabelled sentences of GLUE training splits. The
// paper's LLaMA bases read web text covering reviews, news and grammar examples; a base that
// has read only Moby Dick has no tokens or features for them, so adapters have nothing to steer.
import { loadGlue, GLUE_TASKS } from "../data/glue.js";
import type { DomainCorpus } from "./recipes.js";

/** One sentence per line, the first `charsPerTask` characters' worth of each task, in task order. */
export function domainText(spec: DomainCorpus, dataDir?: string): string {
  if (!(Number.isInteger(spec.charsPerTask) && spec.charsPerTask > 0)) {
    throw new Error(`domain corpus: charsPerTask must be a positive integer, found ${spec.charsPerTask}`);
  }
  const parts: string[] = [];
  for (const task of spec.tasks) {
    if (!GLUE_TASKS.includes(task))
      throw new Error(
        `domain corpus: unknown GLUE task ${JSON.stringify(task)} (expected one of ${GLUE_TASKS.join(", ")})`,
      );
    const lines: string[] = [];
    let chars = 0;
    for (const ex of loadGlue(task, "train", dataDir ? { dir: dataDir } : {})) {
      for (const s of ex.textPair === undefined ? [ex.text] : [ex.text, ex.textPair]) {
        if (chars >= spec.charsPerTask) break;
        lines.push(s.trim());
        chars += s.length + 1;
      }
      if (chars >= spec.charsPerTask) break;
    }
    parts.push(lines.join("\n"));
  }
  return parts.join("\n\n");
}
