// The domain-adaptive part of the pre-training corpus: unlabelled GLUE train sentences only
// (never a dev sentence), whole sentences up to the per-task budget, and the book last so the
// held-out span is Moby Dick's end.
import { describe, expect, it } from "vitest";
import { loadGlue, GLUE_TASKS } from "../../lib/data/glue.js";
import { mobyDickText } from "../../lib/io/index.js";
import { domainText, pretrainText, recipeFor } from "../../lib/pretrain/index.js";

describe("domainText", () => {
  const spec = { tasks: [...GLUE_TASKS], charsPerTask: 20_000 };
  const text = domainText(spec);
  const lines = new Set(text.split("\n").filter((l) => l !== ""));

  it("takes each task's train sentences in file order, up to the budget", () => {
    for (const task of GLUE_TASKS) {
      const train = loadGlue(task, "train");
      const first = train[0]!.text.trim();
      expect(lines.has(first), `${task}: first train sentence`).toBe(true);
      // A sentence far beyond the budget is not taken.
      const late = train[train.length - 1]!;
      expect(lines.has(late.text.trim()) && late.text.length > 40, `${task}: last train sentence`).toBe(false);
    }
    // Four budgets of 20k, each overshooting by at most one sentence (pairs: two).
    expect(text.length).toBeGreaterThanOrEqual(4 * 20_000 - 4);
    expect(text.length).toBeLessThan(4 * 22_000);
  });

  it("holds no label and no dev sentence that is not also a train sentence", () => {
    for (const task of GLUE_TASKS) {
      const train = new Set(loadGlue(task, "train").flatMap((e) => [e.text.trim(), e.textPair?.trim() ?? ""]));
      const leaked = loadGlue(task, "dev")
        .flatMap((e) => [e.text.trim(), e.textPair?.trim() ?? ""])
        .filter((s) => s.length > 20 && lines.has(s) && !train.has(s));
      expect(leaked, `${task} dev sentences in the corpus`).toEqual([]);
    }
    for (const label of ["\tpositive", "\tnot_entailment", "\t1\n"]) expect(text.includes(label)).toBe(false);
  });

  it("is deterministic and names bad specs", () => {
    expect(domainText(spec)).toBe(text);
    expect(() => domainText({ tasks: ["sst5" as "sst2"], charsPerTask: 10 })).toThrow(/unknown GLUE task "sst5"/);
    expect(() => domainText({ tasks: ["sst2"], charsPerTask: 0 })).toThrow(
      /charsPerTask must be a positive integer, found 0/,
    );
  });
});

describe("pretrainText", () => {
  it("puts the book last, so the held-out end of the corpus is Moby Dick", () => {
    const r = recipeFor("smoke");
    const t = pretrainText(r);
    const book = mobyDickText({ maxChars: r.corpusChars });
    expect(t.text.endsWith(book)).toBe(true);
    expect(t.bookChars).toBe(book.length);
    expect(t.domainChars).toBeGreaterThan(0);
    expect(t.text.length).toBe(t.domainChars + 2 + t.bookChars);
    expect(pretrainText({ ...r, domain: null }).text).toBe(book);
  });
});
