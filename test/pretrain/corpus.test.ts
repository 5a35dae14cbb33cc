// The pre-training corpus: unlabelled GLUE train sentences only (never a dev sentence), whole
// sentences up to the per-task budget; GSM8K train only; the other offline sources; each part's
// held-out end and fingerprint.
import { describe, expect, it } from "vitest";
import { loadGlue, GLUE_TASKS } from "../../lib/data/glue.js";
import { mobyDickText } from "../../lib/io/index.js";
import { loadGsm8k } from "../../lib/data/gsm8k.js";
import { corpusParts, domainText, fingerprintPart, holdOutEnd, recipeFor } from "../../lib/pretrain/index.js";
import { gsm8kTrainText, pythonStdlibText, sotuText } from "../../lib/pretrain/sources.js";

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

describe("corpusParts", () => {
  it("gives each source its own part, and GLUE one per task, in recipe order", () => {
    const parts = corpusParts(recipeFor("smoke").corpus);
    expect(parts.map((p) => p.name)).toEqual(["glue-sst2", "glue-cola", "glue-mrpc", "glue-rte", "moby-dick"]);
    expect(parts.at(-1)!.text).toBe(mobyDickText({ maxChars: 150_000 }));
  });

  it("takes GSM8K train only, questions with their worked answers, never a test problem", () => {
    const text = gsm8kTrainText(200_000);
    const train = loadGsm8k("train");
    expect(text.startsWith(`${train[0]!.question.trim()}\n${train[0]!.answer.trim()}`)).toBe(true);
    const trainQs = new Set(train.map((e) => e.question.trim()));
    const leaked = loadGsm8k("test").filter((e) => !trainQs.has(e.question.trim()) && text.includes(e.question.trim()));
    expect(leaked).toEqual([]);
    expect(text.length).toBeGreaterThanOrEqual(200_000);
    expect(text.length).toBeLessThan(205_000);
  });

  it("takes State of the Union addresses newest first, whole speeches", () => {
    const text = sotuText(50_000);
    expect(text.length).toBeGreaterThanOrEqual(50_000);
    // The 2021 address opens the part.
    expect(text.startsWith("Thank you.")).toBe(true);
  });

  it("takes Python standard library modules in file-name order, each under its name", () => {
    const text = pythonStdlibText(100_000);
    const names = [...text.matchAll(/^# (\S+\.py)$/gm)].map((m) => m[1]!);
    expect(names.length).toBeGreaterThan(1);
    expect([...names].sort()).toEqual(names);
    expect(() => pythonStdlibText(10, "/no/such/python")).toThrow(/\/no\/such\/python not found.*libpython3.11-stdlib/);
  });

  it("holds out each part's end at a line break, and fingerprints its whole text", () => {
    const text = "one\ntwo\nthree\nfour\nfive\n";
    const { train, heldOut } = holdOutEnd(text, 0.3);
    expect(train + heldOut).toBe(text);
    expect(train.endsWith("\n")).toBe(true);
    expect(heldOut.length).toBeGreaterThan(0);
    expect(heldOut.length).toBeLessThanOrEqual(0.3 * text.length);
    expect(() => holdOutEnd(text, 1)).toThrow(/heldOutFraction: expected a number in \(0, 1\), found 1/);
    const f = fingerprintPart({ name: "x", text });
    expect(f).toEqual({ name: "x", chars: text.length, sha256: fingerprintPart({ name: "y", text }).sha256 });
    expect(fingerprintPart({ name: "x", text: `${text}.` }).sha256).not.toBe(f.sha256);
  });

  it("names a bad budget", () => {
    expect(() => sotuText(0)).toThrow(/corpus source sotu: maxChars must be a positive integer, found 0/);
    expect(() => corpusParts([{ source: "web" } as never])).toThrow(/unknown source "web"/);
  });
});
