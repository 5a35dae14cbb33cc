// `peft-nb generate`: load a model, generate from a prompt or from token ids, print the result.
// A quick check that a checkpoint loads and produces sensible tokens.
import { parseArgs } from "node:util";
import type { CliCommand } from "../../kernel/cli/main.js";
import { useBackend } from "../backend/index.js";
import { loadTokenizer } from "../io/tokenizer.js";
import { generate, loadModelWithTokenizer } from "../models/index.js";

const USAGE = `usage: peft-nb generate --model PATH (--prompt TEXT | --ids "1 2 3") [options]

  --model PATH        Hugging Face model folder or llama2.c .bin checkpoint
  --prompt TEXT       text prompt (needs tokenizer.json in the model folder)
  --ids "1 2 3"       prompt as token ids; prints the generated ids space-separated
  --max-tokens N      new tokens to generate (default 32)
  --temperature T     0 = greedy (default 0)
  --top-k K           sample only from the K most likely tokens
  --top-p P           sample only from the nucleus of probability P
  --seed S            sampling seed (default 0)
  --backend B         tensorflow-gpu | tensorflow | wasm | cpu (default: fastest available)
  --no-eos            do not stop at the end-of-sequence token`;

class UsageError extends Error {}

function number(
  raw: string | undefined,
  flag: string,
  fallback: number,
  check: (n: number) => boolean,
  expected: string,
): number {
  if (raw === undefined) return fallback;
  const n = Number(raw);
  if (raw.trim() === "" || !Number.isFinite(n) || !check(n))
    throw new UsageError(`${flag}: expected ${expected}, found '${raw}'`);
  return n;
}

export const command: CliCommand = {
  summary: "generate tokens from a model (quick check of a checkpoint)",
  async run(argv: string[]): Promise<number> {
    let values;
    try {
      ({ values } = parseArgs({
        args: argv,
        options: {
          model: { type: "string" },
          prompt: { type: "string" },
          ids: { type: "string" },
          "max-tokens": { type: "string" },
          temperature: { type: "string" },
          "top-k": { type: "string" },
          "top-p": { type: "string" },
          seed: { type: "string" },
          backend: { type: "string" },
          "no-eos": { type: "boolean" },
          help: { type: "boolean", short: "h" },
        },
      }));
    } catch (err) {
      console.error(`peft-nb generate: ${(err as Error).message}\n\n${USAGE}`);
      return 2;
    }
    if (values.help) {
      console.log(USAGE);
      return 0;
    }
    try {
      if (!values.model) throw new UsageError("--model is required");
      if ((values.prompt === undefined) === (values.ids === undefined))
        throw new UsageError("give exactly one of --prompt or --ids");
      const maxNewTokens = number(
        values["max-tokens"],
        "--max-tokens",
        32,
        (n) => Number.isInteger(n) && n >= 0,
        "a non-negative integer",
      );
      const temperature = number(values.temperature, "--temperature", 0, (n) => n >= 0, "a number >= 0");
      const topK = number(
        values["top-k"],
        "--top-k",
        0,
        (n) => Number.isInteger(n) && n >= 0,
        "a non-negative integer",
      );
      const topP = number(values["top-p"], "--top-p", 1, (n) => n > 0 && n <= 1, "a number in (0, 1]");
      const seed = number(values.seed, "--seed", 0, Number.isInteger, "an integer");
      let promptIds: number[] | undefined;
      if (values.ids !== undefined) {
        const parts = values.ids
          .trim()
          .split(/[\s,]+/)
          .filter(Boolean);
        if (parts.length === 0) throw new UsageError("--ids: expected space-separated token ids, found none");
        promptIds = parts.map((p) =>
          number(p, "--ids", 0, (n) => Number.isInteger(n) && n >= 0, "non-negative integer token ids"),
        );
      }

      const backend = await useBackend(values.backend);
      console.error(`backend: ${backend.name} (${backend.reason})`);
      const { model, tokenizerPath } = await loadModelWithTokenizer(values.model);
      try {
        const eosTokenId = values["no-eos"] ? null : undefined;
        const opts = { maxNewTokens, temperature, topK, topP, seed, ...(eosTokenId === null ? { eosTokenId } : {}) };
        if (promptIds) {
          const [out] = generate(model, [promptIds], opts);
          console.log((out ?? []).join(" "));
          return 0;
        }
        if (!tokenizerPath)
          throw new UsageError(
            `--prompt needs tokenizer.json next to the model (${values.model}); use --ids for models without one`,
          );
        const tokenizer = await loadTokenizer(tokenizerPath);
        const ids = tokenizer.encode(values.prompt as string);
        if (ids.length === 0) throw new UsageError("--prompt encodes to no tokens");
        const [out] = generate(model, [ids], {
          ...opts,
          ...(tokenizer.padId !== undefined ? { padTokenId: tokenizer.padId } : {}),
        });
        console.log(tokenizer.decode([...ids, ...(out ?? [])], { skipSpecialTokens: true }));
        return 0;
      } finally {
        model.dispose();
      }
    } catch (err) {
      if (err instanceof UsageError) {
        console.error(`peft-nb generate: ${err.message}\n\n${USAGE}`);
        return 2;
      }
      console.error(`peft-nb generate: ${(err as Error).message}`);
      return 1;
    }
  },
};
