"""Independent PyTorch reference for the tfjs LLaMA and GPT-2 models.

Reads the same safetensors files with its own parser (numpy), runs the forward pass in float64
and, on request, the gradient of the loss with respect to every weight. A second mode runs
llama2.c's own forward (interleaved RoPE pairs) on a raw .bin checkpoint, with no permutation.

stdin: JSON request; stdout: JSON result.
  {"mode": "hf", "dir": ..., "ids": [[...]], "mask": [[...]] | null, "grads": bool, "labels": [...] | null}
  {"mode": "llama2c", "path": ..., "ids": [...]}
"""
import json
import math
import os
import struct
import sys

import numpy as np
import torch

torch.set_grad_enabled(True)
DT = torch.float64
MASKED = -1e9
NP_DTYPES = {"F32": "<f4", "F16": "<f2", "F64": "<f8", "I64": "<i8", "I32": "<i4"}


def read_safetensors(path):
    with open(path, "rb") as f:
        buf = f.read()
    (n,) = struct.unpack("<Q", buf[:8])
    header = json.loads(buf[8 : 8 + n])
    base = 8 + n
    out = {}
    for name, e in header.items():
        if name == "__metadata__":
            continue
        a, b = e["data_offsets"]
        raw = buf[base + a : base + b]
        if e["dtype"] == "BF16":
            u = np.frombuffer(raw, dtype="<u2").astype(np.uint32) << 16
            arr = u.view(np.float32)
        else:
            arr = np.frombuffer(raw, dtype=NP_DTYPES[e["dtype"]])
        out[name] = torch.tensor(arr.astype(np.float64).reshape(e["shape"]), dtype=DT)
    return out


def read_folder(d):
    with open(os.path.join(d, "config.json")) as f:
        cfg = json.load(f)
    single = os.path.join(d, "model.safetensors")
    if os.path.exists(single):
        return cfg, read_safetensors(single)
    with open(os.path.join(d, "model.safetensors.index.json")) as f:
        index = json.load(f)
    tensors = {}
    for shard in sorted(set(index["weight_map"].values())):
        tensors.update(read_safetensors(os.path.join(d, shard)))
    return cfg, tensors


def positions_and_mask(mask):
    """positions = cumsum(mask) - 1 (clamped at 0); additive causal+padding mask [B,1,T,T]."""
    b, t = mask.shape
    pos = torch.clamp(torch.cumsum(mask, dim=1) - 1, min=0)
    causal = torch.tril(torch.ones(t, t, dtype=DT))
    allowed = causal[None, None] * mask[:, None, None, :]
    return pos, (1 - allowed) * MASKED


def attention(q, k, v, add_mask):
    """q [B,H,T,d], k/v [B,Hkv,T,d]: kv heads repeated as HF's repeat_kv."""
    rep = q.shape[1] // k.shape[1]
    k = k.repeat_interleave(rep, dim=1)
    v = v.repeat_interleave(rep, dim=1)
    s = q @ k.transpose(-1, -2) / math.sqrt(q.shape[-1]) + add_mask
    return torch.softmax(s, dim=-1) @ v


