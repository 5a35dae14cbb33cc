"""Independent reference for the hybrid gate's weight-space signal (lib/adapters/gate-signal.ts).

For one hybrid layer W_eff = W + lam*(diag(s) W R^T - W) + (1 - lam)*scale*(B A - B0 A0) and a loss
L = <G, W_eff> (so dL/dW_eff = G exactly), builds each branch's Jacobian d(W_eff)/d(params) with
torch.autograd.functional.jacobian on dense matrices (PEFT's BOFT construction: Cayley blocks by linalg.solve,
butterfly permutation matrices) and projects G onto its column space by least squares. Also
under a reparameterisation at the same function (every trainable tensor stored times c and used
times 1/c), where the parameter-gradient norms change and the projections must not.

stdin JSON: in, out, block_size, block_num, factors, R [m, nb, b, b] flat, s [out], W [out, in]
flat, A [r, in], B [out, r], A0, B0, r, scale, lam, G [out, in] flat, c.
stdout JSON: grads {R, s, A, B} (d L / d params, flat), weight {boft, boft_factors, loraga},
weight_reparam {boft, loraga}, raw {boft, loraga}, raw_reparam {boft, loraga}."""
import json
import sys

import torch
from torch.autograd.functional import jacobian

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


def projection_norm(jac, g):
    """||P g|| for P the orthogonal projection onto the columns of jac [out*in, p]."""
    sol = torch.linalg.lstsq(jac, g.reshape(-1, 1), driver="gelsd", rcond=1e-10).solution
    return float((jac @ sol).norm())


def main():
    a = json.load(sys.stdin)
    n_in, n_out, m = a["in"], a["out"], a["factors"]
    b, nb, r = a["block_size"], a["block_num"], a["r"]
    lam, scale, c = a["lam"], a["scale"], a["c"]
    perms = [perm_matrix(butterfly_perm(n_in, nb // (2**i), b // 2, m - 1)) for i in range(m)]
    W = torch.tensor(a["W"]).reshape(n_out, n_in)
    G = torch.tensor(a["G"]).reshape(n_out, n_in)
    R0 = torch.tensor(a["R"]).reshape(m, nb, b, b)
    s0 = torch.tensor(a["s"]).reshape(n_out)
    A = torch.tensor(a["A"]).reshape(r, n_in)
    B = torch.tensor(a["B"]).reshape(n_out, r)
    A0 = torch.tensor(a["A0"]).reshape(r, n_in)
    B0 = torch.tensor(a["B0"]).reshape(n_out, r)

    def factor(q_i, i):
        return perms[i] @ torch.block_diag(*q_i) @ perms[i].T

    def rotation(Rp, use=1.0):
        q = cayley((Rp * use).reshape(m * nb, b, b)).reshape(m, nb, b, b)
        rot = torch.eye(n_in)
        for i in range(m):
            rot = factor(q[i], i) @ rot
        return rot

    # The branches' contributions to W_eff; `use` scales how a stored tensor is used.
    def boft_delta(Rp, s, use=1.0):
        return lam * ((s * use)[:, None] * (W @ rotation(Rp, use).T) - W)

    def lora_delta(Ap, Bp, use=1.0):
        return (1 - lam) * scale * (use * use * (Bp @ Ap) - B0 @ A0)

    def loss_boft(Rp, s, use=1.0):
        return (G * boft_delta(Rp, s, use)).sum()

    def loss_lora(Ap, Bp, use=1.0):
        return (G * lora_delta(Ap, Bp, use)).sum()

    Rv, sv = R0.clone().requires_grad_(), s0.clone().requires_grad_()
    gR, gs = torch.autograd.grad(loss_boft(Rv, sv), [Rv, sv])
    Av, Bv = A.clone().requires_grad_(), B.clone().requires_grad_()
    gA, gB = torch.autograd.grad(loss_lora(Av, Bv), [Av, Bv])

    def boft_jac(Rp, s, use=1.0):
        jr, js = jacobian(lambda x, y: boft_delta(x, y, use), (Rp, s), vectorize=True)
        return jr.reshape(n_out * n_in, -1), js.reshape(n_out * n_in, -1)

    def lora_jac(Ap, Bp, use=1.0):
        ja, jb = jacobian(lambda x, y: lora_delta(x, y, use), (Ap, Bp), vectorize=True)
        return torch.cat([ja.reshape(n_out * n_in, -1), jb.reshape(n_out * n_in, -1)], 1)

    jr, js = boft_jac(R0, s0)
    boft = projection_norm(torch.cat([jr, js], 1), G)
    # one butterfly factor's parameters at a time (the rotation part), plus the scale part
    per = jr.reshape(n_out * n_in, m, nb * b * b)
    factors_sq = sum(projection_norm(per[:, i, :], G) ** 2 for i in range(m)) + projection_norm(js, G) ** 2
    loraga = projection_norm(lora_jac(A, B), G)

    # The same function with every tensor stored times c and used times 1/c.
    jr_c, js_c = boft_jac(R0 * c, s0 * c, 1.0 / c)
    boft_c = projection_norm(torch.cat([jr_c, js_c], 1), G)
    loraga_c = projection_norm(lora_jac(A * c, B * c, 1.0 / c), G)
    Rc, sc = (R0 * c).requires_grad_(), (s0 * c).requires_grad_()
    gRc, gsc = torch.autograd.grad(loss_boft(Rc, sc, 1.0 / c), [Rc, sc])
    Ac, Bc = (A * c).requires_grad_(), (B * c).requires_grad_()
    gAc, gBc = torch.autograd.grad(loss_lora(Ac, Bc, 1.0 / c), [Ac, Bc])
    same = float((boft_delta(R0 * c, s0 * c, 1.0 / c) - boft_delta(R0, s0)).abs().max()) + float(
        (lora_delta(A * c, B * c, 1.0 / c) - lora_delta(A, B)).abs().max()
    )

    def norm(*ts):
        return float(torch.sqrt(sum((t**2).sum() for t in ts)))

    json.dump(
        {
            "grads": {
                "R": gR.flatten().tolist(),
                "s": gs.flatten().tolist(),
                "A": gA.flatten().tolist(),
                "B": gB.flatten().tolist(),
            },
            "weight": {"boft": boft, "boft_factors": factors_sq**0.5, "loraga": loraga},
            "weight_reparam": {"boft": boft_c, "loraga": loraga_c},
            "raw": {"boft": norm(gR, gs), "loraga": norm(gA, gB)},
            "raw_reparam": {"boft": norm(gRc, gsc), "loraga": norm(gAc, gBc)},
            "same_function": same,
        },
        sys.stdout,
    )


if __name__ == "__main__":
    main()
