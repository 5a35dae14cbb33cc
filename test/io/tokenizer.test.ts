import { readFile, writeFile } from "node:fs/promises";
import { join } from "node:path";
import { Tokenizer } from "@huggingface/tokenizers";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { CheckpointError } from "../../lib/io/errors.js";
import { mobyDickChapters, mobyDickText } from "../../lib/io/moby-dick.js";
import { HfTokenizer, loadTokenizer } from "../../lib/io/tokenizer.js";
import {
  BYTE_TO_CHAR,
  trainByteLevelBpe,
  writeTokenizer,
  type TrainedTokenizer,
} from "../../lib/io/train-tokenizer.js";
import { cleanTempDirs, seeded, tempDir } from "./helpers.js";

afterAll(cleanTempDirs);

let corpus: string;
let trained: TrainedTokenizer;
let dir: string;
let tok: HfTokenizer;

beforeAll(async () => {
  corpus = mobyDickText({ maxChars: 200_000 });
  trained = trainByteLevelBpe(corpus, { vocabSize: 768 });
  dir = await tempDir("tok-");
  await writeTokenizer(dir, trained);
  tok = await loadTokenizer(dir);
});

/** Random strings over ASCII, whitespace, Latin-1, CJK, emoji (surrogate pairs) and combining marks. */
function randomText(rand: () => number, n: number): string {
  const pools = [
    " abcdefghijklmnopqrstuvwxyzABCXYZ0123456789.,;:'\"!?-()",
    " \n\n\t\r  ",
    "éüßøñÆ€£—“”",
    "日本語中文한국어",
    "🐳🚀👍🏽",
    "e\u0301a\u0308",
    "<s></s><pad>",
  ];
  let s = "";
  while (s.length < n) {
    const pool = Array.from(pools[Math.floor(rand() * pools.length)] as string);
    s += pool[Math.floor(rand() * pool.length)];
  }
  return s;
}

describe("Moby Dick corpus", () => {
  it("exposes the book's sections and joins them as text", () => {
    const chapters = mobyDickChapters();
    expect(chapters.length).toBe(139);
    expect(chapters.filter((c) => /^\d+$/.test(c.chapter)).length).toBe(135);
    const text = mobyDickText();
    expect(text).toContain("CHAPTER 1. Loomings.\n\nCall me Ishmael.");
    expect(text.length).toBeGreaterThan(1_000_000);
    expect(mobyDickText({ maxChars: 5000 }).length).toBe(5000);
    expect(text.startsWith("CONTENTS")).toBe(false);
  });
});

