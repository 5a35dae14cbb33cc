// Turns a TypeScript cell into a script for vm.runInThisContext without type checking: types are
// erased with ts-blank-space (positions preserved, so runtime errors keep the cell's line and
// column) and a few text edits keep tslab's notebook semantics:
//   - top-level declarations (let/const/var, function, class, import) outlive the cell and may be
//     declared again by a later cell, so they become global `var`s;
//   - top-level `await` runs the cell in an async function whose declarations are hoisted out;
//   - the value of a trailing expression statement is the cell's result;
//   - every `await` passes through a checkpoint so that an interrupted async loop stops.
// Type checking happens elsewhere (the checker worker), off the execution path.
import ts from "typescript";
import { blankSourceFile } from "ts-blank-space";

/** Name of the runtime helper object the generated script uses (see runtime-globals.ts). */
export const HELPER = "__peftnb";

export interface CellDiagnostic {
  /** 1-based, in the cell's own text. */
  line: number;
  column: number;
  message: string;
  code: number;
}

export interface ConvertedCell {
  /** Runnable script; absent when `diagnostics` holds syntax errors. */
  script?: string;
  diagnostics: CellDiagnostic[];
  /** The script evaluates to a promise of the cell's result. */
  isAsync: boolean;
  /**
   * The cell ends with an expression statement whose value is the result. False when that
   * statement ends with `;` (IPython's convention: a trailing semicolon hides the result).
   */
  hasResult: boolean;
  /** Characters the wrapper adds before the cell's first line (for mapping stack columns). */
  firstLineShift: number;
  /** The cell used syntax type erasure cannot handle (enum, namespace, ...) and was transpiled. */
  transpiled: boolean;
}

interface Edit {
  pos: number;
  end: number;
  text: string;
  /** Among edits at one position, lower goes first. */
  order: number;
}

function position(sf: ts.SourceFile, pos: number): { line: number; column: number } {
  const lc = sf.getLineAndCharacterOfPosition(pos);
  return { line: lc.line + 1, column: lc.character + 1 };
}

function syntaxDiagnostics(sf: ts.SourceFile): CellDiagnostic[] {
  const diags = (sf as unknown as { parseDiagnostics?: ts.DiagnosticWithLocation[] }).parseDiagnostics ?? [];
  return diags.map((d) => ({
    ...position(sf, d.start),
    message: ts.flattenDiagnosticMessageText(d.messageText, "\n"),
    code: d.code,
  }));
}

function isFunctionBoundary(node: ts.Node): boolean {
  return ts.isFunctionLike(node) || ts.isClassLike(node) || ts.isModuleDeclaration(node);
}

function hasModifier(node: ts.Node, kind: ts.SyntaxKind): boolean {
  return ts.canHaveModifiers(node) && (ts.getModifiers(node) ?? []).some((m) => m.kind === kind);
}

/** Names bound by a declaration name, destructuring included. */
function boundNames(name: ts.BindingName, out: string[]): void {
  if (ts.isIdentifier(name)) {
    out.push(name.text);
    return;
  }
  for (const el of name.elements) {
    if (ts.isBindingElement(el)) boundNames(el.name, out);
  }
}

function isTypeOnlyStatement(stmt: ts.Statement): boolean {
  return (
    ts.isInterfaceDeclaration(stmt) ||
    ts.isTypeAliasDeclaration(stmt) ||
    ts.isEmptyStatement(stmt) ||
    hasModifier(stmt, ts.SyntaxKind.DeclareKeyword) ||
    (ts.isFunctionDeclaration(stmt) && !stmt.body) ||
    (ts.isImportDeclaration(stmt) && !!stmt.importClause?.isTypeOnly) ||
    ts.isExportDeclaration(stmt)
  );
}

/** Keeps the number of line breaks of `original` so later lines keep their numbers. */
function keepLines(text: string, original: string): string {
  const missing = (original.match(/\n/g) ?? []).length - (text.match(/\n/g) ?? []).length;
  return missing > 0 ? text + "\n".repeat(missing) : text;
}

