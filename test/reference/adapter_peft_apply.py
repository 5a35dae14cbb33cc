"""Reads an adapter folder written by lib/adapters (adapter_config.json +
adapter_model.safetensors, parsed here with numpy, no safetensors package) and applies it
to a base linear stack the way Hugging Face PEFT does, with its own implementation:
LoRA: y = x W^T + b + scaling * (x A^T) B^T, scaling = lora_alpha / r (or / sqrt(r) with
use_rslora); BOFT: y = F.linear(x, (W R^T) * boft_s, b) with R from boft_R (Cayley blocks,
butterfly permutations, as PEFT's layer). Layers run in order with tanh between them.
stdin JSON: dir, layers [{name, W [out, in] flat, bias, in, out}], x flat [N, in0].
stdout JSON: y flat, keys (tensor names found)."""
import json
import os
import struct
import sys

import numpy as np
import torch
import torch.nn.functional as F

sys.path.insert(0, os.path.dirname(__file__))
torch.set_default_dtype(torch.float64)


def read_safetensors(path):
    with open(path, "rb") as f:
        raw = f.read()
    (n,) = struct.unpack("<Q", raw[:8])
    header = json.loads(raw[8:8 + n])
    header.pop("__metadata__", None)
    out = {}
    for k, v in header.items():
        assert v["dtype"] == "F32", v
        s, e = v["data_offsets"]
        out[k] = torch.tensor(np.frombuffer(raw[8 + n + s:8 + n + e], dtype="<f4").copy().reshape(v["shape"]), dtype=torch.float64)
    return out


def butterfly_perm(n, b, r, factors_minus_one):
    if factors_minus_one == 0:
        return list(range(n))
    span = n // b
    step = span // r
    chunks = list(range(0, step, 2)) + list(range(1, step, 2))
    order = [c * r + k for c in chunks for k in range(r)]
    return [s + o for s in range(0, n, span) for o in order]


def boft_rotation(Rp, n_in):
    m, nb, b, _ = Rp.shape
    data = Rp.reshape(m * nb, b, b)
    skew = 0.5 * (data - data.transpose(1, 2))
    eye = torch.eye(b).expand_as(data)
    q = torch.linalg.solve(eye + skew, eye - skew, left=False).reshape(m, nb, b, b)
    rot = torch.eye(n_in)
    for i in range(m):
        P = torch.zeros(n_in, n_in)
        for row, col in enumerate(butterfly_perm(n_in, nb // (2 ** i), b // 2, m - 1)):
            P[row, col] = 1
        rot = (P @ torch.block_diag(*q[i]) @ P.T) @ rot
    return rot


a = json.load(sys.stdin)
cfg = json.load(open(os.path.join(a["dir"], "adapter_config.json")))
tensors = read_safetensors(os.path.join(a["dir"], "adapter_model.safetensors"))
x = torch.tensor(a["x"]).reshape(-1, a["layers"][0]["in"])
for i, layer in enumerate(a["layers"]):
    W = torch.tensor(layer["W"]).reshape(layer["out"], layer["in"])
    bias = torch.tensor(layer["bias"])
    key = "base_model.model." + layer["name"]
    if cfg["peft_type"] == "LORA" and key + ".lora_A.weight" in tensors:
        A, B = tensors[key + ".lora_A.weight"], tensors[key + ".lora_B.weight"]
        scaling = cfg["lora_alpha"] / (cfg["r"] ** 0.5 if cfg.get("use_rslora") else cfg["r"])
        y = F.linear(x, W, bias) + scaling * (x @ A.T) @ B.T
    elif cfg["peft_type"] == "BOFT" and key + ".boft_R" in tensors:
        rot = boft_rotation(tensors[key + ".boft_R"], layer["in"])
        y = F.linear(x, (W @ rot.T) * tensors[key + ".boft_s"], bias)
    else:
        y = F.linear(x, W, bias)
    x = torch.tanh(y) if i < len(a["layers"]) - 1 else y
json.dump({"y": x.flatten().tolist(), "keys": sorted(tensors.keys()), "config": cfg}, sys.stdout)