describe("byte-level BPE training", () => {
  it("fills the vocabulary: 3 specials, 256 bytes, then merges, with contiguous ids", () => {
    expect(trained.vocabSize).toBe(768);
    const vocab = (trained.tokenizer.model as { vocab: Record<string, number> }).vocab;
    expect(Object.values(vocab).sort((a, b) => a - b)).toEqual(Array.from({ length: 768 }, (_, i) => i));
    expect(vocab["<pad>"]).toBe(0);
    expect(vocab["<s>"]).toBe(1);
    expect(vocab["</s>"]).toBe(2);
    expect(new Set(BYTE_TO_CHAR).size).toBe(256);
    for (const ch of BYTE_TO_CHAR) expect(vocab[ch]).toBeDefined();
    // Every merge joins two tokens of the vocabulary into a third.
    for (const m of (trained.tokenizer.model as { merges: string[] }).merges) {
      const [a, b] = m.split(" ") as [string, string];
      expect(vocab[a] !== undefined && vocab[b] !== undefined && vocab[a + b] !== undefined, m).toBe(true);
    }
  });

  it("merges the most frequent adjacent pair first (counted independently here)", () => {
    const counts = new Map<string, number>();
    const enc = new TextEncoder();
    const pattern = /'s|'t|'re|'ve|'m|'ll|'d| ?\p{L}+| ?\p{N}+| ?[^\s\p{L}\p{N}]+|\s+(?!\S)|\s+/gu;
    for (const m of corpus.matchAll(pattern)) {
      const bytes = enc.encode(m[0]);
      for (let i = 0; i + 1 < bytes.length; i++) {
        const k = `${BYTE_TO_CHAR[bytes[i] as number]} ${BYTE_TO_CHAR[bytes[i + 1] as number]}`;
        counts.set(k, (counts.get(k) ?? 0) + 1);
      }
    }
    const top = [...counts.entries()].sort((x, y) => y[1] - x[1]);
    expect(top[0]![1]).toBeGreaterThan(top[1]![1]); // no tie, so the first merge is determined
    expect((trained.tokenizer.model as { merges: string[] }).merges[0]).toBe(top[0]![0]);
  });

  it("is deterministic", () => {
    const again = trainByteLevelBpe(corpus, { vocabSize: 768 });
    expect(JSON.stringify(again.tokenizer)).toBe(JSON.stringify(trained.tokenizer));
  });

  it("compresses its training text and stops early when no pair is frequent enough", () => {
    const ids = tok.encode(corpus.slice(0, 20_000));
    expect(ids.length).toBeLessThan(new TextEncoder().encode(corpus.slice(0, 20_000)).length / 2);
    // Chunks "ab", " ab", " ab", " cd": merge "a b" (3 times), then "Ġ ab" (twice); every other pair occurs once.
    const tiny = trainByteLevelBpe("ab ab ab cd", { vocabSize: 1000 });
    expect((tiny.tokenizer.model as { merges: string[] }).merges).toEqual(["a b", "Ġ ab"]);
    expect(tiny.vocabSize).toBe(3 + 256 + 2);
  });

  it("rejects a vocabulary smaller than the specials and bytes", () => {
    expect(() => trainByteLevelBpe("x", { vocabSize: 100 })).toThrow(
      /vocabSize must be an integer in \[259, 65536\].*found 100/,
    );
  });
});

