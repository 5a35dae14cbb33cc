"""Independent BOFT reference following Hugging Face PEFT's boft layer math with dense
matrices: Cayley blocks via torch.linalg.solve, block_diag, butterfly permutation matrices,
R = M_{m-1} ... M_0 with M_i = P_i B_i P_i^T, y = F.linear(x, (W R^T) * s, b).
stdin JSON: in, out, block_size, block_num, factors, R (flat, [m, nb, b, b]), s [out], W [out, in],
bias [out], x [N, in]. stdout JSON: rotation [in, in] flat, y [N, out] flat."""
import json
import math
import sys

import torch
import torch.nn.functional as F

torch.set_default_dtype(torch.float64)


def butterfly_perm(n, b, r, factors_minus_one):
    if factors_minus_one == 0:
        return list(range(n))
    span = n // b
    step = span // r
    chunks = list(range(0, step, 2)) + list(range(1, step, 2))
    order = [c * r + k for c in chunks for k in range(r)]
    out = []
    for s in range(0, n, span):
        out += [s + o for o in order]
    return out


def perm_matrix(p):
    n = len(p)
    m = torch.zeros(n, n)
    for i, j in enumerate(p):
        m[i, j] = 1.0
    return m


def cayley(data):
    skew = 0.5 * (data - data.transpose(1, 2))
    eye = torch.eye(data.shape[1]).expand_as(data)
    return torch.linalg.solve(eye + skew, eye - skew, left=False)


def main():
    a = json.load(sys.stdin)
    n_in, n_out, m = a["in"], a["out"], a["factors"]
    b, nb = a["block_size"], a["block_num"]
    R = torch.tensor(a["R"]).reshape(m, nb, b, b)
    q = cayley(R.reshape(m * nb, b, b)).reshape(m, nb, b, b)
    rot = torch.eye(n_in)
    for i in range(m):
        P = perm_matrix(butterfly_perm(n_in, nb // (2 ** i), b // 2, m - 1))
        B = torch.block_diag(*q[i])
        Mi = P @ B @ P.T
        rot = Mi @ rot
    W = torch.tensor(a["W"]).reshape(n_out, n_in)
    s = torch.tensor(a["s"]).reshape(n_out, 1)
    x = torch.tensor(a["x"]).reshape(-1, n_in)
    y = F.linear(x, (W @ rot.T) * s, torch.tensor(a["bias"]))
    json.dump({"rotation": rot.flatten().tolist(), "y": y.flatten().tolist(),
               "orth": float((rot.T @ rot - torch.eye(n_in)).abs().max())}, sys.stdout)


main()
