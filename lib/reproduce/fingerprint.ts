// Content fingerprints for cache keys: the library code a result depends on (a module and every
// module it imports, as they are on disk: sources under vitest, dist/ when built), a model folder,
// data files. Keys built from these change whenever what produced a cached result changes, not
// only when a caller passes different options.
import { createHash } from "node:crypto";
import { closeSync, existsSync, openSync, readFileSync, readSync, readdirSync, statSync } from "node:fs";
import { dirname, join, relative, resolve } from "node:path";

const sha256 = (data: string | Uint8Array) => createHash("sha256").update(data).digest("hex");

/** Relative module specifiers of a JS/TS module: static imports, re-exports, dynamic imports. */
function relativeImports(source: string): string[] {
  const out: string[] = [];
  const re = /(?:\bfrom\s*|\bimport\s*\(\s*|\bimport\s+)["'](\.{1,2}\/[^"']+)["']/g;
  for (const m of source.matchAll(re)) out.push(m[1] as string);
  return out;
}

/** A `.js` specifier is the `.ts` file beside it when running from sources (NodeNext style). */
function resolveModule(from: string, spec: string): string | null {
  const p = resolve(dirname(from), spec);
  if (existsSync(p)) return p;
  if (p.endsWith(".js") && existsSync(`${p.slice(0, -3)}.ts`)) return `${p.slice(0, -3)}.ts`;
  return null;
}

/**
 * SHA-256 over `entry` and every module it reaches through relative imports (paths relative to
 * `root`, with their contents). Packages (bare specifiers) are left to the caller to version.
 */
export function moduleClosureDigest(entry: string, root = dirname(entry)): string {
  const seen = new Map<string, string>();
  const stack = [entry];
  while (stack.length) {
    const file = stack.pop() as string;
    if (seen.has(file)) continue;
    const text = readFileSync(file, "utf8");
    seen.set(file, text);
    for (const spec of relativeImports(text)) {
      const dep = resolveModule(file, spec);
      if (dep && !seen.has(dep)) stack.push(dep);
    }
  }
  const h = createHash("sha256");
  for (const file of [...seen.keys()].sort()) {
    h.update(`${relative(root, file)}\0`);
    h.update(sha256(seen.get(file) as string));
  }
  return h.digest("hex");
}

/** Files above this size are fingerprinted by size plus their first and last SAMPLE bytes. */
const FULL_HASH_LIMIT = 256 * 2 ** 20;
const SAMPLE = 4 * 2 ** 20;
const fileMemo = new Map<string, { stamp: string; digest: string }>();

/** SHA-256 of a file's bytes (sampled above 256 MiB, see docs/reproductions.md); null when it is missing. */
export function fileDigest(path: string): string | null {
  let st: ReturnType<typeof statSync>;
  try {
    st = statSync(path);
  } catch {
    return null;
  }
  if (!st.isFile()) return null;
  const stamp = `${st.size}:${st.mtimeMs}:${st.ino}`;
  const memo = fileMemo.get(path);
  if (memo?.stamp === stamp) return memo.digest;
  let digest: string;
  if (st.size <= FULL_HASH_LIMIT) digest = sha256(readFileSync(path));
  else {
    const fd = openSync(path, "r");
    try {
      const head = Buffer.alloc(SAMPLE);
      const tail = Buffer.alloc(SAMPLE);
      readSync(fd, head, 0, SAMPLE, 0);
      readSync(fd, tail, 0, SAMPLE, st.size - SAMPLE);
      digest = `sampled:${st.size}:${createHash("sha256").update(head).update(tail).digest("hex")}`;
    } finally {
      closeSync(fd);
    }
  }
  fileMemo.set(path, { stamp, digest });
  return digest;
}

/** The files of a Hugging Face folder that decide the model a loader builds (reports and logs are left out). */
const MODEL_FILE =
  /^(config\.json|generation_config\.json|tokenizer\.json|tokenizer_config\.json|special_tokens_map\.json|.*\.safetensors|model\.safetensors\.index\.json)$/;

/**
 * Fingerprint of a model folder's contents: the same model copied elsewhere has the same one, a
 * retrained or edited model another. A folder that does not exist is fingerprinted by its name.
 */
export function modelFolderDigest(dir: string): string {
  let names: string[];
  try {
    names = readdirSync(dir).filter((n) => MODEL_FILE.test(n));
  } catch {
    return `absent:${dir.split(/[\\/]/).filter(Boolean).at(-1) ?? dir}`;
  }
  const h = createHash("sha256");
  for (const n of names.sort()) h.update(`${n}\0${fileDigest(join(dir, n))}\0`);
  return h.digest("hex");
}
