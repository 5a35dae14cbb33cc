// `peft-nb generate`: load a model, generate from a prompt or from token ids, print the result.
// A quick check that a checkpoint loads and produces sensible tokens.
import { useBackend } from "../../lib/backend/index.js";
import { loadTokenizer } from "../../lib/io/tokenizer.js";
import { generate, loadModelWithTokenizer } from "../../lib/models/index.js";
import { defineCommand, UsageError } from "../command.js";
import { nonNegativeInteger, numberOption } from "../options.js";

export const command = defineCommand({
  name: "generate",
  usage: `usage: peft-nb generate --model PATH (--prompt TEXT | --ids "1 2 3") [options]

  --model PATH        Hugging Face model folder or llama2.c .bin checkpoint
  --prompt TEXT       text prompt (needs tokenizer.json in the model folder)
  --ids "1 2 3"       prompt as token ids; prints the generated ids space-separated
  --max-tokens N      new tokens to generate (default 32)
  --temperature T     0 = greedy (default 0)
  --top-k K           sample only from the K most likely tokens
  --top-p P           sample only from the nucleus of probability P
  --seed S            sampling seed (default 0)
  --backend B         tensorflow-gpu | tensorflow | wasm | cpu (default: fastest available)
  --no-eos            do not stop at the end-of-sequence token`,
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
  },
  async run({ values }, io) {
    if (!values.model) throw new UsageError("--model is required");
    if ((values.prompt === undefined) === (values.ids === undefined))
      throw new UsageError("give exactly one of --prompt or --ids");
    const maxNewTokens = numberOption(values["max-tokens"], "--max-tokens", nonNegativeInteger(32));
    const temperature = numberOption(values.temperature, "--temperature", {
      fallback: 0,
      check: (n) => n >= 0,
      expected: "a number >= 0",
    });
    const topK = numberOption(values["top-k"], "--top-k", nonNegativeInteger(0));
    const topP = numberOption(values["top-p"], "--top-p", {
      fallback: 1,
      check: (n) => n > 0 && n <= 1,
      expected: "a number in (0, 1]",
    });
    const seed = numberOption(values.seed, "--seed", { fallback: 0, check: Number.isInteger, expected: "an integer" });
    let promptIds: number[] | undefined;
    if (values.ids !== undefined) {
      const parts = values.ids
        .trim()
        .split(/[\s,]+/)
        .filter(Boolean);
      if (parts.length === 0) throw new UsageError("--ids: expected space-separated token ids, found none");
      const idRule = { ...nonNegativeInteger(0), expected: "non-negative integer token ids" };
      promptIds = parts.map((p) => numberOption(p, "--ids", idRule));
    }

    const backend = await useBackend(values.backend);
    io.err(`backend: ${backend.name} (${backend.reason})`);
    const { model, tokenizerPath } = await loadModelWithTokenizer(values.model);
    try {
      const opts = { maxNewTokens, temperature, topK, topP, seed, ...(values["no-eos"] ? { eosTokenId: null } : {}) };
      if (promptIds) {
        const [out] = generate(model, [promptIds], opts);
        io.out((out ?? []).join(" "));
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
      io.out(tokenizer.decode([...ids, ...(out ?? [])], { skipSpecialTokens: true }));
      return 0;
    } finally {
      model.dispose();
    }
  },
});
