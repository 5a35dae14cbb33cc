"""Reference for lib/train/optim.ts: torch.optim.AdamW / SGD on a least-squares problem.

stdin: {"w": [[..]], "b": [..], "x": [[..]], "y": [[..]], "lrs": [..], "optimizer": {...}}
stdout: {"losses": [..], "w": [[[..]] per step], "b": [[..] per step]}
The loss is mean((x w^T + b - y)^2); each step sets the group lr from `lrs` (a schedule).
"""
import json
import sys

import torch

cfg = json.load(sys.stdin)
torch.set_default_dtype(torch.float32)
w = torch.tensor(cfg["w"], requires_grad=True)
b = torch.tensor(cfg["b"], requires_grad=True)
x = torch.tensor(cfg["x"])
y = torch.tensor(cfg["y"])
o = cfg["optimizer"]
if o["kind"] == "adamw":
    opt = torch.optim.AdamW([w, b], lr=o["lr"], betas=(o.get("beta1", 0.9), o.get("beta2", 0.999)),
                            eps=o.get("eps", 1e-8), weight_decay=o.get("weightDecay", 0.01), foreach=False)
else:
    opt = torch.optim.SGD([w, b], lr=o["lr"], momentum=o.get("momentum", 0), dampening=o.get("dampening", 0),
                          weight_decay=o.get("weightDecay", 0), nesterov=o.get("nesterov", False), foreach=False)
out = {"losses": [], "w": [], "b": []}
for lr in cfg["lrs"]:
    for g in opt.param_groups:
        g["lr"] = lr
    opt.zero_grad()
    loss = ((x @ w.T + b - y) ** 2).mean()
    loss.backward()
    opt.step()
    out["losses"].append(loss.item())
    out["w"].append(w.detach().tolist())
    out["b"].append(b.detach().tolist())
json.dump(out, sys.stdout)
