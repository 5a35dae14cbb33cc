"""PyTorch side of bench/models.ts: the same LLaMA forward and training steps, written as a PyTorch user
would (nn.Linear, PEFT-style LoRA on q_proj/v_proj, torch.optim.Adam), timed in wall-clock seconds at a
given thread count; GEMM GFLOP/s; and which BLAS this torch really runs.

A long-lived worker: one JSON request per stdin line, one JSON reply per stdout line, so the bench can
interleave its own measurements with PyTorch's under the same machine load.
  {"op": "blas"}                                       -> {"library", "reference", "config", "core", "gflops512"}
  {"op": "gemm", "n": 512, "seconds": 1.0}             -> {"gflops"}
  {"op": "steps", "config", "batch", "seq", "mode": "lora"|"full"|"forward", "iters", "seed"}
                                                       -> {"seconds": [per-iteration wall times], "params", "trainable"}
"""
import ctypes
import json
import math
import os
import sys
import time

import torch
import torch.nn.functional as F
from torch import nn


def blas_info():
    """The BLAS shared library this process mapped: Debian's torch links libblas.so.3 generically
    (torch.__config__.show() says BLAS_INFO=generic whichever it is), and the alternatives system decides
    between the reference implementation and OpenBLAS."""
    torch.ones(64, 64) @ torch.ones(64, 64)  # make sure the BLAS is loaded
    maps = open("/proc/self/maps").read().split("\n")
    libs = sorted({p for p in (line.split()[-1] for line in maps if line.split()) if "blas" in os.path.basename(p)})
    real = [os.path.realpath(p) for p in libs]
    openblas = next((p for p in real if "openblas" in os.path.basename(p)), None)
    info = {"library": real, "reference": openblas is None, "config": None, "core": None}
    if openblas:
        lib = ctypes.CDLL(openblas)
        for name, key in (("openblas_get_config", "config"), ("openblas_get_corename", "core")):
            fn = getattr(lib, name)
            fn.restype = ctypes.c_char_p
            info[key] = fn().decode()
    info["torch_config"] = [line.strip() for line in torch.__config__.show().split("\n") if "BLAS" in line]
    info["gflops512"] = gemm_gflops(512, 0.5)
    return info


def gemm_gflops(n, seconds):
    a, b = torch.randn(n, n), torch.randn(n, n)
    a @ b
    best = math.inf
    deadline = time.perf_counter() + seconds
    while time.perf_counter() < deadline:
        t0 = time.perf_counter()
        a @ b
        best = min(best, time.perf_counter() - t0)
    return 2 * n**3 / best / 1e9


class LoraLinear(nn.Module):
    """PEFT's LoRA: base(x) + B(A(x)) * alpha / r, base frozen, B zero-initialised."""

    def __init__(self, base, r, alpha):
        super().__init__()
        self.base = base
        self.lora_A = nn.Linear(base.in_features, r, bias=False)
        self.lora_B = nn.Linear(r, base.out_features, bias=False)
        nn.init.zeros_(self.lora_B.weight)
        self.scaling = alpha / r

    def forward(self, x):
        return self.base(x) + self.lora_B(self.lora_A(x)) * self.scaling


