// Cell conversion: the generated scripts are run in a fresh vm context, cell after cell, and
// must behave as tslab's notebook semantics say (declarations persist and may be redeclared,
// top-level await, the trailing expression is the result, positions stay in the cell).
import vm from "node:vm";
import { describe, expect, it } from "vitest";
import { convertCell, HELPER } from "../../kernel/executor/transform.js";

function notebook() {
  const required: string[] = [];
  let checkpoints = 0;
  const ctx = vm.createContext({
    [HELPER]: {
      require: (id: string) => {
        required.push(id);
        return { default: `default of ${id}`, named: `named of ${id}`, __esModule: true };
      },
      defaultOf: (m: { default: unknown }) => m.default,
      ck: <T>(v: T) => {
        checkpoints++;
        return v;
      },
    },
    Promise,
  });
  let n = 0;
  return {
    required,
    get checkpoints() {
      return checkpoints;
    },
    context: ctx,
    async run(code: string): Promise<unknown> {
      const c = convertCell(code);
      if (!c.script) throw new Error(`syntax: ${JSON.stringify(c.diagnostics)}`);
      const value = new vm.Script(c.script, { filename: `<cell ${++n}>` }).runInContext(ctx);
      const awaited = c.isAsync ? await value : value;
      return c.hasResult ? awaited : undefined;
    },
  };
}

describe("convertCell", () => {
  it("keeps declarations across cells and allows redeclaring them", async () => {
    const nb = notebook();
    await nb.run(
      "const x: number = 2;\nlet y = 3;\nfunction f(a: number): number { return a * x; }\nclass C { k = 5 }",
    );
    expect(await nb.run("f(y) + new C().k")).toBe(11);
    await nb.run("const x = 10;\nclass C { k = 1 }");
    expect(await nb.run("f(y) + new C().k")).toBe(31);
  });

  it("runs top-level await and hoists its declarations for later cells", async () => {
    const nb = notebook();
    expect(
      await nb.run(
        "const v = await Promise.resolve(4);\nconst { a, b: [c] } = { a: 1, b: [2] };\nlet u: number;\nv + a + c",
      ),
    ).toBe(7);
    expect(await nb.run("v * 10 + (u === undefined ? 1 : 0)")).toBe(41);
  });

  it("hoists function declarations inside async cells", async () => {
    const nb = notebook();
    expect(await nb.run("const r = early();\nfunction early() { return 9; }\nawait null;\nr")).toBe(9);
    expect(await nb.run("early() + 1")).toBe(10);
  });

  it("has a result only when the last statement is an expression", () => {
    expect(convertCell("1 + 1").hasResult).toBe(true);
    expect(convertCell("const a = 1;").hasResult).toBe(false);
    expect(convertCell("1 + 1\ninterface I { a: number }\ntype T = string;").hasResult).toBe(true);
    expect(convertCell("if (true) { 1 }").hasResult).toBe(false);
  });

  it("hides the result of a trailing expression written with `;` (IPython's convention)", async () => {
    expect(convertCell("1 + 1;").hasResult).toBe(false);
    expect(convertCell("1 + 1; // a comment after the semicolon").hasResult).toBe(false);
    expect(convertCell("1 + 1;\ninterface I { a: number }").hasResult).toBe(false);
    expect(convertCell("const s = ';';\ns").hasResult).toBe(true);
    // Async cells and transpiled cells (an enum) follow the same rule.
    expect(convertCell("await 1;").hasResult).toBe(false);
    expect(convertCell("enum E { A }\nE.A").hasResult).toBe(true);
    expect(convertCell("enum E { A }\nE.A;").hasResult).toBe(false);
    // The statement still runs.
    const nb = notebook();
    expect(await nb.run("var ran = 0; ran += 1;")).toBeUndefined();
    expect(await nb.run("ran")).toBe(1);
  });

  it("turns imports into require calls with the same bindings", async () => {
    const nb = notebook();
    expect(
      await nb.run(
        'import def, { named as n2 } from "mod-a";\nimport * as ns from "mod-b";\nimport type { T } from "mod-c";\n[def, n2, typeof ns]',
      ),
    ).toEqual(["default of mod-a", "named of mod-a", "object"]);
    expect(nb.required).toEqual(["mod-a", "mod-a", "mod-b"]);
  });

  it("passes every await through the interrupt checkpoint", async () => {
    const nb = notebook();
    await nb.run("for (let i = 0; i < 3; i++) await i;\nconst g = async () => { await 1; await 2; };\nawait g();");
    expect(nb.checkpoints).toBe(6);
  });

  it("reports syntax errors at the cell's line and column", () => {
    const c = convertCell("let a = 1;\nlet b = ;");
    expect(c.script).toBeUndefined();
    expect(c.diagnostics[0]).toMatchObject({ line: 2, column: 9 });
  });

  it("keeps line numbers so runtime errors point into the cell", async () => {
    const nb = notebook();
    const err = await nb.run("const z: string = 'q';\nawait null;\n\n  throw new Error(z);").catch((e: Error) => e);
    expect(String((err as Error).stack)).toMatch(/<cell 1>:4:9/);
  });

  it("falls back to the TypeScript transpiler for enums and parameter properties", async () => {
    const nb = notebook();
    expect(convertCell("enum E { A, B }").transpiled).toBe(true);
    expect(await nb.run("enum E { A, B }\nclass P { constructor(public q: number) {} }\nE.B + new P(2).q")).toBe(3);
  });
});
