"""Float64 PyTorch reference for the native backend's GEMM kernels: batched matmul with transposes and
NumPy batch broadcasting, optionally with a bias and an activation (tf.fused.matMul), and the gradients of
sum(out * w) with respect to a, b and the bias.

stdin: [{"a": {"shape", "data"}, "b": {...}, "w": {...}, "ta", "tb", "bias"?: {...}, "activation"?, "alpha"?}]
stdout: [{"out": [...], "ga": [...], "gb": [...], "gbias"?: [...]}] (flattened, row-major)
"""
import json
import sys

import torch


def tensor(t):
    return torch.tensor(t["data"], dtype=torch.float64).reshape(t["shape"]).requires_grad_(True)


def activate(x, name, alpha, prelu):
    if name in (None, "linear"):
        return x
    if name == "relu":
        return torch.relu(x)
    if name == "relu6":
        return torch.clamp(x, 0, 6)
    if name == "elu":
        return torch.nn.functional.elu(x)
    if name == "leakyrelu":
        return torch.nn.functional.leaky_relu(x, alpha)
    if name == "sigmoid":
        return torch.sigmoid(x)
    if name == "prelu":
        return torch.where(x < 0, prelu * x, x)
    raise ValueError(name)


def main():
    out = []
    for c in json.load(sys.stdin):
        a, b, w = tensor(c["a"]), tensor(c["b"]), tensor(c["w"])
        x = torch.matmul(a.transpose(-1, -2) if c["ta"] else a, b.transpose(-1, -2) if c["tb"] else b)
        bias = tensor(c["bias"]) if c.get("bias") else None
        if bias is not None:
            x = x + bias
        prelu = tensor(c["prelu"]) if c.get("prelu") else None
        y = activate(x, c.get("activation"), c.get("alpha", 0.2), prelu)
        (y * w).sum().backward()
        r = {"out": y.detach().flatten().tolist(), "ga": a.grad.flatten().tolist(), "gb": b.grad.flatten().tolist()}
        if bias is not None:
            r["gbias"] = bias.grad.flatten().tolist()
        out.append(r)
    sys.stdout.write(json.dumps(out))  # one write: json.dump writes each token to the pipe separately


if __name__ == "__main__":
    main()
