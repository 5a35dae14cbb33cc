"""Independent safetensors reader/writer (numpy only) for interop tests of lib/io.

  read FILE      parse a file written by lib/io; print names, dtypes, shapes, metadata and the
                 values as uint32 bit patterns (exact, and NaN/-0 survive JSON).
  folder DIR     load a Hugging Face folder the way transformers does (model.safetensors, else
                 model.safetensors.index.json -> shards) and print the same per tensor.
  write DIR      write f16.safetensors, bf16.safetensors and mixed.safetensors (f64, i64, i32, u8)
                 with seeded values and print the f32 bit patterns each tensor should widen to.
"""
import json
import os
import struct
import sys

import numpy as np

DTYPES = {"F32": "<f4", "F16": "<f2", "F64": "<f8", "I64": "<i8", "I32": "<i4", "I16": "<i2", "I8": "i1", "U8": "u1", "BOOL": "u1"}


def parse(path):
    buf = open(path, "rb").read()
    (n,) = struct.unpack("<Q", buf[:8])
    header = json.loads(buf[8:8 + n].decode("utf-8"))
    assert (8 + n) % 8 == 0, "data section should be 8-byte aligned"
    meta = header.pop("__metadata__", {})
    base = 8 + n
    spans = sorted(e["data_offsets"] for e in header.values())
    pos = 0
    for a, b in spans:  # the data must be covered exactly, without holes or overlaps
        assert a == pos, f"hole/overlap at {a} (expected {pos})"
        pos = b
    assert base + pos == len(buf), f"{len(buf) - base - pos} stray bytes after the data"
    out = {}
    for name, e in header.items():
        a, b = e["data_offsets"]
        raw = buf[base + a:base + b]
        if e["dtype"] == "BF16":
            arr = (np.frombuffer(raw, dtype="<u2").astype(np.uint32) << 16).view(np.float32)
        else:
            arr = np.frombuffer(raw, dtype=DTYPES[e["dtype"]])
        out[name] = (e["dtype"], list(e["shape"]), arr.reshape(e["shape"]))
    return out, meta


def describe(tensors):
    return {
        name: {"dtype": dt, "shape": shape, "bits": arr.astype(np.float32).reshape(-1).view(np.uint32).tolist()}
        for name, (dt, shape, arr) in tensors.items()
    }


def write(path, tensors):
    header, blobs, off = {"__metadata__": {"format": "pt"}}, [], 0
    for name, (dtype, arr) in tensors.items():
        raw = arr.tobytes()
        header[name] = {"dtype": dtype, "shape": list(arr.shape), "data_offsets": [off, off + len(raw)]}
        blobs.append(raw)
        off += len(raw)
    h = json.dumps(header).encode()
    h += b" " * ((8 - len(h) % 8) % 8)
    with open(path, "wb") as f:
        f.write(struct.pack("<Q", len(h)) + h + b"".join(blobs))


def specials32():
    return np.array([0.0, -0.0, 1.0, -2.5, 65504.0, 1e-8, -3.0e38, np.inf, -np.inf, np.nan], dtype=np.float32)


def write_all(d):
    rng = np.random.default_rng(7)
    expected = {}
    # f16: numpy rounds f32 -> f16; widening back to f32 is exact, so that is the expected value.
    a16 = np.concatenate([rng.standard_normal(20).astype(np.float32) * 100, specials32(),
                          np.array([6.0e-8, 6.1e-5, 3.0e-5], dtype=np.float32)]).astype("<f2").reshape(3, 11)
    b16 = rng.standard_normal((2, 3, 4)).astype("<f2")
    write(os.path.join(d, "f16.safetensors"), {"a": ("F16", a16), "b": ("F16", b16)})
    expected["f16.safetensors"] = {"a": a16.astype(np.float32), "b": b16.astype(np.float32)}
    # bf16: the top 16 bits of f32 (truncation), so the widened value is the f32 with its low bits cleared.
    f = np.concatenate([rng.standard_normal(14).astype(np.float32) * 1e3, specials32()]).reshape(4, 6)
    bits = (f.view(np.uint32) >> 16).astype("<u2")
    write(os.path.join(d, "bf16.safetensors"), {"w": ("BF16", bits)})
    expected["bf16.safetensors"] = {"w": ((bits.astype(np.uint32) << 16).view(np.float32))}
    m = {
        "d": ("F64", rng.standard_normal((5,)).astype("<f8")),
        "i": ("I64", np.array([[-3, 0], [7, 123456]], dtype="<i8")),
        "j": ("I32", np.array([-2147483648, 2147483647, 5], dtype="<i4")),
        "u": ("U8", np.array([0, 255, 17], dtype="u1")),
    }
    write(os.path.join(d, "mixed.safetensors"), m)
    expected["mixed.safetensors"] = {k: v.astype(np.float32) for k, (_, v) in m.items()}
    print(json.dumps({fname: {k: {"shape": list(v.shape), "bits": v.reshape(-1).view(np.uint32).tolist()} for k, v in t.items()}
                      for fname, t in expected.items()}))


def folder(d):
    single = os.path.join(d, "model.safetensors")
    if os.path.exists(single):
        tensors, _ = parse(single)
        files = ["model.safetensors"]
    else:
        index = json.load(open(os.path.join(d, "model.safetensors.index.json")))
        tensors, files = {}, sorted(set(index["weight_map"].values()))
        for shard in files:
            part, meta = parse(os.path.join(d, shard))
            assert meta.get("format") == "pt", meta
            for name, t in part.items():
                assert index["weight_map"][name] == shard, name
                tensors[name] = t
        assert set(tensors) == set(index["weight_map"]), "index and shards disagree"
        total = sum(t[2].nbytes for t in tensors.values())
        assert index["metadata"]["total_size"] == total, (index["metadata"], total)
    config = json.load(open(os.path.join(d, "config.json")))
    print(json.dumps({"files": files, "config": config, "tensors": describe(tensors)}))


if __name__ == "__main__":
    mode, arg = sys.argv[1], sys.argv[2]
    if mode == "read":
        t, meta = parse(arg)
        print(json.dumps({"metadata": meta, "tensors": describe(t)}))
    elif mode == "folder":
        folder(arg)
    elif mode == "write":
        write_all(arg)
    else:
        raise SystemExit(f"unknown mode {mode}")
