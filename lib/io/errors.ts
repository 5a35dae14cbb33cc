// One base error for every model, tokenizer and checkpoint file problem, so callers can catch
// one type and users see which file was at fault before the reason; each kind of file has its
// own subclass (its name says which kind of file broke).
export class CheckpointError extends Error {
  constructor(
    readonly file: string,
    readonly problem: string,
  ) {
    super(`${file}: ${problem}`);
    this.name = "CheckpointError";
  }
}

/** A config.json problem (model config). */
export class ConfigError extends CheckpointError {
  constructor(file: string, problem: string) {
    super(file, problem);
    this.name = "ConfigError";
  }
}

/** A tokenizer.json / tokenizer_config.json problem. */
export class TokenizerError extends CheckpointError {
  constructor(file: string, problem: string) {
    super(file, problem);
    this.name = "TokenizerError";
  }
}

/** An adapter folder problem (adapter_config.json, adapter_model.safetensors). */
export class AdapterFileError extends CheckpointError {
  constructor(file: string, problem: string) {
    super(file, problem);
    this.name = "AdapterFileError";
  }
}

/** "[2, 3]" — shapes are printed the same way in every message. */
export function formatShape(shape: readonly number[]): string {
  return `[${shape.join(", ")}]`;
}
