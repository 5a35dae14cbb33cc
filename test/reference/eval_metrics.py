"""Independent reference for lib/eval/metrics.ts: accuracy, binary F1 (positive class 1) and Matthews
correlation from their textbook definitions, in numpy only (scikit-learn is not installed).

MCC uses the covariance form cov(y, p) / sqrt(var(y) var(p)) on 0/1 vectors, a different formula
from the confusion-matrix one in the code under test; both are 0 when a variance is 0, as sklearn.
F1 is the harmonic mean of precision and recall (0 when either is undefined or both are 0).

stdin: JSON list of {"pred": [...], "label": [...]}; stdout: JSON list of {"accuracy", "f1", "mcc"}.
"""
import json
import sys

import numpy as np


def metrics(pred, label):
    p = np.asarray(pred, dtype=np.float64)
    y = np.asarray(label, dtype=np.float64)
    acc = float(np.mean(p == y))
    tp = float(np.sum((p == 1) & (y == 1)))
    precision = tp / np.sum(p == 1) if np.sum(p == 1) > 0 else 0.0
    recall = tp / np.sum(y == 1) if np.sum(y == 1) > 0 else 0.0
    f1 = 0.0 if precision + recall == 0 else float(2 * precision * recall / (precision + recall))
    cov = float(np.mean((p - p.mean()) * (y - y.mean())))
    var = float(np.var(p) * np.var(y))
    mcc = 0.0 if var == 0 else cov / np.sqrt(var)
    return {"accuracy": acc, "f1": f1, "mcc": float(mcc)}


cases = json.load(sys.stdin)
json.dump([metrics(c["pred"], c["label"]) for c in cases], sys.stdout)
