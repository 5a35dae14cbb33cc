// `peft-nb pretrain`: rebuilds a base model from its recipe and says whether the bytes match the
// shipped record (models/base-small). Refuses up front when the environment or corpus differs
// from the record's, since the bytes would too (--force builds anyway and says so).
import { cp, mkdir } from "node:fs/promises";
import { join } from "node:path";
import { useBackend } from "../../lib/backend/index.js";
import { cacheRoot } from "../../lib/data/paths.js";
import {
  buildBaseModel,
  compareWithRecord,
  currentEnvironment,
  MODEL_FILES,
  PRETRAIN_REPORT_FILE,
  readRecord,
  rebuildHazards,
  recipeFor,
  shippedBaseDir,
  writeRecord,
} from "../../lib/pretrain/index.js";
import { defineCommand, UsageError } from "../command.js";
import { nonNegativeInteger, numberOption } from "../options.js";

export const command = defineCommand({
  name: "pretrain",
  usage: `usage: peft-nb pretrain [--scale small|smoke] [--out DIR] [--force] [--ship]

Pre-trains a base model from its recipe (lib/pretrain/recipes.ts) and compares the files with the
shipped record (models/base-small/record.json at small): a rebuild on the recorded backend, thread
count, OpenBLAS kernels and corpus repeats the bytes. Rerunning resumes from the build's checkpoints.

  --scale S     smoke | small (default small)
  --seed N      seed of the init and data order (default 0; the shipped model is seed 0)
  --out DIR     build folder (default <cache>/pretrain-build/<scale>-s<seed>)
  --data DIR    GLUE and GSM8K data folder (default the project's data folder)
  --force       build even where the environment or corpus differs from the record's
  --ship        copy the build into the shipped folder and write its record (after changing the recipe)`,
  options: {
    scale: { type: "string" },
    seed: { type: "string" },
    out: { type: "string" },
    data: { type: "string" },
    force: { type: "boolean" },
    ship: { type: "boolean" },
  },
  async run({ values }, io) {
    const scale = values.scale ?? "small";
    if (scale !== "small" && scale !== "smoke")
      throw new UsageError(`--scale: expected small or smoke, found ${scale}`);
    const seed = numberOption(values.seed, "--seed", nonNegativeInteger(0));
    const recipe = recipeFor(scale);
    const shipped = shippedBaseDir(scale);
    if (values.ship && (!shipped || seed !== 0))
      throw new UsageError("--ship: only the small base model at seed 0 is shipped");
    const backend = await useBackend(recipe.threads === null ? {} : { backend: "native", threads: recipe.threads });
    const env = currentEnvironment(backend, recipe);
    io.out(
      `backend ${env.backend}${env.threads ? `, ${env.threads} threads` : ""}${env.detail ? `, ${env.detail}` : ""}`,
    );

    const record = shipped && seed === 0 && !values.ship ? await readRecord(shipped) : null;
    if (record) {
      const hazards = rebuildHazards(record, recipe, env, values.data);
      if (hazards.length) {
        const list = `\n  ${hazards.join("\n  ")}`;
        if (!values.force) {
          io.err(
            `peft-nb pretrain: this build would not repeat ${shipped}'s bytes:${list}\nPass --force to build anyway.`,
          );
          return 1;
        }
        io.err(`warning: building where the record differs, the bytes will likely differ too:${list}`);
      }
    }

    const out = values.out ?? join(cacheRoot(), "pretrain-build", `${scale}-s${seed}`);
    io.out(`pre-training the ${scale} base model into ${out}`);
    const { report, record: built } = await buildBaseModel({
      recipe,
      seed,
      out,
      environment: env,
      checkpointDir: `${out}.checkpoints`,
      ...(values.data ? { dataDir: values.data } : {}),
    });
    io.out(
      `${report.parameters} parameters, ${report.tokensSeen} tokens seen in ${report.trainSeconds.toFixed(0)} s; held-out perplexity ${report.perplexityBefore.toFixed(1)} -> ${report.perplexityAfter.toFixed(1)}`,
    );
    for (const [name, h] of Object.entries(built.files)) io.out(`  ${name}  ${h.sha256}  ${h.bytes} bytes`);

    if (values.ship && shipped) {
      await mkdir(shipped, { recursive: true });
      for (const f of [...MODEL_FILES, PRETRAIN_REPORT_FILE]) await cp(join(out, f), join(shipped, f));
      await writeRecord(shipped, built);
      io.out(`shipped into ${shipped}`);
      return 0;
    }
    if (!record) return 0;
    const diff = compareWithRecord(built, record);
    if (diff.length) {
      io.err(`the build differs from ${shipped}/record.json:\n  ${diff.join("\n  ")}`);
      return 1;
    }
    io.out(`byte-identical to ${shipped}`);
    return 0;
  },
});
