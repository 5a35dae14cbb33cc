// The import rules of docs/architecture.md, enforced with dependency-cruiser and the rules in
// .dependency-cruiser.json: no cycles, lib never imports kernel, nothing below cli/ imports it,
// zeromq stays in kernel/wire and kernel/client, the kernel process never loads tfjs, ...
// `npx depcruise cli kernel lib bench` prints the same findings with their import chains.
import { mkdirSync, mkdtempSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { dirname, join } from "node:path";
import { cruise, type ICruiseResult, type IViolation } from "dependency-cruiser";
import extractDepcruiseOptions from "dependency-cruiser/config-utl/extract-depcruise-options";
import extractTSConfig from "dependency-cruiser/config-utl/extract-ts-config";
import { describe, expect, it } from "vitest";
import { ROOT } from "../helpers/ensure-built.js";

const CONFIG = join(ROOT, ".dependency-cruiser.json");

async function violations(baseDir: string, dirs: string[]): Promise<IViolation[]> {
  const options = await extractDepcruiseOptions(CONFIG);
  const tsConfig = extractTSConfig(join(baseDir, "tsconfig.json"));
  const { output } = await cruise(dirs, { ...options, baseDir, validate: true }, undefined, { tsConfig });
  return (output as ICruiseResult).summary.violations;
}

function describeViolation(v: IViolation): string {
  const chain = v.cycle?.map((c) => c.name).join(" -> ") ?? v.via?.map((c) => c.name).join(" -> ");
  return `${v.rule.name}: ${v.from} -> ${v.to}${chain ? ` (${chain})` : ""}`;
}

describe("import rules", () => {
  it("hold for the whole project", async () => {
    const found = await violations(ROOT, ["cli", "kernel", "lib", "bench"]);
    expect(found.map(describeViolation)).toEqual([]);
  });

  it("each rule catches the import it forbids", async () => {
    const dir = mkdtempSync(join(tmpdir(), "import-rules-"));
    const files: Record<string, string> = {
      "tsconfig.json": JSON.stringify({ compilerOptions: { module: "NodeNext", moduleResolution: "NodeNext" } }),
      "node_modules/zeromq/package.json": JSON.stringify({ name: "zeromq", main: "index.js" }),
      "node_modules/zeromq/index.js": "module.exports = {};",
      "node_modules/@tensorflow/tfjs/package.json": JSON.stringify({ name: "@tensorflow/tfjs", main: "index.js" }),
      "node_modules/@tensorflow/tfjs/index.js": "module.exports = {};",
      // a cycle closed by a type-only import still counts
      "kernel/a.ts": 'import type { B } from "./b.js";\nexport const a: B = 1;',
      "kernel/b.ts": 'import { a } from "./a.js";\nexport type B = typeof a;',
      "lib/reads-kernel.ts": 'export { a } from "../kernel/a.js";',
      "kernel/reads-cli.ts": 'export { run } from "../cli/run.js";',
      "cli/run.ts": "export const run = 1;",
      "lib/reads-test.ts": 'export { h } from "../test/helper.js";',
      "test/helper.ts": "export const h = 1;",
      "lib/display/socket.ts": 'import * as zmq from "zeromq";\nexport const z = zmq;',
      "lib/adapters/reads-model.ts": 'export { m } from "../models/llama.js";',
      "lib/models/llama.ts": "export const m = 1;",
      "lib/train/reads-adapter.ts": 'export { m } from "../adapters/reads-model.js";',
      "cli/commands/kernel.ts": 'import "../../kernel/session/start.js";',
      "kernel/session/start.ts": 'import "../history/store.js";',
      "kernel/history/store.ts": 'import * as tf from "@tensorflow/tfjs";\nexport const t = tf;',
      "lib/typo.ts": 'export { x } from "./no-such-module.js";',
    };
    for (const [path, text] of Object.entries(files)) {
      mkdirSync(dirname(join(dir, path)), { recursive: true });
      writeFileSync(join(dir, path), text);
    }
    const found = await violations(dir, ["cli", "kernel", "lib"]);
    const byRule = new Map<string, string[]>();
    for (const v of found) byRule.set(v.rule.name, [...(byRule.get(v.rule.name) ?? []), `${v.from} -> ${v.to}`]);
    expect(Object.fromEntries(byRule)).toEqual({
      "no-circular": ["kernel/a.ts -> kernel/b.ts"], // one finding per cycle
      "lib-not-to-kernel": ["lib/reads-kernel.ts -> kernel/a.ts"],
      "only-cli-imports-cli": ["kernel/reads-cli.ts -> cli/run.ts"],
      "sources-not-to-bench-or-test": ["lib/reads-test.ts -> test/helper.ts"],
      "zeromq-only-in-wire-and-client": ["lib/display/socket.ts -> node_modules/zeromq/index.js"],
      "adapters-not-to-models": ["lib/adapters/reads-model.ts -> lib/models/llama.ts"],
      "train-not-to-adapters": ["lib/train/reads-adapter.ts -> lib/adapters/reads-model.ts"],
      "kernel-process-without-tfjs": ["cli/commands/kernel.ts -> node_modules/@tensorflow/tfjs/index.js"],
      "not-to-unresolvable": ["lib/typo.ts -> ./no-such-module.js"],
    });
    // Every rule of the configuration is exercised above.
    const options = await extractDepcruiseOptions(CONFIG);
    expect([...byRule.keys()].sort()).toEqual(options.ruleSet?.forbidden?.map((r) => r.name).sort());
  });
});
