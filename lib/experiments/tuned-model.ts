// A fine-tuned model as runMethod leaves it: the model (adapter attached, in eval mode), its
// tokenizer, and how to save it. An adapter is saved in Hugging Face PEFT's files, with a new
// classification head as PEFT's `modules_to_save` entry (`score`); full fine-tuning saves the
// whole model as a Hugging Face folder with its tokenizer (what PEFT users do with a full run).
import { copyFile, mkdir } from "node:fs/promises";
import { join } from "node:path";
import type { Attachment } from "../adapters/attach.js";
import type { TextGenerator } from "../eval/interfaces.js";
import { TOKENIZER_FILE } from "../io/hf-folder.js";
import type { HfTokenizer } from "../io/tokenizer.js";
import type { TransformerModel } from "../models/model.js";
import { saveModel } from "../models/pretrained.js";
import { textGeneratorFor } from "./generation.js";
import type { MethodName } from "./methods.js";
import type { ScoringMode } from "./scoring.js";

/** The classification head runMethod adds for "head" scoring (withClassificationHead). */
export const HEAD_TENSOR = "score.weight";

export interface TunedModel {
  readonly method: MethodName;
  readonly model: TransformerModel;
  readonly tokenizer: HfTokenizer;
  /** Null for full fine-tuning and the untuned base. */
  readonly attachment: Attachment | null;
  /** What the generative evaluators take (causal-LM models only). */
  generator(): TextGenerator;
  /** PEFT adapter files (adapter_config.json + adapter_model.safetensors), or a whole model folder for "full". */
  save(dir: string): Promise<void>;
  dispose(): void;
}

export function tunedModel(o: {
  method: MethodName;
  model: TransformerModel;
  tokenizer: HfTokenizer;
  tokenizerPath?: string;
  attachment: Attachment | null;
  scoring: ScoringMode;
}): TunedModel {
  let disposed = false;
  const alive = (what: string) => {
    if (disposed) throw new Error(`TunedModel.${what}: the ${o.method} model was disposed`);
  };
  return {
    method: o.method,
    model: o.model,
    tokenizer: o.tokenizer,
    attachment: o.attachment,
    generator() {
      alive("generator()");
      return textGeneratorFor(o.model, o.tokenizer);
    },
    async save(dir) {
      alive("save()");
      if (o.attachment) {
        const head = o.scoring === "head" ? o.model.namedParameters().get(HEAD_TENSOR) : undefined;
        await o.attachment.save(dir, head ? new Map([[HEAD_TENSOR, head]]) : undefined);
        return;
      }
      if (o.method !== "full") throw new Error(`TunedModel.save(): the ${o.method} model has nothing tuned to save`);
      await mkdir(dir, { recursive: true });
      await saveModel(o.model, dir);
      if (o.tokenizerPath) await copyFile(o.tokenizerPath, join(dir, TOKENIZER_FILE));
    },
    dispose() {
      if (disposed) return;
      disposed = true;
      o.attachment?.detach();
      o.model.dispose();
    },
  };
}