describe("tokenizer loading through @huggingface/tokenizers", () => {
  it("round-trips arbitrary text: unicode, newlines, tabs, spaces, special-token look-alikes", () => {
    const rand = seeded(5);
    for (let i = 0; i < 40; i++) {
      const s = randomText(rand, 1 + Math.floor(rand() * 200));
      expect(tok.decode(tok.encode(s)), JSON.stringify(s)).toBe(s);
    }
    for (const s of ["", " ", "\n", "  leading and trailing  ", "Call me Ishmael.", "a . b , c ' d n't"]) {
      expect(tok.decode(tok.encode(s))).toBe(s);
    }
  });

  it("is the tokenizer the library loads from the written files, with special ids from tokenizer_config.json", async () => {
    const json = JSON.parse(await readFile(join(dir, "tokenizer.json"), "utf8"));
    const config = JSON.parse(await readFile(join(dir, "tokenizer_config.json"), "utf8"));
    const lib = new Tokenizer(json, config);
    const s = "The whale, the whale!\nThar she blows.";
    expect(tok.encode(s)).toEqual(lib.encode(s).ids);
    expect(lib.decode(lib.encode(s).ids)).toBe(s);
    expect([tok.padId, tok.bosId, tok.eosId]).toEqual([0, 1, 2]);
    expect(tok.vocabSize).toBe(768);
    const the = tok.tokenToId("Ġthe") as number;
    expect(the).toBeGreaterThan(258); // a merged token, not a byte
    expect(tok.idToToken(the)).toBe("Ġthe");
    expect(tok.encode("<s>x</s>", { addSpecialTokens: false }).slice(0, 1)).toEqual([1]);
    expect(tok.decode([1, ...tok.encode("hi"), 2], { skipSpecialTokens: true })).toBe("hi");
  });

  it("prepends BOS when trained with addBosToken", async () => {
    const withBos = trainByteLevelBpe(corpus.slice(0, 20_000), { vocabSize: 300, addBosToken: true });
    const t = new HfTokenizer(withBos.tokenizer, withBos.tokenizerConfig);
    const plain = t.encode("hello there", { addSpecialTokens: false });
    expect(t.encode("hello there")).toEqual([1, ...plain]);
  });

  it("pads batches on the right or the left, with masks and truncation", () => {
    const texts = ["Call me Ishmael.", "whale", "Some years ago never mind how long precisely"];
    const rows = texts.map((s) => tok.encode(s));
    const longest = Math.max(...rows.map((r) => r.length));
    const right = tok.encodeBatch(texts);
    const left = tok.encodeBatch(texts, { paddingSide: "left" });
    rows.forEach((r, i) => {
      const pad = longest - r.length;
      expect(right.ids[i]).toEqual([...r, ...new Array(pad).fill(0)]);
      expect(left.ids[i]).toEqual([...new Array(pad).fill(0), ...r]);
      expect(right.attentionMask[i]).toEqual([...new Array(r.length).fill(1), ...new Array(pad).fill(0)]);
      expect(left.attentionMask[i]).toEqual([...new Array(pad).fill(0), ...new Array(r.length).fill(1)]);
    });
    expect(right.lengths).toEqual(rows.map((r) => r.length));
    const cut = tok.encodeBatch(texts, { maxLength: 3, truncationSide: "left", padToLength: 5 });
    expect(cut.ids[2]).toEqual([...(rows[2] as number[]).slice(-3), 0, 0]);
    expect(() => tok.encodeBatch(texts, { padToLength: 2 })).toThrow(/padToLength 2 is shorter than the longest row/);
  });

  it("falls back to EOS for padding, and fails clearly with neither", () => {
    const noPad = new HfTokenizer(trained.tokenizer, { eos_token: "</s>" });
    expect(noPad.padId).toBeUndefined();
    expect(noPad.encodeBatch(["a", "abc def"]).ids[0]).toContain(2);
    const bare = new HfTokenizer(trained.tokenizer);
    expect(() => bare.encodeBatch(["a", "b c"])).toThrow(/no pad_token or eos_token/);
    expect(() => tok.decode([5, 768])).toThrow("decode: token id 768 is outside the vocabulary [0, 768)");
    expect(tok.decode(Int32Array.from(tok.encode("typed ids")))).toBe("typed ids");
    // A WordPiece vocabulary without "z" or an unknown token cannot spell "z".
    const noUnk = new HfTokenizer({
      model: { type: "WordPiece", vocab: { a: 0 } },
      pre_tokenizer: { type: "Whitespace" },
    });
    expect(noUnk.encode("a a")).toEqual([0, 0]);
    expect(() => noUnk.encode("a z")).toThrow('encode: token 1 of "a z" has no id and the tokenizer has no unk_token');
  });

  it("names the file and the problem for bad tokenizer files", async () => {
    const bad = await tempDir("tok-bad-");
    const errorOf = async (p: Promise<unknown>) =>
      p.then(
        () => "no error",
        (e: unknown) => {
          expect(e).toBeInstanceOf(CheckpointError);
          return (e as Error).message;
        },
      );
    expect(await errorOf(loadTokenizer(bad))).toBe(`${join(bad, "tokenizer.json")}: tokenizer.json not found`);
    await writeFile(join(bad, "tokenizer.json"), "{ not json");
    expect(await errorOf(loadTokenizer(bad))).toMatch(/tokenizer\.json: tokenizer\.json is not valid JSON/);
    await writeFile(join(bad, "tokenizer.json"), JSON.stringify({ version: "1.0" }));
    expect(await errorOf(loadTokenizer(bad))).toMatch(/tokenizer\.json: missing field 'model'/);
    await writeFile(join(bad, "tokenizer.json"), JSON.stringify(trained.tokenizer));
    await writeFile(join(bad, "tokenizer_config.json"), JSON.stringify({ bos_token: { content: "<bos>" } }));
    expect(await errorOf(loadTokenizer(join(bad, "tokenizer.json")))).toBe(
      `${join(bad, "tokenizer.json")}: tokenizer_config field 'bos_token' names token "<bos>", which is not in the vocabulary`,
    );
  });
});
