# Independent mulberry32 (Tommy Ettinger's generator) in Python integers, for the TS stream.
import json, sys

def mulberry32(seed, n):
    a = seed & 0xFFFFFFFF
    out = []
    for _ in range(n):
        a = (a + 0x6D2B79F5) & 0xFFFFFFFF
        t = a
        t = ((t ^ (t >> 15)) * (t | 1)) & 0xFFFFFFFF
        t = (t ^ (t + (((t ^ (t >> 7)) * (t | 61)) & 0xFFFFFFFF))) & 0xFFFFFFFF
        out.append(((t ^ (t >> 14)) & 0xFFFFFFFF) / 4294967296)
    return out

seeds = [int(s) for s in sys.argv[1:]]
print(json.dumps({str(s): mulberry32(s, 64) for s in seeds}))