function eraseTypes(sf: ts.SourceFile): { js: string; unsupported: boolean } {
  let unsupported = false;
  const js = blankSourceFile(sf, () => {
    unsupported = true;
  });
  return { js, unsupported };
}

/** Fallback for enums, namespaces and parameter properties: TypeScript's own transpiler. */
function transpile(source: string): string {
  return ts.transpileModule(source, {
    compilerOptions: {
      module: ts.ModuleKind.ESNext,
      target: ts.ScriptTarget.ES2022,
      verbatimModuleSyntax: false,
      isolatedModules: true,
      useDefineForClassFields: true,
    },
    reportDiagnostics: false,
  }).outputText;
}

/** The cell's last runnable statement is an expression written with a trailing `;`. */
function resultSilenced(sf: ts.SourceFile): boolean {
  const statements = sf.statements.filter((s) => !isTypeOnlyStatement(s));
  const last = statements[statements.length - 1];
  return !!last && ts.isExpressionStatement(last) && sf.text.charCodeAt(last.end - 1) === 59; /* ; */
}

export function convertCell(source: string, fileName = "cell.ts"): ConvertedCell {
  let sf = ts.createSourceFile(fileName, source, ts.ScriptTarget.ES2022, true, ts.ScriptKind.TS);
  const diagnostics = syntaxDiagnostics(sf);
  if (diagnostics.length > 0) {
    return { diagnostics, isAsync: false, hasResult: false, firstLineShift: 0, transpiled: false };
  }
  // Judged on the cell as written: the transpiler's output always ends statements with `;`.
  const silenced = resultSilenced(sf);
  let { js, unsupported } = eraseTypes(sf);
  if (unsupported) {
    // Positions no longer match the cell after this; line numbers mostly survive.
    js = transpile(source);
    sf = ts.createSourceFile(fileName, js, ts.ScriptTarget.ES2022, true, ts.ScriptKind.JS);
  }
  const converted = rewrite(sf, js);
  return { ...converted, hasResult: converted.hasResult && !silenced, diagnostics: [], transpiled: unsupported };
}

