// Resolves the user's `targets` to module paths of the host's Linear layers.
import type { Linear } from "../nn/linear.js";
import type { LinearHost } from "../nn/module.js";

export type TargetSpec = string[] | string | RegExp | ((name: string) => boolean);

/**
 * A string matches a module whose path equals it or ends with `.<string>` (PEFT's rule, so
 * `q_proj` selects every layer's q_proj); a RegExp or predicate is tested against full paths.
 */
export function resolveTargets(host: LinearHost, spec: TargetSpec): Map<string, Linear> {
  const all = host.linears();
  let test: (name: string) => boolean;
  if (typeof spec === "function") test = spec;
  else if (spec instanceof RegExp) test = (n) => spec.test(n);
  else {
    const list = Array.isArray(spec) ? spec : [spec];
    test = (n) => list.some((t) => n === t || n.endsWith(`.${t}`));
  }
  const out = new Map<string, Linear>();
  for (const [name, lin] of all) if (test(name)) out.set(name, lin);
  if (out.size === 0) {
    const names = [...all.keys()];
    const shown = names.length > 40 ? [...names.slice(0, 40), `... (${names.length - 40} more)`] : names;
    throw new Error(
      `attach: targets ${describe(spec)} match no Linear module; available modules: ${shown.join(", ") || "(none)"}`,
    );
  }
  return out;
}

function describe(spec: TargetSpec): string {
  if (typeof spec === "function") return "(predicate)";
  if (spec instanceof RegExp) return String(spec);
  return JSON.stringify(spec);
}