def llama_hidden(cfg, W, ids, mask):
    d = cfg["hidden_size"]
    H = cfg["num_attention_heads"]
    Hkv = cfg.get("num_key_value_heads") or H
    hd = cfg.get("head_dim") or d // H
    eps = cfg.get("rms_norm_eps", 1e-6)
    theta = cfg.get("rope_theta", 10000.0)
    B, T = ids.shape
    pos, add_mask = positions_and_mask(mask)
    inv = 1.0 / (theta ** (torch.arange(0, hd, 2, dtype=DT) / hd))
    ang = pos[..., None] * inv  # [B,T,hd/2]
    emb = torch.cat([ang, ang], dim=-1)[:, None]  # [B,1,T,hd]
    cos, sin = emb.cos(), emb.sin()

    def rms(x, w):
        return x * torch.rsqrt((x * x).mean(-1, keepdim=True) + eps) * w

    def rot_half(x):
        x1, x2 = x[..., : hd // 2], x[..., hd // 2 :]
        return torch.cat([-x2, x1], dim=-1)

    h = W["model.embed_tokens.weight"][ids]
    for i in range(cfg["num_hidden_layers"]):
        p = f"model.layers.{i}."
        x = rms(h, W[p + "input_layernorm.weight"])
        q = (x @ W[p + "self_attn.q_proj.weight"].T).view(B, T, H, hd).transpose(1, 2)
        k = (x @ W[p + "self_attn.k_proj.weight"].T).view(B, T, Hkv, hd).transpose(1, 2)
        v = (x @ W[p + "self_attn.v_proj.weight"].T).view(B, T, Hkv, hd).transpose(1, 2)
        q = q * cos + rot_half(q) * sin
        k = k * cos + rot_half(k) * sin
        a = attention(q, k, v, add_mask).transpose(1, 2).reshape(B, T, H * hd)
        h = h + a @ W[p + "self_attn.o_proj.weight"].T
        y = rms(h, W[p + "post_attention_layernorm.weight"])
        g = y @ W[p + "mlp.gate_proj.weight"].T
        u = y @ W[p + "mlp.up_proj.weight"].T
        h = h + (torch.nn.functional.silu(g) * u) @ W[p + "mlp.down_proj.weight"].T
    h = rms(h, W["model.norm.weight"])
    head = W.get("lm_head.weight", W["model.embed_tokens.weight"])
    return h, head


def gpt2_hidden(cfg, W, ids, mask):
    d = cfg["n_embd"]
    H = cfg["n_head"]
    hd = d // H
    eps = cfg.get("layer_norm_epsilon", 1e-5)
    B, T = ids.shape
    pos, add_mask = positions_and_mask(mask)

    def ln(x, w, b):
        return torch.nn.functional.layer_norm(x, (d,), w, b, eps)

    def conv1d(x, name):  # checkpoint layout [in, out]
        return x @ W[name + ".weight"] + W[name + ".bias"]

    def gelu_new(x):
        return 0.5 * x * (1 + torch.tanh(math.sqrt(2 / math.pi) * (x + 0.044715 * x**3)))

    h = W["transformer.wte.weight"][ids] + W["transformer.wpe.weight"][pos.long()]
    for i in range(cfg["n_layer"]):
        p = f"transformer.h.{i}."
        x = ln(h, W[p + "ln_1.weight"], W[p + "ln_1.bias"])
        q, k, v = conv1d(x, p + "attn.c_attn").split(d, dim=-1)
        q, k, v = (t.view(B, T, H, hd).transpose(1, 2) for t in (q, k, v))
        a = attention(q, k, v, add_mask).transpose(1, 2).reshape(B, T, d)
        h = h + conv1d(a, p + "attn.c_proj")
        y = ln(h, W[p + "ln_2.weight"], W[p + "ln_2.bias"])
        h = h + conv1d(gelu_new(conv1d(y, p + "mlp.c_fc")), p + "mlp.c_proj")
    h = ln(h, W["transformer.ln_f.weight"], W["transformer.ln_f.bias"])
    return h, W["transformer.wte.weight"]


def run_hf(req):
    cfg, W = read_folder(req["dir"])
    for t in W.values():
        t.requires_grad_(True)
    ids = torch.tensor(req["ids"], dtype=torch.long)
    mask = torch.tensor(req["mask"], dtype=DT) if req.get("mask") is not None else torch.ones(ids.shape, dtype=DT)
    fn = llama_hidden if cfg["model_type"] == "llama" else gpt2_hidden
    h, head = fn(cfg, W, ids, mask)
    arch = (cfg.get("architectures") or [""])[0]
    if arch.endswith("ForSequenceClassification"):
        # Last non-pad token of each row (works for left and right padding).
        T = ids.shape[1]
        last = T - 1 - torch.argmax(torch.flip(mask, [1]), dim=1)
        pooled = h[torch.arange(ids.shape[0]), last]
        out = pooled @ W["score.weight"].T
        labels = torch.tensor(req["labels"], dtype=torch.long)
        loss = torch.nn.functional.cross_entropy(out, labels)
    else:
        out = h @ head.T
        logp = torch.log_softmax(out[:, :-1], dim=-1)
        target = ids[:, 1:]
        valid = mask[:, 1:] * mask[:, :-1]
        picked = logp.gather(-1, target[..., None])[..., 0]
        loss = -(picked * valid).sum() / valid.sum().clamp(min=1)
    res = {"logits": out.detach().reshape(-1).tolist(), "shape": list(out.shape), "loss": loss.item()}
    if req.get("grads"):
        loss.backward()
        res["grads"] = {n: t.grad.reshape(-1).tolist() for n, t in W.items() if t.grad is not None}
    return res


def run_llama2c(req):
    """llama2.c's run.c forward on the raw file: interleaved (2i, 2i+1) RoPE pairs."""
    with open(req["path"], "rb") as f:
        buf = f.read()
    dim, hidden, L, H, Hkv, vocab, seq = struct.unpack("<7i", buf[:28])
    shared = vocab > 0
    vocab = abs(vocab)
    hs = dim // H
    kv = hs * Hkv
    a = np.frombuffer(buf[28:], dtype="<f4").astype(np.float64)
    off = 0

    def take(*shape):
        nonlocal off
        n = int(np.prod(shape))
        t = torch.tensor(a[off : off + n].reshape(shape), dtype=DT)
        off += n
        return t

    emb = take(vocab, dim)
    rms_att = take(L, dim)
    wq, wk, wv, wo = take(L, dim, dim), take(L, kv, dim), take(L, kv, dim), take(L, dim, dim)
    rms_ffn = take(L, dim)
    w1, w2, w3 = take(L, hidden, dim), take(L, dim, hidden), take(L, hidden, dim)
    rms_final = take(dim)
    take(seq, hs // 2)
    take(seq, hs // 2)
    wcls = emb if shared else take(vocab, dim)

    def rms(x, w):
        return x * torch.rsqrt((x * x).mean(-1, keepdim=True) + 1e-5) * w

    def rope(x, T):  # x [T, heads, hs]; rotate pairs (2i, 2i+1) by pos * 10000^(-2i/hs)
        i = torch.arange(0, hs, 2, dtype=DT)
        freq = 1.0 / (10000.0 ** (i / hs))
        ang = torch.arange(T, dtype=DT)[:, None] * freq  # [T, hs/2]
        c, s = ang.cos()[:, None], ang.sin()[:, None]
        x0, x1 = x[..., 0::2], x[..., 1::2]
        out = torch.empty_like(x)
        out[..., 0::2] = x0 * c - x1 * s
        out[..., 1::2] = x0 * s + x1 * c
        return out

    ids = torch.tensor(req["ids"], dtype=torch.long)
    T = ids.shape[0]
    x = emb[ids]
    causal = torch.triu(torch.full((T, T), float("-inf"), dtype=DT), diagonal=1)
    for l in range(L):
        y = rms(x, rms_att[l])
        q = rope((y @ wq[l].T).view(T, H, hs), T)
        k = rope((y @ wk[l].T).view(T, Hkv, hs), T)
        v = (y @ wv[l].T).view(T, Hkv, hs)
        k = k.repeat_interleave(H // Hkv, dim=1)
        v = v.repeat_interleave(H // Hkv, dim=1)
        s = torch.einsum("thd,shd->hts", q, k) / math.sqrt(hs) + causal
        o = torch.einsum("hts,shd->thd", torch.softmax(s, -1), v).reshape(T, dim)
        x = x + o @ wo[l].T
        y = rms(x, rms_ffn[l])
        x = x + (torch.nn.functional.silu(y @ w1[l].T) * (y @ w3[l].T)) @ w2[l].T
    logits = rms(x, rms_final) @ wcls.T
    return {"logits": logits.reshape(-1).tolist(), "shape": list(logits.shape)}


def main():
    req = json.load(sys.stdin)
    res = run_hf(req) if req["mode"] == "hf" else run_llama2c(req)
    json.dump(res, sys.stdout)


if __name__ == "__main__":
    main()
