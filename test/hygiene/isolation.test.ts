// The test suite runs against temporary folders only (test/helpers/global-setup.ts), names no
// machine-specific absolute paths and skips nothing silently.
import { spawnSync } from "node:child_process";
import { readdirSync, readFileSync } from "node:fs";
import { userInfo } from "node:os";
import { join, relative } from "node:path";
import { beforeAll, describe, expect, it } from "vitest";
import { defaultHistoryPath } from "../../kernel/history/store.js";
import { cacheRoot } from "../../lib/data/paths.js";
import { defaultCacheDir } from "../../lib/pretrain/ensure.js";
import { defaultRunCacheDir } from "../../lib/reproduce/runs.js";
import { ensureBuilt, ROOT } from "../helpers/ensure-built.js";

const home = process.env.PEFT_TEST_HOME as string;
const inside = (path: string, dir: string) => !relative(dir, path).startsWith("..");

describe("temporary folders", () => {
  beforeAll(ensureBuilt);

  it("HOME, history and caches are under this run's temporary folder, not the user's", () => {
    expect(home).toMatch(/peft-test-home-/);
    expect(process.env.HOME).toBe(join(home, "home"));
    expect(process.env.HOME).not.toBe(userInfo().homedir);
    expect(inside(defaultHistoryPath(), home)).toBe(true);
    const cache = process.env.PEFT_TEST_CACHE_DIR || join(home, "cache");
    for (const dir of [cacheRoot(), defaultCacheDir(), defaultRunCacheDir()])
      expect(inside(dir, cache), dir).toBe(true);
    expect(inside(defaultRunCacheDir(), join(ROOT, ".cache"))).toBe(false);
  });

  it("a kernel or notebook started by a test inherits them", () => {
    const script = `
      const { defaultHistoryPath } = await import(${JSON.stringify(join(ROOT, "dist", "kernel", "history", "store.js"))});
      const { defaultCacheDir } = await import(${JSON.stringify(join(ROOT, "dist", "lib", "pretrain", "ensure.js"))});
      console.log(JSON.stringify([defaultHistoryPath(), defaultCacheDir(), (await import("node:os")).homedir()]));`;
    const r = spawnSync(process.execPath, ["--input-type=module", "-e", script], { encoding: "utf8" });
    expect(r.status, r.stderr).toBe(0);
    const paths = JSON.parse(r.stdout) as string[];
    for (const p of paths) expect(inside(p, home) || inside(p, process.env.PEFT_CACHE_DIR as string), p).toBe(true);
  });
});

describe("test sources", () => {
  const files = (dir: string): string[] =>
    readdirSync(dir, { withFileTypes: true }).flatMap((e) =>
      e.isDirectory() ? files(join(dir, e.name)) : /\.(ts|mjs|py)$/.test(e.name) ? [join(dir, e.name)] : [],
    );
  const sources = files(join(ROOT, "test")).filter((f) => f !== import.meta.filename);

  it("name no absolute machine paths (data and models are found relative to the project)", () => {
    // The development machines' checkout root, the one such path tests have used. (Paths like
    // /root or /home stay allowed: sandbox tests name them as what a hostile program attacks.)
    const machine = new RegExp(["/wo", "rk/"].join(""));
    const offenders = sources.filter((f) => machine.test(readFileSync(f, "utf8")));
    expect(offenders.map((f) => relative(ROOT, f))).toEqual([]);
  });

  it("skip only for an optional dependency, said on the line (vitest lists skips in its summary)", () => {
    // A skip must carry `optional dependency: <what>` on its line or the line above; anything the
    // suite needs is installed by scripts/system-deps.sh or npm ci, so it is never skipped.
    const skip = new RegExp(["\\.sk", "ip(If)?\\(|\\.to", "do\\(|\\.runIf\\("].join(""));
    const marker = new RegExp(["optional", " dependency:"].join(""));
    const offenders = sources.flatMap((f) => {
      const lines = readFileSync(f, "utf8").split("\n");
      return lines.flatMap((line, i) =>
        skip.test(line) && !marker.test(line) && !marker.test(lines[i - 1] ?? "")
          ? [`${relative(ROOT, f)}:${i + 1}`]
          : [],
      );
    });
    expect(offenders).toEqual([]);
  });
});
