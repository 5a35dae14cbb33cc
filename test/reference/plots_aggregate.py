"""Independent NumPy reference for lib/plots aggregations.

stdin: {"norms": [GradNormRecord...], "curves": [RunCurve...]}
stdout: {"heatmap": {"layers", "steps", "z"}, "branch_mean": {branch: {"steps", "values"}},
         "seeds": [{"run", "metric", "steps", "mean", "std", "n"}], "results": [...]}
Layer order is natural (digit runs compared as numbers), z cells without records are null,
branches of one layer combine as the L2 norm of their norms, std uses ddof=1.
"""
import json
import re
import sys

import numpy as np


def natural_key(s):
    return [int(p) if p.isdigit() else p for p in re.split(r"(\d+)", s)]


inp = json.load(sys.stdin)
norms = inp["norms"]
layers = sorted({r["layer"] for r in norms}, key=natural_key)
steps = sorted({r["step"] for r in norms})
sq = np.full((len(layers), len(steps)), np.nan)
for r in norms:
    i, j = layers.index(r["layer"]), steps.index(r["step"])
    sq[i, j] = np.nansum([sq[i, j], r["norm"] ** 2])
z = np.sqrt(sq)
heatmap = {"layers": layers, "steps": steps, "z": [[None if np.isnan(v) else float(v) for v in row] for row in z]}

branch_mean = {}
for b in sorted({r["branch"] for r in norms}):
    bs = sorted({r["step"] for r in norms if r["branch"] == b})
    vals = [float(np.mean([r["norm"] for r in norms if r["branch"] == b and r["step"] == s])) for s in bs]
    branch_mean[b] = {"steps": bs, "values": vals}

groups = {}
for c in inp["curves"]:
    groups.setdefault((c["run"], c["metric"]), []).append(c)
seeds = []
for (run, metric), cs in groups.items():
    all_steps = sorted({s for c in cs for s in c["steps"]})
    mean, std, n = [], [], []
    for s in all_steps:
        xs = np.array([c["values"][c["steps"].index(s)] for c in cs if s in c["steps"]], dtype=float)
        mean.append(float(xs.mean()))
        std.append(float(xs.std(ddof=1)) if len(xs) > 1 else 0.0)
        n.append(int(len(xs)))
    seeds.append({"run": run, "metric": metric, "steps": all_steps, "mean": mean, "std": std, "n": n})

# Per run and metric: mean and ddof=1 std over seeds of each seed's last and best (max) value.
results = []
for (run, metric), cs in groups.items():
    last = np.array([c["values"][int(np.argmax(c["steps"]))] for c in cs], dtype=float)
    best = np.array([max(c["values"]) for c in cs], dtype=float)
    results.append({"run": run, "metric": metric,
                    "last": [float(last.mean()), float(last.std(ddof=1))],
                    "max": [float(best.mean()), float(best.std(ddof=1))]})

json.dump({"heatmap": heatmap, "branch_mean": branch_mean, "seeds": seeds, "results": results}, sys.stdout)
