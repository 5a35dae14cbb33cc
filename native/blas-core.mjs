// Which OpenBLAS kernel set ("core") the addon runs. OpenBLAS picks one by CPU model at load time,
// and a release older than the CPU does not know the model and falls back to a generic SSE3 core
// ("Prescott") that runs GEMM at a fifth of the speed of the AVX-512 one: Debian 12's OpenBLAS 0.3.21
// on a 5th-generation Xeon does exactly that. When OpenBLAS chose a generic core on a CPU that has
// AVX2 or AVX-512, the build tries the newer cores this CPU supports, newest first, keeps the first
// whose GEMMs match a float64 reference, and records it; the loader then sets OPENBLAS_CORETYPE for
// the moment the library loads. A user's own OPENBLAS_CORETYPE always wins.
import { spawnSync } from "node:child_process";
import { readFileSync } from "node:fs";
import { fileURLToPath } from "node:url";

/** Cores OpenBLAS falls back to for CPUs it does not recognise. */
const GENERIC = new Set(["Prescott", "Core2", "Katmai", "Coppermine", "Northwood", "Banias", "Penryn", "Dunnington"]);

/** Newest first; the CPU flags (as /proc/cpuinfo names them) each core's kernels execute. */
export const CANDIDATES = [
  { core: "Cooperlake", flags: ["avx512f", "avx512dq", "avx512cd", "avx512bw", "avx512vl", "avx512_bf16"] },
  { core: "SkylakeX", flags: ["avx512f", "avx512dq", "avx512cd", "avx512bw", "avx512vl"] },
  { core: "Haswell", flags: ["avx2", "fma"] },
];

/** The CPU's feature flags (Linux); empty elsewhere, which disables the override. */
export function cpuFlags() {
  try {
    const line = readFileSync("/proc/cpuinfo", "utf8")
      .split("\n")
      .find((l) => l.startsWith("flags"));
    return new Set((line ?? "").split(":")[1]?.trim().split(/\s+/) ?? []);
  } catch {
    return new Set();
  }
}

const probeScript = fileURLToPath(new URL("./probe.cjs", import.meta.url));

function probe(addonPath, coreType, verify) {
  const env = { ...process.env };
  delete env.OPENBLAS_CORETYPE;
  if (coreType) env.OPENBLAS_CORETYPE = coreType;
  env.OPENBLAS_NUM_THREADS = "1";
  const args = [probeScript, addonPath, ...(verify ? ["--verify"] : [])];
  const r = spawnSync(process.execPath, args, { encoding: "utf8", env, timeout: 60_000 });
  if (r.status !== 0) {
    const detail = `${r.stderr || r.error?.message || `exit ${r.status ?? r.signal}`}`.trim();
    return { ok: false, missing: "the OpenBLAS shared library", fix: "apt-get install libopenblas0-pthread", detail };
  }
  return { ok: true, ...JSON.parse(r.stdout) };
}

/**
 * Loads the addon as OpenBLAS configures itself and, where that is a generic core, finds a better one.
 * Returns { ok, detail } when the addon cannot load at all.
 */
export function chooseBlasCore(addonPath) {
  const own = probe(addonPath, null, true);
  if (!own.ok) return own;
  const detected = own.info.blasCore;
  const blas = { config: own.info.blasConfig.replace(` ${detected} `, " "), detected };
  const sound = own.maxRelErr < 1e-5;
  if (sound && !GENERIC.has(detected)) return { ok: true, blas };
  const flags = cpuFlags();
  const tried = [];
  for (const c of CANDIDATES) {
    if (!c.flags.every((f) => flags.has(f))) continue;
    const p = probe(addonPath, c.core, true);
    const good = p.ok && p.info.blasCore === c.core && p.maxRelErr < 1e-5;
    tried.push(`${c.core}: ${p.ok ? (good ? "ok" : `max relative error ${p.maxRelErr}`) : p.detail.split("\n")[0]}`);
    if (good) {
      const reason = `OpenBLAS ${blas.config.split(" ")[1]} chose the generic core ${detected} for this CPU; ${c.core} runs here and matches a float64 reference`;
      return { ok: true, blas: { ...blas, coreType: c.core, coreFlags: c.flags, reason, tried } };
    }
  }
  if (!sound) {
    const detail = `max relative error ${own.maxRelErr}; other cores: ${tried.join("; ") || "none this CPU runs"}`;
    const missing = `an OpenBLAS whose ${detected} kernels compute correctly here`;
    return { ok: false, missing, fix: "set OPENBLAS_CORETYPE to a core this CPU runs and rebuild", detail };
  }
  return { ok: true, blas: { ...blas, tried } };
}
