// Truncated and corrupt inputs of every kind a user loads: model weights (safetensors), config,
// tokenizer, training checkpoint, notebook, adapter. Each must fail with its own named error that
// names the file and what is wrong, never a crash inside tfjs or a JSON parser; and the failing
// file (and anything the call would have written) is left exactly as it was.
import type * as tf from "@tensorflow/tfjs";
import { createHash } from "node:crypto";
import { cpSync, mkdtempSync, readFileSync, readdirSync, rmSync, statSync, truncateSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { runCli } from "../../cli/main.js";
import type { Notebook } from "../../kernel/notebook/nbformat.js";
import { readNotebook, writeNotebook } from "../../kernel/notebook/notebook-file.js";
import { attach, loadAdapter } from "../../lib/adapters/index.js";
import { loadTokenizer } from "../../lib/io/tokenizer.js";
import { mobyDickText } from "../../lib/io/moby-dick.js";
import { trainByteLevelBpe, writeTokenizer } from "../../lib/io/train-tokenizer.js";
import { loadModel, saveModel } from "../../lib/models/index.js";
import { loadLatestCheckpoint, readCheckpoint } from "../../lib/train/training-checkpoint.js";
import { train } from "../../lib/train/trainer.js";
import { countingData, lmLoss, tinyLm } from "../train/lm.js";
import { printFigures, type Row } from "./helpers/figures.js";

const root = mkdtempSync(join(tmpdir(), "faults-corrupt-"));
const figures: Row[] = [];
afterAll(() => {
  printFigures("Corrupt and truncated inputs", figures);
  rmSync(root, { recursive: true, force: true });
});

/** SHA-256 of every file under `dir` (or of one file), to prove a failed call wrote nothing. */
function snapshot(path: string): Record<string, string> {
  const out: Record<string, string> = {};
  const walk = (p: string) => {
    if (statSync(p).isDirectory()) for (const n of readdirSync(p)) walk(join(p, n));
    else out[p] = createHash("sha256").update(readFileSync(p)).digest("hex");
  };
  walk(path);
  return out;
}

/**
 * Runs `load` on a broken input: it must throw an error named `name` whose message names `file`
 * and matches `problem`, and `watched` must be byte-identical afterwards.
 */
async function expectNamedFailure(
  kind: string,
  corruption: string,
  load: () => Promise<unknown>,
  expected: { name: string; file: string; problem: RegExp; watched: string },
): Promise<void> {
  const before = snapshot(expected.watched);
  let err: Error | undefined;
  try {
    await load();
  } catch (e) {
    err = e as Error;
  }
  expect(err, `${kind}: ${corruption} did not fail`).toBeInstanceOf(Error);
  expect(err!.name, `${kind}: ${corruption}`).toBe(expected.name);
  expect(err!.message, `${kind}: ${corruption}`).toContain(expected.file);
  expect(err!.message, `${kind}: ${corruption}`).toMatch(expected.problem);
  expect(snapshot(expected.watched), `${kind}: ${corruption} changed files`).toEqual(before);
  figures.push({
    file: kind,
    corruption,
    error: err!.name,
    message: err!.message.replace(root, "<tmp>").split("\n")[0]!.slice(0, 110),
    "files unchanged": true,
  });
}

/** Writes `files` (name -> bytes or text) into a new folder. */
function folder(files: Record<string, Uint8Array | string>): string {
  const dir = mkdtempSync(join(root, "in-"));
  for (const [name, data] of Object.entries(files)) writeFileSync(join(dir, name), data);
  return dir;
}

let model: { config: string; weights: Buffer; tokenizer: string; tokenizerConfig: string };

beforeAll(async () => {
  const dir = join(root, "good-model");
  const m = tinyLm(3);
  await saveModel(m, dir);
  m.dispose();
  await writeTokenizer(dir, trainByteLevelBpe(mobyDickText({ maxChars: 20_000 }), { vocabSize: 300 }));
  model = {
    config: readFileSync(join(dir, "config.json"), "utf8"),
    weights: readFileSync(join(dir, "model.safetensors")),
    tokenizer: readFileSync(join(dir, "tokenizer.json"), "utf8"),
    tokenizerConfig: readFileSync(join(dir, "tokenizer_config.json"), "utf8"),
  };
  await loadModel(dir).then((x) => x.dispose()); // the good one loads
}, 120_000);

const modelFolder = (over: Partial<Record<"config.json" | "model.safetensors", Uint8Array | string>>) =>
  folder({ "config.json": model.config, "model.safetensors": model.weights, ...over });

describe("model weights (safetensors)", () => {
  const headerLen = () => Number(model.weights.readBigUInt64LE(0));
  const cases: Array<[string, () => Uint8Array, RegExp]> = [
    [
      "cut to 4 bytes",
      () => model.weights.subarray(0, 4),
      /truncated: 4 bytes, too short for the 8-byte header length/,
    ],
    [
      "cut inside the header",
      () => model.weights.subarray(0, 8 + 10),
      /truncated header: declares \d+ bytes but only 10 follow/,
    ],
    [
      "cut inside the data",
      () => model.weights.subarray(0, model.weights.length - 100),
      /truncated: tensor '.*' ends at byte \d+ of the data section, which has \d+/,
    ],
    [
      "header length 2^40",
      () => {
        const b = Buffer.from(model.weights);
        b.writeBigUInt64LE(2n ** 40n, 0);
        return b;
      },
      /corrupt header: declared header length 1099511627776 exceeds/,
    ],
    [
      "garbled header JSON",
      () => {
        const b = Buffer.from(model.weights);
        b.fill(0x7b, 8, 8 + Math.min(40, headerLen())); // "{{{{"
        return b;
      },
      /corrupt header: not valid JSON/,
    ],
    [
      "a tensor's offsets disagree with its shape",
      () => {
        const len = headerLen();
        const header = model.weights.subarray(8, 8 + len).toString("utf8");
        const bad = header.replace(/"shape":\[(\d+),/, (_m, d) => `"shape":[${Number(d) + 1},`);
        const hb = Buffer.from(bad.padEnd(len));
        return Buffer.concat([model.weights.subarray(0, 8), hb, model.weights.subarray(8 + len)]);
      },
      /shape \[\d+, \d+\] of F32 needs \d+ bytes, data_offsets span \d+/,
    ],
  ];
  it.each(cases)("%s: SafetensorsError naming the file", async (what, bytes, problem) => {
    const dir = modelFolder({ "model.safetensors": bytes() });
    await expectNamedFailure("model.safetensors", what, () => loadModel(dir), {
      name: "SafetensorsError",
      file: join(dir, "model.safetensors"),
      problem,
      watched: dir,
    });
  });
});

describe("config.json", () => {
  const cases: Array<[string, () => string, RegExp]> = [
    [
      "truncated",
      () => model.config.slice(0, model.config.length / 2),
      /config\.json is not valid JSON, truncated or corrupt/,
    ],
    ["not an object", () => "[1, 2]", /config\.json must hold a JSON object/],
    [
      "model_type missing",
      () => model.config.replace(/"model_type":\s*"llama",?/, ""),
      /missing config field 'model_type'/,
    ],
    [
      "hidden_size a string",
      () => model.config.replace(/"hidden_size":\s*16/, '"hidden_size": "16"'),
      /field hidden_size: expected a number, found "16"/,
    ],
  ];
  it.each(cases)("%s: ConfigError naming the file", async (what, text, problem) => {
    const dir = modelFolder({ "config.json": text() });
    await expectNamedFailure("config.json", what, () => loadModel(dir), {
      name: "ConfigError",
      file: join(dir, "config.json"),
      problem,
      watched: dir,
    });
  });
});

describe("tokenizer.json and tokenizer_config.json", () => {
  const cases: Array<[string, () => Record<string, string>, string, RegExp]> = [
    [
      "tokenizer.json truncated",
      () => ({ "tokenizer.json": model.tokenizer.slice(0, 1000) }),
      "tokenizer.json",
      /tokenizer\.json is not valid JSON, truncated or corrupt/,
    ],
    [
      "tokenizer.json without a model",
      () => ({ "tokenizer.json": '{"version": "1.0"}' }),
      "tokenizer.json",
      /missing field 'model'/,
    ],
    [
      "tokenizer.json with an unknown model type",
      () => ({ "tokenizer.json": JSON.stringify({ ...JSON.parse(model.tokenizer), model: { type: "Nonsense" } }) }),
      "tokenizer.json",
      /cannot build the tokenizer: Unknown TokenizerModel type: Nonsense/,
    ],
    [
      "tokenizer_config.json truncated",
      () => ({ "tokenizer_config.json": model.tokenizerConfig.slice(0, 10) }),
      "tokenizer_config.json",
      /tokenizer_config\.json is not valid JSON/,
    ],
    [
      "tokenizer_config.json a list",
      () => ({ "tokenizer_config.json": "[]" }),
      "tokenizer_config.json",
      /tokenizer_config\.json must hold a JSON object/,
    ],
    [
      "bos_token not in the vocabulary",
      () => ({
        "tokenizer_config.json": JSON.stringify({ ...JSON.parse(model.tokenizerConfig), bos_token: "<nope>" }),
      }),
      "tokenizer.json",
      /field 'bos_token' names token "<nope>", which is not in the vocabulary/,
    ],
  ];
  it.each(cases)("%s: TokenizerError naming the file", async (what, files, named, problem) => {
    const dir = folder({
      "tokenizer.json": model.tokenizer,
      "tokenizer_config.json": model.tokenizerConfig,
      ...files(),
    });
    await expectNamedFailure("tokenizer", what, () => loadTokenizer(dir), {
      name: "TokenizerError",
      file: join(dir, named),
      problem,
      watched: dir,
    });
  });
});

describe("training checkpoints", () => {
  let good: string;
  beforeAll(async () => {
    good = join(root, "ckpts");
    const m = tinyLm(5);
    const att = attach(m, { method: "lora", targets: /q_proj$/, r: 2 });
    await train({
      trainable: att,
      loss: (b: tf.Tensor2D) => lmLoss(m, b),
      data: countingData(1, 8),
      steps: 2,
      optimizer: { kind: "adamw", lr: 0.01 },
      progress: false,
      checkpoint: { dir: good, every: 1, keepLast: 2 },
    });
    att.detach();
    m.dispose();
  });
  const ck = (dir: string) => join(dir, "ckpt-00000002");
  const cases: Array<[string, (dir: string) => void, RegExp]> = [
    [
      "manifest truncated",
      (d) => truncateSync(join(ck(d), "manifest.json"), 30),
      /manifest\.json is not valid JSON, truncated or corrupt/,
    ],
    ["manifest missing", (d) => rmSync(join(ck(d), "manifest.json")), /manifest\.json is missing or unreadable/],
    [
      "manifest's step not the folder's",
      (d) => {
        const p = join(ck(d), "manifest.json");
        writeFileSync(p, readFileSync(p, "utf8").replace('"step": 2', '"step": 1'));
      },
      /manifest\.json says step 1 but the folder is named for step 2/,
    ],
    [
      "optimizer state truncated",
      (d) => truncateSync(join(ck(d), "optimizer.safetensors"), 50),
      /optimizer\.safetensors is truncated or padded: 50 bytes/,
    ],
    [
      "one byte of the weights flipped",
      (d) => {
        const p = join(ck(d), "trainable.safetensors");
        const b = readFileSync(p);
        b[b.length - 1] = (b[b.length - 1] as number) ^ 1;
        writeFileSync(p, b);
      },
      /trainable\.safetensors is corrupt: SHA-256 differs from the manifest/,
    ],
    ["state.json deleted", (d) => rmSync(join(ck(d), "state.json")), /state\.json is missing/],
  ];
  it.each(cases)(
    "%s: CheckpointError naming the folder; the run falls back to the one before",
    async (what, breakIt, problem) => {
      const dir = join(root, `ckpts-${what.replace(/\W+/g, "-")}`);
      cpSync(good, dir, { recursive: true });
      breakIt(dir);
      await expectNamedFailure("checkpoint", what, () => readCheckpoint(ck(dir)), {
        name: "CheckpointError",
        file: ck(dir),
        problem,
        watched: dir,
      });
      const warnings: string[] = [];
      const latest = await loadLatestCheckpoint(dir, (m) => void warnings.push(m));
      expect(latest?.state.step).toBe(1);
      expect(warnings[0]).toMatch(problem);
    },
  );
});

describe("notebooks", () => {
  const good = {
    nbformat: 4,
    nbformat_minor: 5,
    metadata: {},
    cells: [{ cell_type: "code", id: "c1", source: "1 + 1", metadata: {}, outputs: [], execution_count: null }],
  };
  const text = JSON.stringify(good, null, 1);
  const cases: Array<[string, string, RegExp]> = [
    ["truncated", text.slice(0, text.length / 2), /not valid JSON/],
    ["nbformat 3", JSON.stringify({ ...good, nbformat: 3 }), /only nbformat 4 is supported, found nbformat 3/],
    [
      "a cell without source",
      JSON.stringify({ ...good, cells: [{ cell_type: "code", metadata: {} }] }),
      /cell 1: source must be a string or list of strings/,
    ],
  ];
  it.each(cases)(
    "%s: NotebookFormatError naming the file; `peft-nb run` writes nothing",
    async (what, body, problem) => {
      const dir = folder({ "bad.ipynb": body });
      const src = join(dir, "bad.ipynb");
      const out = join(dir, "out.ipynb");
      writeNotebook(out, good as Notebook); // an earlier result the failed run must not replace
      await expectNamedFailure("notebook", what, async () => readNotebook(src), {
        name: "NotebookFormatError",
        file: src,
        problem,
        watched: dir,
      });
      const before = snapshot(dir);
      const err: string[] = [];
      // In place (the default) and to an existing output: neither file is touched.
      expect(await runCli(["run", src], { out: () => {}, err: (l) => void err.push(l) })).toBe(2);
      expect(await runCli(["run", src, "-o", out], { out: () => {}, err: (l) => void err.push(l) })).toBe(2);
      expect(err.join("\n")).toMatch(problem);
      expect(snapshot(dir)).toEqual(before);
    },
  );
});

describe("adapter folders", () => {
  let good: string;
  beforeAll(async () => {
    good = join(root, "adapter");
    const m = tinyLm(3);
    const att = attach(m, { method: "lora", targets: /q_proj$|v_proj$/, r: 2 });
    await att.save(good);
    att.detach();
    m.dispose();
  });
  const cases: Array<[string, string, (b: Buffer, t: string) => Uint8Array | string, RegExp]> = [
    ["adapter_config.json", "truncated", (_b, t) => t.slice(0, 20), /not valid JSON, truncated or corrupt/],
    [
      "adapter_config.json",
      "unknown peft_type",
      (_b, t) => t.replace('"LORA"', '"MYSTERY"'),
      /peft_type 'MYSTERY' is not supported/,
    ],
    ["adapter_model.safetensors", "truncated", (b) => b.subarray(0, b.length - 64), /truncated: tensor/],
    [
      "adapter_model.safetensors",
      "a tensor of the wrong shape",
      (b) => {
        const len = Number(b.readBigUInt64LE(0));
        const h = JSON.parse(b.subarray(8, 8 + len).toString()) as Record<
          string,
          { shape?: number[]; data_offsets?: number[] }
        >;
        const [, e] = Object.entries(h).find(([k]) => k.endsWith("lora_A.weight"))!;
        e.shape = [(e.shape![0] as number) * 2, (e.shape![1] as number) / 2];
        const hb = Buffer.from(JSON.stringify(h).padEnd(len));
        return Buffer.concat([b.subarray(0, 8), hb, b.subarray(8 + len)]);
      },
      /lora_A\.weight' has shape \[4, 8\], but .*q_proj \(in_features 16, out_features 16\) needs \[4, 16\]/,
    ],
  ];
  it.each(cases)(
    "%s %s: AdapterFileError naming the file; the model is left as it was",
    async (file, what, breakIt, problem) => {
      const dir = folder({
        "adapter_config.json": readFileSync(join(good, "adapter_config.json"), "utf8"),
        "adapter_model.safetensors": readFileSync(join(good, "adapter_model.safetensors")),
      });
      const p = join(dir, file);
      writeFileSync(p, breakIt(readFileSync(p), readFileSync(p, "utf8")));
      const m = tinyLm(3);
      const weights = [...m.namedParameters().values()].map((v) => Array.from(v.dataSync()));
      await expectNamedFailure("adapter", `${file} ${what}`, () => loadAdapter(m, dir), {
        name: "AdapterFileError",
        file: p,
        problem,
        watched: dir,
      });
      expect([...m.linears().values()].every((l) => l.adapter === null)).toBe(true);
      expect([...m.namedParameters().values()].map((v) => Array.from(v.dataSync()))).toEqual(weights);
      m.dispose();
    },
  );
});
