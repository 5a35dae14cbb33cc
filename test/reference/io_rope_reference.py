"""Independent reference for lib/io/llama2c.ts (numpy only, own parsers).

  make OUT.bin SEED DIM HIDDEN LAYERS HEADS KV_HEADS VOCAB SEQ
      writes a random legacy llama2.c checkpoint (VOCAB < 0: separate output matrix, stored after
      the RoPE tables as llama2.c's run.c reads it).
  check RAW.bin HF.safetensors
      reads the raw checkpoint and the HF-named safetensors written by lib/io, checks every tensor
      maps to the right llama2.c array, and that llama2.c's interleaved RoPE on the raw q/k weights
      gives the same q.k attention scores as HF's rotate_half RoPE on the converted weights.
Prints JSON.
"""
import json
import struct
import sys

import numpy as np


def layout(dim, hidden, layers, heads, kv, vocab, seq):
    hs = dim // heads
    kvd = hs * kv
    V = abs(vocab)
    parts = [
        ("tok", (V, dim)), ("rms_att", (layers, dim)), ("wq", (layers, dim, dim)),
        ("wk", (layers, kvd, dim)), ("wv", (layers, kvd, dim)), ("wo", (layers, dim, dim)),
        ("rms_ffn", (layers, dim)), ("w1", (layers, hidden, dim)), ("w2", (layers, dim, hidden)),
        ("w3", (layers, hidden, dim)), ("rms_final", (dim,)),
        ("freq_real", (seq, hs // 2)), ("freq_imag", (seq, hs // 2)),
    ]
    if vocab < 0:
        parts.append(("wcls", (V, dim)))
    return parts


def read_bin(path):
    buf = open(path, "rb").read()
    hdr = struct.unpack("<7i", buf[:28])
    arr = np.frombuffer(buf, dtype="<f4", offset=28)
    out, off = {}, 0
    for name, shape in layout(*hdr):
        n = int(np.prod(shape))
        out[name] = arr[off:off + n].reshape(shape)
        off += n
    assert off == arr.size, (off, arr.size)
    return hdr, out


def read_safetensors(path):
    buf = open(path, "rb").read()
    (n,) = struct.unpack("<Q", buf[:8])
    header = json.loads(buf[8:8 + n])
    header.pop("__metadata__", None)
    base = 8 + n
    out = {}
    for name, e in header.items():
        assert e["dtype"] == "F32", e
        a, b = e["data_offsets"]
        out[name] = np.frombuffer(buf[base + a:base + b], dtype="<f4").reshape(e["shape"])
    return out


def rope_interleaved(x, pos, hs):
    # llama2.c run.c: pairs (2i, 2i+1), freq = 10000^(-2i/hs)
    i = np.arange(hs // 2)
    ang = pos[:, None] * (10000.0 ** (-2.0 * i / hs))[None, :]
    c, s = np.cos(ang), np.sin(ang)
    x0, x1 = x[..., 0::2], x[..., 1::2]
    out = np.empty_like(x)
    out[..., 0::2] = x0 * c - x1 * s
    out[..., 1::2] = x0 * s + x1 * c
    return out


def rope_half(x, pos, hs):
    # HF LlamaRotaryEmbedding + rotate_half: pairs (i, i + hs/2), inv_freq = 1/10000^(2i/hs)
    inv = 1.0 / (10000.0 ** (np.arange(0, hs, 2) / hs))
    ang = pos[:, None] * inv[None, :]
    emb = np.concatenate([ang, ang], axis=-1)
    rot = np.concatenate([-x[..., hs // 2:], x[..., :hs // 2]], axis=-1)
    return x * np.cos(emb) + rot * np.sin(emb)


def scores(wq, wk, xs, heads, kv, rope):
    T, dim = xs.shape
    hs = dim // heads
    pos = np.arange(T, dtype=np.float64)
    q = (xs @ wq.T).reshape(T, heads, hs).transpose(1, 0, 2)
    k = (xs @ wk.T).reshape(T, kv, hs).transpose(1, 0, 2)
    q = rope(q, pos, hs)
    k = rope(k, pos, hs)
    k = np.repeat(k, heads // kv, axis=0)
    return q @ k.transpose(0, 2, 1)


def make(path, seed, dim, hidden, layers, heads, kv, vocab, seq):
    rng = np.random.default_rng(seed)
    with open(path, "wb") as f:
        f.write(struct.pack("<7i", dim, hidden, layers, heads, kv, vocab, seq))
        for _, shape in layout(dim, hidden, layers, heads, kv, vocab, seq):
            f.write(rng.standard_normal(shape).astype("<f4").tobytes())
    print(json.dumps({"ok": True}))


def check(raw_path, st_path):
    (dim, hidden, layers, heads, kv, vocab, seq), raw = read_bin(raw_path)
    st = read_safetensors(st_path)
    expect = {"model.embed_tokens.weight": raw["tok"], "model.norm.weight": raw["rms_final"]}
    if vocab < 0:
        expect["lm_head.weight"] = raw["wcls"]
    for l in range(layers):
        p = f"model.layers.{l}."
        expect[p + "input_layernorm.weight"] = raw["rms_att"][l]
        expect[p + "post_attention_layernorm.weight"] = raw["rms_ffn"][l]
        expect[p + "self_attn.v_proj.weight"] = raw["wv"][l]
        expect[p + "self_attn.o_proj.weight"] = raw["wo"][l]
        expect[p + "mlp.gate_proj.weight"] = raw["w1"][l]
        expect[p + "mlp.down_proj.weight"] = raw["w2"][l]
        expect[p + "mlp.up_proj.weight"] = raw["w3"][l]
    mismatches = [n for n, a in expect.items() if n not in st or st[n].shape != a.shape or not np.array_equal(st[n], a)]
    qk = {f"model.layers.{l}.self_attn.{w}_proj.weight" for l in range(layers) for w in "qk"}
    extra = sorted(set(st) - set(expect) - qk)

    rng = np.random.default_rng(1234)
    T = min(seq, 7)
    max_diff = 0.0
    max_diff_unpermuted = 0.0
    max_score = 0.0
    for l in range(layers):
        xs = rng.standard_normal((T, dim))
        ref = scores(raw["wq"][l].astype(np.float64), raw["wk"][l].astype(np.float64), xs, heads, kv, rope_interleaved)
        wq = st[f"model.layers.{l}.self_attn.q_proj.weight"].astype(np.float64)
        wk = st[f"model.layers.{l}.self_attn.k_proj.weight"].astype(np.float64)
        hf = scores(wq, wk, xs, heads, kv, rope_half)
        naive = scores(raw["wq"][l].astype(np.float64), raw["wk"][l].astype(np.float64), xs, heads, kv, rope_half)
        max_diff = max(max_diff, float(np.abs(ref - hf).max()))
        max_diff_unpermuted = max(max_diff_unpermuted, float(np.abs(ref - naive).max()))
        max_score = max(max_score, float(np.abs(ref).max()))
    print(json.dumps({
        "header": [dim, hidden, layers, heads, kv, vocab, seq],
        "checked": len(expect), "mismatches": mismatches, "extra": extra,
        "max_diff": max_diff, "max_diff_unpermuted": max_diff_unpermuted, "max_score": max_score,
    }))


if __name__ == "__main__":
    mode = sys.argv[1]
    if mode == "make":
        make(sys.argv[2], *map(int, sys.argv[3:11]))
    elif mode == "check":
        check(sys.argv[2], sys.argv[3])
    else:
        raise SystemExit(f"unknown mode {mode}")
