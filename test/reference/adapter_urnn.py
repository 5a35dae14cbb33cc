"""Independent uRNN-adapter reference with dense complex matrices (numpy):
T(theta) = D3 R2 F^-1 D2 Pi R1 F D1 on z_j = x_2j + i x_2j+1, F the normalised Sylvester
Walsh-Hadamard matrix (x) I_q, R = I - 2 v v^H / |v|^2, (Pi z)_k = z_perm[k], and the adapter map
U = T(theta) T(theta0)^-1 with theta0 = zero phases and the initial reflections v0 (inverted
numerically here). stdin JSON: n, theta [3, n], v [2, 2, n], v0 [2, 2, n], perm [n], x [N, 2n].
stdout JSON: y [N, 2n] (rows U x)."""
import json
import sys

import numpy as np

a = json.load(sys.stdin)
n = a["n"]
pow2 = 1
while n % (pow2 * 2) == 0:
    pow2 *= 2
H = np.array([[1.0]])
while H.shape[0] < pow2:
    H = np.block([[H, H], [H, -H]])
F = np.kron(H / np.sqrt(pow2), np.eye(n // pow2))
theta = np.array(a["theta"]).reshape(3, n)
v = np.array(a["v"]).reshape(2, 2, n)
v0 = np.array(a["v0"]).reshape(2, 2, n)
P = np.zeros((n, n))
for k, j in enumerate(a["perm"]):
    P[k, j] = 1


def refl(vec):
    c = vec[0] + 1j * vec[1]
    return np.eye(n) - 2 * np.outer(c, c.conj()) / np.vdot(c, c).real


def T(th, vv):
    D = [np.diag(np.exp(1j * th[i])) for i in range(3)]
    return D[2] @ refl(vv[1]) @ np.linalg.inv(F) @ D[1] @ P @ refl(vv[0]) @ F @ D[0]


U = T(theta, v) @ np.linalg.inv(T(np.zeros((3, n)), v0))
x = np.array(a["x"]).reshape(-1, 2 * n)
z = x[:, 0::2] + 1j * x[:, 1::2]
w = z @ U.T
y = np.empty_like(x)
y[:, 0::2] = w.real
y[:, 1::2] = w.imag
json.dump({"y": y.flatten().tolist()}, sys.stdout)
