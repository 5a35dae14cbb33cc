# Independent reference for lib/reproduce's mean ± std: numpy's sample standard deviation.
import json, sys
import numpy as np
samples = json.load(sys.stdin)
print(json.dumps([{"mean": float(np.mean(s)), "std": float(np.std(s, ddof=1)) if len(s) > 1 else 0.0} for s in samples]))
