import { mkdtempSync, appendFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import { HistoryStore, defaultHistoryPath, globToRegExp } from "../../kernel/history/store.js";

const tmpFile = () => join(mkdtempSync(join(tmpdir(), "hist-")), "sub", "history.jsonl");

describe("HistoryStore", () => {
  it("numbers sessions across restarts and reads earlier ones back", async () => {
    const path = tmpFile();
    const a = new HistoryStore(path);
    await a.load();
    a.append(1, "first");
    a.append(2, "second", "'out'");
    await a.flush();
    const b = new HistoryStore(path);
    await b.load();
    expect(b.session).toBe(a.session + 1);
    b.append(1, "third");
    expect(b.tail(3, true)).toEqual([
      [a.session, 1, ["first", null]],
      [a.session, 2, ["second", "'out'"]],
      [b.session, 1, ["third", null]],
    ]);
    expect(b.range(-1, 2, null)).toEqual([[a.session, 2, "second"]]);
  });

  it("skips a torn line instead of failing", async () => {
    const path = tmpFile();
    const a = new HistoryStore(path);
    await a.load();
    a.append(1, "ok");
    await a.flush();
    appendFileSync(path, '{"session": 1, "li');
    const b = new HistoryStore(path);
    await b.load();
    expect(b.tail(10).map((t) => t[2])).toEqual(["ok"]);
  });

  it("searches with glob patterns, unique and n", async () => {
    const s = new HistoryStore(tmpFile());
    for (const [i, code] of ["6*7", "a = 1", "6*7", "x?y", "6+7"].entries()) s.append(i + 1, code);
    expect(s.search("6?7", null, false).map((t) => t[1])).toEqual([1, 3, 5]);
    expect(s.search("6?7", null, true).map((t) => t[1])).toEqual([3, 5]);
    expect(s.search("6*", 1, false).map((t) => t[1])).toEqual([5]);
    expect(globToRegExp("a.b").test("axb")).toBe(false);
  });

  it("honours PEFT_NB_HISTORY_FILE and XDG_DATA_HOME", () => {
    expect(defaultHistoryPath({ PEFT_NB_HISTORY_FILE: "/x/h.jsonl" })).toBe("/x/h.jsonl");
    expect(defaultHistoryPath({ XDG_DATA_HOME: "/data" })).toBe(join("/data", "peft-nb", "history.jsonl"));
  });
});
