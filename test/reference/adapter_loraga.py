"""LoRA-GA initialisation reference with an exact SVD (torch.linalg.svd), after Wang et al.
2024 and their reference code: G = U S V^T; ArB2r: A = V^T[:r], B = U[:, r:2r]; "stable"
scale multiplies both by out^(1/4)/sqrt(gamma). Also the best rank-2r approximation of G.
stdin JSON: G [out, in] flat, out, in, r, gamma. stdout JSON: A, B, G2r, S (flat lists)."""
import json
import sys

import torch

torch.set_default_dtype(torch.float64)

a = json.load(sys.stdin)
out, n_in, r, gamma = a["out"], a["in"], a["r"], a["gamma"]
G = torch.tensor(a["G"]).reshape(out, n_in)
U, S, Vh = torch.linalg.svd(G, full_matrices=False)
f = out ** 0.25 / gamma ** 0.5
A = Vh[:r, :] * f
B = U[:, r:2 * r] * f
G2r = U[:, :2 * r] @ torch.diag(S[:2 * r]) @ Vh[:2 * r, :]
json.dump({"A": A.flatten().tolist(), "B": B.flatten().tolist(), "G2r": G2r.flatten().tolist(), "S": S.tolist()}, sys.stdout)
