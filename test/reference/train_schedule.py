"""Reference for lib/train/schedule.ts: transformers' get_{constant,linear,cosine}_schedule_with_warmup,
driven through torch's LambdaLR exactly as the Trainer does (lr read before each optimizer.step()).

stdin: {"cases": [{"kind": ..., "warmup": int, "total": int, "numCycles": float, "lr": float}]}
stdout: {"lrs": [[lr used at step 0 .. total-1] per case]}
"""
import json
import math
import sys

import torch



def run(c):
    warmup, total, cycles = c["warmup"], c["total"], c.get("numCycles", 0.5)

    def constant(step):
        if step < warmup:
            return float(step) / float(max(1.0, warmup))
        return 1.0

    def linear(step):
        if step < warmup:
            return float(step) / float(max(1, warmup))
        return max(0.0, float(total - step) / float(max(1, total - warmup)))

    def cosine(step):
        if step < warmup:
            return float(step) / float(max(1, warmup))
        progress = float(step - warmup) / float(max(1, total - warmup))
        return max(0.0, 0.5 * (1.0 + math.cos(math.pi * float(cycles) * 2.0 * progress)))

    p = torch.nn.Parameter(torch.zeros(1))
    opt = torch.optim.SGD([p], lr=c["lr"])
    sched = torch.optim.lr_scheduler.LambdaLR(opt, {"constant": constant, "linear": linear, "cosine": cosine}[c["kind"]])
    lrs = []
    for _ in range(total):
        lrs.append(opt.param_groups[0]["lr"])
        opt.step()
        sched.step()
    return lrs


json.dump({"lrs": [run(c) for c in json.load(sys.stdin)["cases"]]}, sys.stdout)
