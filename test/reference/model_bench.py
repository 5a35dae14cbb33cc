"""PyTorch timing of the same LLaMA forward and training step that bench/models.ts times in tfjs.

Uses the reference implementation (model_reference.py) in float32 with autograd and Adam.
stdin: {"sizes": [{"label", "config", "batch", "seq"}], "iters": N, "threads": T}
stdout: [{"label", "forward_tok_s", "train_tok_s"}] in tokens per CPU-second (the machine is shared)
"""
import json
import os
import sys
import time

import torch

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import model_reference as ref  # noqa: E402

ref.DT = torch.float32


def make_weights(cfg, gen):
    d, f, v = cfg["hidden_size"], cfg["intermediate_size"], cfg["vocab_size"]
    hd = d // cfg["num_attention_heads"]
    kv = cfg["num_key_value_heads"] * hd
    W = {"model.embed_tokens.weight": (v, d), "model.norm.weight": (d,)}
    for i in range(cfg["num_hidden_layers"]):
        p = f"model.layers.{i}."
        W.update({p + "input_layernorm.weight": (d,), p + "post_attention_layernorm.weight": (d,),
                  p + "self_attn.q_proj.weight": (d, d), p + "self_attn.k_proj.weight": (kv, d),
                  p + "self_attn.v_proj.weight": (kv, d), p + "self_attn.o_proj.weight": (d, d),
                  p + "mlp.gate_proj.weight": (f, d), p + "mlp.up_proj.weight": (f, d), p + "mlp.down_proj.weight": (d, f)})
    return {n: (torch.randn(s, generator=gen) * 0.02).requires_grad_(True) for n, s in W.items()}


def loss_of(cfg, W, ids, mask):
    h, head = ref.llama_hidden(cfg, W, ids, mask)
    logits = h @ head.T
    return torch.nn.functional.cross_entropy(logits[:, :-1].reshape(-1, logits.shape[-1]), ids[:, 1:].reshape(-1))


def main():
    req = json.load(sys.stdin)
    torch.set_num_threads(req.get("threads", 1))
    out = []
    for s in req["sizes"]:
        cfg = s["config"]
        gen = torch.Generator().manual_seed(0)
        W = make_weights(cfg, gen)
        ids = torch.randint(0, cfg["vocab_size"], (s["batch"], s["seq"]), generator=gen)
        mask = torch.ones(ids.shape, dtype=torch.float32)
        tokens = s["batch"] * s["seq"]
        with torch.no_grad():
            ref.llama_hidden(cfg, W, ids, mask)
            t0 = time.process_time()
            for _ in range(req["iters"]):
                h, head = ref.llama_hidden(cfg, W, ids, mask)
                h @ head.T
            fwd = (time.process_time() - t0) / req["iters"]
        opt = torch.optim.Adam(list(W.values()), lr=1e-3)
        loss_of(cfg, W, ids, mask).backward()
        opt.step()
        t0 = time.process_time()
        for _ in range(req["iters"]):
            opt.zero_grad()
            loss_of(cfg, W, ids, mask).backward()
            opt.step()
        step = (time.process_time() - t0) / req["iters"]
        out.append({"label": s["label"], "forward_tok_s": tokens / fwd, "train_tok_s": tokens / step})
    json.dump(out, sys.stdout)


if __name__ == "__main__":
    main()