class Block(nn.Module):
    def __init__(self, c):
        super().__init__()
        d, hd = c["hidden_size"], c["hidden_size"] // c["num_attention_heads"]
        self.h, self.hkv, self.hd, self.eps = c["num_attention_heads"], c["num_key_value_heads"], hd, c["rms_norm_eps"]
        self.input_layernorm = nn.Parameter(torch.ones(d))
        self.post_attention_layernorm = nn.Parameter(torch.ones(d))
        self.q_proj = nn.Linear(d, self.h * hd, bias=False)
        self.k_proj = nn.Linear(d, self.hkv * hd, bias=False)
        self.v_proj = nn.Linear(d, self.hkv * hd, bias=False)
        self.o_proj = nn.Linear(self.h * hd, d, bias=False)
        self.gate_proj = nn.Linear(d, c["intermediate_size"], bias=False)
        self.up_proj = nn.Linear(d, c["intermediate_size"], bias=False)
        self.down_proj = nn.Linear(c["intermediate_size"], d, bias=False)

    def rms(self, x, w):
        return x * torch.rsqrt(x.pow(2).mean(-1, keepdim=True) + self.eps) * w

    def forward(self, h, cos, sin, mask):
        B, T, _ = h.shape

        def rot(x):
            x1, x2 = x.chunk(2, dim=-1)
            return torch.cat([-x2, x1], dim=-1)

        x = self.rms(h, self.input_layernorm)
        q = self.q_proj(x).view(B, T, self.h, self.hd).transpose(1, 2)
        k = self.k_proj(x).view(B, T, self.hkv, self.hd).transpose(1, 2)
        v = self.v_proj(x).view(B, T, self.hkv, self.hd).transpose(1, 2)
        q, k = q * cos + rot(q) * sin, k * cos + rot(k) * sin
        k = k.repeat_interleave(self.h // self.hkv, dim=1)  # Hugging Face's repeat_kv
        v = v.repeat_interleave(self.h // self.hkv, dim=1)
        s = q @ k.transpose(-1, -2) / math.sqrt(self.hd) + mask
        a = (torch.softmax(s, dim=-1) @ v).transpose(1, 2).reshape(B, T, -1)
        h = h + self.o_proj(a)
        y = self.rms(h, self.post_attention_layernorm)
        return h + self.down_proj(F.silu(self.gate_proj(y)) * self.up_proj(y))


class Llama(nn.Module):
    def __init__(self, c):
        super().__init__()
        self.c = c
        self.embed_tokens = nn.Embedding(c["vocab_size"], c["hidden_size"])
        self.layers = nn.ModuleList(Block(c) for _ in range(c["num_hidden_layers"]))
        self.norm = nn.Parameter(torch.ones(c["hidden_size"]))
        self.lm_head = None if c.get("tie_word_embeddings") else nn.Linear(c["hidden_size"], c["vocab_size"], bias=False)
        for p in self.parameters():
            if p.dim() == 2:
                nn.init.normal_(p, std=0.02)

    def forward(self, ids):
        c, (B, T) = self.c, ids.shape
        hd = c["hidden_size"] // c["num_attention_heads"]
        inv = 1.0 / (c.get("rope_theta", 10000.0) ** (torch.arange(0, hd, 2, dtype=torch.float32) / hd))
        ang = torch.arange(T, dtype=torch.float32)[:, None] * inv
        emb = torch.cat([ang, ang], dim=-1)
        cos, sin = emb.cos(), emb.sin()
        mask = torch.triu(torch.full((T, T), -1e9), diagonal=1)
        h = self.embed_tokens(ids)
        for layer in self.layers:
            h = layer(h, cos, sin, mask)
        h = h * torch.rsqrt(h.pow(2).mean(-1, keepdim=True) + c["rms_norm_eps"]) * self.norm
        return h @ (self.embed_tokens.weight if self.lm_head is None else self.lm_head.weight).T


def steps(req):
    torch.manual_seed(req.get("seed", 0))
    model = Llama(req["config"])
    ids = torch.randint(0, req["config"]["vocab_size"], (req["batch"], req["seq"]))
    params = sum(p.numel() for p in model.parameters())
    mode = req["mode"]
    if mode == "lora":
        for p in model.parameters():
            p.requires_grad_(False)
        for layer in model.layers:
            layer.q_proj = LoraLinear(layer.q_proj, 8, 16)
            layer.v_proj = LoraLinear(layer.v_proj, 8, 16)
    trainable = [p for p in model.parameters() if p.requires_grad]
    opt = torch.optim.Adam(trainable, lr=1e-3) if mode != "forward" else None

    def once():
        if mode == "forward":
            with torch.no_grad():
                model(ids)
            return
        opt.zero_grad()
        logits = model(ids)
        loss = F.cross_entropy(logits[:, :-1].reshape(-1, logits.shape[-1]), ids[:, 1:].reshape(-1))
        loss.backward()
        loss.item()  # the trainer reads every step's loss, as bench/models.ts does
        opt.step()

    once()  # warm-up: allocator, optimiser state
    times, cpu = [], []
    for _ in range(req["iters"]):
        t0, c0 = time.perf_counter(), time.process_time()
        once()
        times.append(time.perf_counter() - t0)
        cpu.append(time.process_time() - c0)
    return {"seconds": times, "cpu_seconds": cpu, "params": params, "trainable": sum(p.numel() for p in trainable)}


def main():
    torch.set_num_threads(int(os.environ.get("PEFT_BENCH_THREADS", "1")))
    for line in sys.stdin:
        req = json.loads(line)
        if req["op"] == "blas":
            out = blas_info()
        elif req["op"] == "gemm":
            out = {"gflops": gemm_gflops(req["n"], req.get("seconds", 1.0))}
        else:
            out = steps(req)
        sys.stdout.write(json.dumps(out) + "\n")
        sys.stdout.flush()


if __name__ == "__main__":
    main()
