#!/usr/bin/env node
// Builds the native CPU kernels (native/src/*.c) into native/build/peft_native.node with the system C
// compiler against the system OpenBLAS. Runs as the package's own `install` script (so `npm ci` builds it)
// and from `npm run build`. It never fails the install: when something is missing it writes
// native/build/status.json saying what and how to install it, and useBackend() falls back to wasm with
// that message. Nothing is downloaded; Node-API keeps the result ABI-stable across Node versions.
//   node scripts/build-native.mjs [--force] [--quiet] [--out DIR]   (DIR default native/build)
import { spawnSync } from "node:child_process";
import { createHash } from "node:crypto";
import { existsSync, mkdirSync, readdirSync, readFileSync, renameSync, rmSync, writeFileSync } from "node:fs";
import { createRequire } from "node:module";
import { dirname, join, resolve } from "node:path";
import { fileURLToPath } from "node:url";
import { chooseBlasCore } from "../native/blas-core.mjs";

const root = dirname(dirname(fileURLToPath(import.meta.url)));
const srcDir = join(root, "native", "src");
const outAt = process.argv.indexOf("--out");
const outDir = outAt > 0 ? resolve(process.argv[outAt + 1] ?? "") : join(root, "native", "build");
const addonPath = join(outDir, "peft_native.node");
const statusPath = join(outDir, "status.json");
const force = process.argv.includes("--force");
const quiet = process.argv.includes("--quiet");
const log = (msg) => quiet || console.log(`build-native: ${msg}`);

/** What to install, per missing piece, on Debian/Ubuntu (the platform CI and the docs use). */
const FIX = {
  compiler: "apt-get install gcc libc6-dev",
  openblas: "apt-get install libopenblas-dev libopenblas0-pthread",
  headers: "npm ci (the node-api-headers package provides them)",
};

function run(cmd, args, opts = {}) {
  const r = spawnSync(cmd, args, { encoding: "utf8", ...opts });
  return { ok: r.status === 0, missing: r.error?.code === "ENOENT", out: `${r.stdout ?? ""}${r.stderr ?? ""}`.trim() };
}

function writeStatus(status) {
  mkdirSync(outDir, { recursive: true });
  writeFileSync(statusPath, `${JSON.stringify({ ...status, builtAt: new Date().toISOString() }, null, 2)}\n`);
}

function fail(missing, fix, detail) {
  rmSync(addonPath, { force: true });
  writeStatus({ ok: false, missing, fix, detail: detail?.slice(0, 2000) });
  log(`native backend not built: ${missing} is missing (${fix}); the wasm backend will be used`);
  process.exit(0);
}

function findCompiler() {
  for (const cc of [process.env.CC, "cc", "gcc", "clang"].filter(Boolean)) {
    if (run(cc, ["--version"]).ok) return cc;
  }
  return null;
}

function nodeApiInclude() {
  try {
    return createRequire(import.meta.url)("node-api-headers").include_dir;
  } catch {
    const beside = join(dirname(process.execPath), "..", "include", "node");
    return existsSync(join(beside, "node_api.h")) ? beside : null;
  }
}

/** Compiler and linker flags for OpenBLAS: the environment's, else pkg-config's, else the usual places. */
function openblasFlags() {
  if (process.env.PEFT_OPENBLAS_CFLAGS || process.env.PEFT_OPENBLAS_LIBS) {
    return {
      cflags: (process.env.PEFT_OPENBLAS_CFLAGS ?? "").split(/\s+/).filter(Boolean),
      libs: (process.env.PEFT_OPENBLAS_LIBS ?? "-lopenblas").split(/\s+/).filter(Boolean),
    };
  }
  const pc = run("pkg-config", ["--cflags", "--libs", "openblas"]);
  if (pc.ok) {
    const flags = pc.out.split(/\s+/).filter(Boolean);
    return { cflags: flags.filter((f) => f.startsWith("-I")), libs: flags.filter((f) => !f.startsWith("-I")) };
  }
  const dirs = ["/usr/include/x86_64-linux-gnu/openblas-pthread", "/usr/include/aarch64-linux-gnu/openblas-pthread"];
  dirs.push("/usr/include/openblas", "/opt/homebrew/opt/openblas/include", "/usr/local/opt/openblas/include");
  const inc = dirs.filter((d) => existsSync(join(d, "cblas.h")));
  return { cflags: inc.map((d) => `-I${d}`), libs: ["-lopenblas"] };
}

function classify(out) {
  if (/node_api\.h/.test(out)) return ["the Node-API headers", FIX.headers];
  if (/cblas\.h|openblas|-lblas|cannot find -l/.test(out)) return ["OpenBLAS (headers and library)", FIX.openblas];
  return ["a working C toolchain", FIX.compiler];
}

if (process.platform === "win32") {
  fail("a POSIX C toolchain (Windows is not supported by the native backend)", "use WSL, or the wasm backend", "");
}
const sources = readdirSync(srcDir)
  .filter((f) => f.endsWith(".c"))
  .sort();
const cc = findCompiler();
if (!cc) fail("a C compiler (cc)", FIX.compiler, "none of $CC, cc, gcc, clang ran");
const include = nodeApiInclude();
if (!include) fail("the Node-API headers", FIX.headers, "node-api-headers is not installed and Node has no include/");
const blas = openblasFlags();
const flags = ["-O3", "-std=c11", "-D_GNU_SOURCE", "-fPIC", "-shared", "-Wall", "-Wextra", "-pthread"];
flags.push("-Werror=implicit-function-declaration"); // an undeclared call would only fail when first made
flags.push("-fopenmp-simd", "-fno-math-errno"); // vector reductions (no OpenMP runtime); sqrtf inline
flags.push("-ffp-contract=off"); // round every operation, as the tfjs ops the kernels replace do
flags.push("-DNODE_GYP_MODULE_NAME=peft_native", `-I${include}`, ...blas.cflags);
if (process.platform === "darwin") flags.push("-undefined", "dynamic_lookup");

// Rebuild only when a source or a flag changed (npm run build calls this every time).
const hash = createHash("sha256").update(JSON.stringify([cc, flags, blas.libs]));
for (const f of readdirSync(srcDir).sort()) hash.update(f).update(readFileSync(join(srcDir, f)));
const key = hash.digest("hex").slice(0, 16);
if (!force && existsSync(addonPath) && existsSync(statusPath)) {
  const prev = JSON.parse(readFileSync(statusPath, "utf8"));
  if (prev.ok && prev.key === key) {
    log("up to date");
    process.exit(0);
  }
}

mkdirSync(outDir, { recursive: true });
const tmp = join(outDir, `peft_native.${process.pid}.node`);
const args = [...flags, ...sources.map((f) => join(srcDir, f)), "-o", tmp, ...blas.libs, "-lm"];
const compiled = run(cc, args);
if (!compiled.ok) {
  rmSync(tmp, { force: true });
  const [missing, fix] = classify(compiled.out);
  fail(missing, fix, `${cc} ${args.join(" ")}\n${compiled.out}`);
}
renameSync(tmp, addonPath);

// Load it once in a child: a missing shared library shows here, not in the user's first cell.
const core = chooseBlasCore(addonPath);
if (!core.ok) fail(core.missing, core.fix, core.detail);
writeStatus({ ok: true, key, compiler: cc, flags: [...flags, ...blas.libs], blas: core.blas });
log(`built ${addonPath} (${core.blas.config}; core ${core.blas.coreType ?? core.blas.detected})`);
