"""Reference for lib/train/clip.ts: torch.nn.utils.clip_grad_norm_ (norm_type 2).

stdin: {"grads": [{"shape": [..], "data": [..]}], "maxNorm": float}
stdout: {"norm": float, "grads": [[..flat..]]}
"""
import json
import sys

import torch

cfg = json.load(sys.stdin)
params = []
for g in cfg["grads"]:
    p = torch.zeros(g["shape"], requires_grad=True)
    p.grad = torch.tensor(g["data"], dtype=torch.float32).reshape(g["shape"])
    params.append(p)
norm = torch.nn.utils.clip_grad_norm_(params, cfg["maxNorm"])
json.dump({"norm": float(norm), "grads": [p.grad.flatten().tolist() for p in params]}, sys.stdout)
