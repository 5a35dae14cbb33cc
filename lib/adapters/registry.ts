// The adapter methods, listed once. Every other list of methods (attach's, the adapter file
// reader's, runMethod's, the reproduction settings', the benches', the notebooks') and every
// per-method default is read from here. Adding a method: a folder with its layer and a
// descriptor (method.ts), one line below, and its tests.
import { boftMethod } from "./boft/method.js";
import { hybridMethod } from "./hybrid/method.js";
import { loraMethod } from "./lora/method.js";
import { loragaMethod } from "./loraga/method.js";
import type { AdapterMethod, AnyAdapterMethod } from "./method.js";
import type { TargetSpec } from "./targets.js";
import { urnnMethod } from "./urnn/method.js";

export const ADAPTER_METHODS = [loraMethod, boftMethod, loragaMethod, urnnMethod, hybridMethod] as const;

/** The name of an adapter method: "lora", "boft", "loraga", "urnn" or "hybrid". */
export type Method = (typeof ADAPTER_METHODS)[number]["name"];

export const ADAPTER_METHOD_NAMES: readonly Method[] = ADAPTER_METHODS.map((m) => m.name);

/** What attach() takes for every method. */
export interface AttachCommon {
  targets: TargetSpec;
  /** Seeds every random init (default 0). */
  seed?: number;
}

type OptionsOf<D> = D extends AdapterMethod<infer N, infer O, infer _C, infer _L> ? { method: N } & O : never;

/** attach()'s options: the common ones and the chosen method's (its descriptor's option type). */
export type AttachOptions = AttachCommon & OptionsOf<(typeof ADAPTER_METHODS)[number]>;
export type AttachOptionsOf<M extends Method> = Extract<AttachOptions, { method: M }>;
export type LoraAttachOptions = AttachOptionsOf<"lora">;
export type BoftAttachOptions = AttachOptionsOf<"boft">;
export type LoraGaAttachOptions = AttachOptionsOf<"loraga">;
export type UrnnAttachOptions = AttachOptionsOf<"urnn">;
export type HybridAttachOptions = AttachOptionsOf<"hybrid">;

export function isAdapterMethod(name: unknown): name is Method {
  return ADAPTER_METHOD_NAMES.includes(name as Method);
}

/** The descriptor of a method; an unknown name is an error that lists the methods. */
export function adapterMethod(name: string, where = "attach"): AnyAdapterMethod {
  const m = ADAPTER_METHODS.find((d) => d.name === name);
  if (!m)
    throw new Error(`${where}: unknown method '${String(name)}'; expected one of ${ADAPTER_METHOD_NAMES.join(", ")}`);
  return m;
}

/** The method whose files carry this peft_type (LoRA-GA's files are LoRA's); undefined when none reads it. */
export function methodForPeftType(peftType: string): AnyAdapterMethod | undefined {
  return ADAPTER_METHODS.find((d) => d.peftType === peftType && d.fromPeft !== undefined);
}

/** The peft_types loadAdapter reads. */
export function readablePeftTypes(): string[] {
  return ADAPTER_METHODS.filter((d) => d.fromPeft !== undefined).map((d) => d.peftType);
}