function rewrite(sf: ts.SourceFile, js: string): Omit<ConvertedCell, "diagnostics" | "transpiled"> {
  const edits: Edit[] = [];
  const insert = (pos: number, text: string, order = 0) => edits.push({ pos, end: pos, text, order });
  const replace = (pos: number, end: number, text: string) => edits.push({ pos, end, text, order: 1 });

  // Top-level await anywhere outside nested functions makes the cell async.
  let isAsync = false;
  const visit = (node: ts.Node, topLevel: boolean): void => {
    if (ts.isAwaitExpression(node)) {
      if (topLevel) isAsync = true;
      // Checkpoint after every await: an interrupted cell's async continuation throws here.
      insert(node.getStart(sf), `${HELPER}.ck(`);
      visit(node.expression, topLevel);
      insert(node.end, ")");
      return;
    }
    if (topLevel && ts.isForOfStatement(node) && node.awaitModifier) isAsync = true;
    node.forEachChild((c) => visit(c, topLevel && !isFunctionBoundary(c)));
  };
  for (const stmt of sf.statements) visit(stmt, !isFunctionBoundary(stmt));

  const hoisted: string[] = [];
  const hoistedFunctions: string[] = [];
  const statements = sf.statements.filter((s) => !isTypeOnlyStatement(s));
  const last = statements[statements.length - 1];
  const hasResult = !!last && ts.isExpressionStatement(last);

  for (const stmt of sf.statements) {
    if (isTypeOnlyStatement(stmt)) {
      // ts-blank-space already blanked these, but `export {}` and friends are plain JS.
      if (ts.isExportDeclaration(stmt)) replace(stmt.getStart(sf), stmt.end, keepLines("", stmt.getText(sf)));
      continue;
    }
    const exportKw = ts.canHaveModifiers(stmt)
      ? ts.getModifiers(stmt)?.find((m) => m.kind === ts.SyntaxKind.ExportKeyword)
      : undefined;
    if (exportKw) {
      const defaultKw = ts.getModifiers(stmt as ts.HasModifiers)?.find((m) => m.kind === ts.SyntaxKind.DefaultKeyword);
      replace(exportKw.getStart(sf), (defaultKw ?? exportKw).end, "");
    }
    if (ts.isVariableStatement(stmt)) {
      const list = stmt.declarationList;
      const kwStart = list.getStart(sf);
      const kwText = js.slice(kwStart).match(/^(const|let|var)\b/)?.[0];
      if (!kwText) continue; // `using` declarations stay block-scoped
      if (isAsync) {
        replace(kwStart, kwStart + kwText.length, ";(");
        for (const d of list.declarations) {
          boundNames(d.name, hoisted);
          if (!d.initializer) insert(d.name.end, " = undefined");
        }
        insert(list.end, ")");
      } else {
        replace(kwStart, kwStart + kwText.length, "var");
      }
    } else if (ts.isFunctionDeclaration(stmt) && stmt.name) {
      if (isAsync) {
        hoisted.push(stmt.name.text);
        hoistedFunctions.push(stmt.name.text);
      }
    } else if (ts.isClassDeclaration(stmt) && stmt.name) {
      const name = stmt.name.text;
      if (isAsync) hoisted.push(name);
      insert(stmt.getStart(sf), isAsync ? `;${name} = ` : `var ${name} = `);
      insert(stmt.end, ";");
    } else if (ts.isImportDeclaration(stmt)) {
      replace(stmt.getStart(sf), stmt.end, keepLines(importAsRequire(stmt, isAsync, hoisted), stmt.getText(sf)));
    } else if (ts.isExportAssignment(stmt)) {
      replace(stmt.getStart(sf), stmt.expression.getStart(sf), "");
    }
  }

  if (hasResult && isAsync) insert((last as ts.ExpressionStatement).expression.getStart(sf), "return ", -1);

  edits.sort((a, b) => a.pos - b.pos || a.order - b.order || a.end - b.end);
  let out = "";
  let at = 0;
  for (const e of edits) {
    if (e.pos < at) continue; // overlapping edits only arise from erased code; keep the first
    out += js.slice(at, e.pos) + e.text;
    at = e.end;
  }
  out += js.slice(at);

  if (!isAsync) return { script: out, isAsync, hasResult, firstLineShift: 0 };
  const unique = [...new Set(hoisted)];
  const prefix =
    (unique.length ? `var ${unique.join(", ")}; ` : "") +
    "(async function () { " +
    hoistedFunctions.map((f) => `globalThis[${JSON.stringify(f)}] = ${f}; `).join("");
  return { script: `${prefix + out}\n})()`, isAsync, hasResult, firstLineShift: prefix.length };
}

function importAsRequire(stmt: ts.ImportDeclaration, isAsync: boolean, hoisted: string[]): string {
  const spec = JSON.stringify((stmt.moduleSpecifier as ts.StringLiteral).text);
  const req = `${HELPER}.require(${spec})`;
  const clause = stmt.importClause;
  if (!clause) return `${req};`;
  const parts: string[] = [];
  if (clause.name) parts.push(`${clause.name.text} = ${HELPER}.defaultOf(${req})`);
  const nb = clause.namedBindings;
  if (nb && ts.isNamespaceImport(nb)) parts.push(`${nb.name.text} = ${req}`);
  if (nb && ts.isNamedImports(nb)) {
    const els = nb.elements.filter((e) => !e.isTypeOnly);
    if (els.length) {
      const fields = els.map((e) => (e.propertyName ? `${e.propertyName.text}: ${e.name.text}` : e.name.text));
      parts.push(`{ ${fields.join(", ")} } = ${req}`);
    }
  }
  if (!parts.length) return `${req};`;
  const names: string[] = [];
  if (clause.name) names.push(clause.name.text);
  if (nb && ts.isNamespaceImport(nb)) names.push(nb.name.text);
  if (nb && ts.isNamedImports(nb)) for (const e of nb.elements) if (!e.isTypeOnly) names.push(e.name.text);
  if (isAsync) {
    hoisted.push(...names);
    return `;(${parts.join(", ")});`;
  }
  return `var ${parts.join(", ")};`;
}
