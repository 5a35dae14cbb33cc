// Worker thread owning tslab's TypeScript language service: type-checks executed cells in order
// (keeping tslab's cross-cell declarations), and answers complete / inspect / is_complete. It
// lives in a worker so a 10-20 ms check never delays a cell, heartbeat or control message.
import { createHash } from "node:crypto";
import { createRequire } from "node:module";
import { existsSync } from "node:fs";
import { getPriority, setPriority } from "node:os";
import { join, sep } from "node:path";
import { parentPort, workerData } from "node:worker_threads";
import type {
  CheckResult,
  CheckRuns,
  CheckerHeapStats,
  CheckerRequest,
  CheckerResponse,
  CheckerWorkerData,
  TypeDiagnostic,
} from "./checker-protocol.js";
import { heapStats } from "./heap-stats.js";

type Ts = typeof import("typescript");
interface TslabConverter {
  convert(prevDecl: string, src: string): { diagnostics: RawDiag[]; declOutput?: string };
  inspect(
    prevDecl: string,
    src: string,
    position: number,
  ):
    | {
        displayParts?: { text: string }[];
        documentation?: { text: string }[];
        tags?: { name: string; text?: { text: string }[] }[];
      }
    | undefined;
  complete(prevDecl: string, src: string, position: number): { start: number; end: number; candidates: string[] };
}
interface RawDiag {
  start: { line: number; character: number };
  messageText: string;
  category: number;
  code: number;
  fileName?: string;
}

const { projectRoot, backgroundChecks } = workerData as CheckerWorkerData;
const tslabRequire = createRequire(join(createRequire(import.meta.url).resolve("tslab/package.json")));
const ts = tslabRequire("@tslab/typescript-for-tslab") as Ts;

// `import ... from "peft-notebook"` must type-check from any folder: tslab resolves modules the
// Node10 way from the cwd, so map <any>/node_modules/peft-notebook onto this project.
const marker = `${sep}node_modules${sep}peft-notebook`;
function mapPath(p: string): string {
  const i = p.lastIndexOf(marker);
  if (i < 0) return p;
  const rest = p.slice(i + marker.length);
  if (rest && !rest.startsWith(sep)) return p;
  if (existsSync(p)) return p;
  return projectRoot + rest;
}
const sys = ts.sys as unknown as Record<string, (...a: unknown[]) => unknown>;
for (const name of ["fileExists", "readFile", "directoryExists", "realpath", "getDirectories"] as const) {
  const orig = sys[name];
  if (typeof orig === "function")
    sys[name] = (p: unknown, ...rest: unknown[]) => orig.call(ts.sys, typeof p === "string" ? mapPath(p) : p, ...rest);
}

const { createConverter, isCompleteCode } = tslabRequire("./dist/converter.js") as {
  createConverter(): TslabConverter;
  isCompleteCode(src: string): { completed: boolean; indent?: string };
};

// Globals the executor defines in every cell; typed from lib/display when it is built.
const displayTypes = join(projectRoot, "dist", "lib", "display", "index.d.ts");
const PRELUDE = [
  existsSync(displayTypes)
    ? `import { display, clearOutput, comm } from ${JSON.stringify(join(projectRoot, "dist", "lib", "display", "index.js"))};`
    : "declare const display: any;\ndeclare const comm: any;\ndeclare function clearOutput(opts?: { wait?: boolean }): void;",
  "declare function input(prompt?: string, opts?: { password?: boolean }): Promise<string>;",
  "declare function page(text: unknown): void;",
  "",
].join("\n");

const converter = createConverter();
let prevDecl = PRELUDE;

function toDiag(d: RawDiag): TypeDiagnostic {
  return {
    line: d.start.line + 1,
    column: d.start.character + 1,
    message: d.messageText,
    code: d.code,
    category:
      d.category === ts.DiagnosticCategory.Error
        ? "error"
        : d.category === ts.DiagnosticCategory.Warning
          ? "warning"
          : "message",
    fileName: d.fileName,
  };
}

// Checking is a pure function of (declarations so far, cell): re-running a cell that declares
// nothing new (a common notebook habit, and the benchmark's trivial cell) costs a map lookup.
// The memo is keyed by a digest of the declarations, not their text: a key holding the text
// would copy every declaration of the notebook into each of its 200 entries.
const memo = new Map<string, { diags: TypeDiagnostic[]; next: string; nextDigest: string }>();
const digest = (text: string) => createHash("sha256").update(text).digest("base64");
let declDigest = digest(prevDecl);

