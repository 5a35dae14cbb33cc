// lib/io: checkpoints (safetensors, Hugging Face folders, llama2.c) and tokenizers.
export * from "./errors.js";
export * from "./safetensors.js";
export * from "./hf-folder.js";
export * from "./llama2c.js";
export * from "./model-checkpoint.js";
export * from "./tokenizer.js";
export * from "./train-tokenizer.js";
export * from "./moby-dick.js";