/** Type-checks a cell after the ones before it and keeps its declarations for the next. */
function check(code: string, keepOnError: boolean): TypeDiagnostic[] {
  const key = `${keepOnError}\u0000${declDigest}\u0000${code}`;
  const hit = memo.get(key);
  if (hit) {
    prevDecl = hit.next;
    declDigest = hit.nextDigest;
    return hit.diags;
  }
  const before = prevDecl;
  const diags = checkUncached(code, keepOnError);
  if (prevDecl !== before) declDigest = digest(prevDecl);
  memo.set(key, { diags, next: prevDecl, nextDigest: declDigest });
  if (memo.size > 200) memo.delete(memo.keys().next().value as string);
  return diags;
}

function checkUncached(code: string, keepOnError: boolean): TypeDiagnostic[] {
  const r = converter.convert(prevDecl, code);
  // tslab drops a cell's declarations when it has errors. A cell that ran anyway did declare
  // them, so record them (errors silenced line by line; tslab's own prefix line rules out a
  // file-wide @ts-nocheck) to avoid a cascade of "Cannot find name" in later cells.
  const silenced = () =>
    converter.convert(
      prevDecl,
      code
        .split("\n")
        .map((l) => `// @ts-ignore\n${l}`)
        .join("\n"),
    );
  const decls = r.diagnostics.length && keepOnError ? silenced() : r;
  // Equal text keeps the string already held, so memo entries share one copy.
  if (!decls.diagnostics.length && decls.declOutput !== undefined && decls.declOutput !== prevDecl)
    prevDecl = decls.declOutput;
  return r.diagnostics.map(toDiag);
}

function isComplete(code: string): { status: "complete" | "incomplete" | "invalid"; indent?: string } {
  const r = isCompleteCode(code);
  if (!r.completed) return { status: "incomplete", indent: r.indent ?? "" };
  const sf = ts.createSourceFile("cell.ts", code, ts.ScriptTarget.Latest, false, ts.ScriptKind.TS);
  const diags = (sf as unknown as { parseDiagnostics?: unknown[] }).parseDiagnostics ?? [];
  return { status: diags.length ? "invalid" : "complete" };
}

function inspect(code: string, cursor: number): { found: boolean; text: string } {
  const info = converter.inspect(prevDecl, code, cursor);
  if (!info) return { found: false, text: "" };
  const head = (info.displayParts ?? []).map((p) => p.text).join("");
  const doc = (info.documentation ?? []).map((p) => p.text).join("");
  const tags = (info.tags ?? []).map((t) => `@${t.name} ${(t.text ?? []).map((x) => x.text).join("")}`.trim());
  return { found: true, text: [head, doc, ...tags].filter(Boolean).join("\n\n") };
}

function handle(req: CheckerRequest): unknown {
  switch (req.op) {
    case "check": {
      const runs: CheckResult[] = [];
      for (let i = 0; i < req.repeat; i++) {
        const before = prevDecl;
        runs.push({ diags: check(req.code, req.keepOnError), changed: prevDecl !== before });
        // Same cell, same declarations: every further run gives this answer and changes nothing.
        if (!runs[i]!.changed) break;
      }
      return { runs } satisfies CheckRuns;
    }
    case "complete":
      return converter.complete(prevDecl, req.code, req.cursor);
    case "inspect":
      return inspect(req.code, req.cursor);
    case "isComplete":
      return isComplete(req.code);
    case "reset":
      prevDecl = PRELUDE;
      declDigest = digest(prevDecl);
      memo.clear();
      return null;
    case "heapStats":
      return { ...heapStats(), memo: memo.size, declChars: prevDecl.length } satisfies CheckerHeapStats;
  }
}

// On Linux a nice value belongs to a thread: setPriority(n) here re-prioritises this worker
// only, never the kernel's main thread. Background checks run 10 steps nicer than the thread
// was started with; completions and inspections, which someone waits for, at that start value.
// Raising a priority back needs privileges (RLIMIT_NICE) a user may lack: the worker then stays
// nicer for everything, and where priorities cannot be changed at all nothing changes.
const NORMAL = getPriority();
const LOW = Math.min(19, NORMAL + 10);
let current = NORMAL;
let adjustable = true;
function prioritise(req: CheckerRequest): void {
  const want = backgroundChecks && req.op === "check" ? LOW : NORMAL;
  if (want === current || !adjustable) return;
  try {
    setPriority(want);
    current = want;
  } catch {
    adjustable = false;
  }
}

parentPort?.on("message", (req: CheckerRequest) => {
  prioritise(req);
  let res: CheckerResponse;
  try {
    res = { id: req.id, ok: true, value: handle(req) };
  } catch (err) {
    res = { id: req.id, ok: false, error: (err as Error).message };
  }
  parentPort?.postMessage(res);
});
parentPort?.postMessage({ id: 0, ok: true, value: "ready" } satisfies CheckerResponse);
