// The value codec between the HumanEval checker and the candidate's process, checked by Python's
// own equality: every plain value comes back equal and of the same types all the way down; anything
// else (an always-equal object, a generator) cannot cross; malformed input is refused.
import { spawnSync } from "node:child_process";
import { expect, test } from "vitest";
import { CODEC_PY } from "../../lib/eval/sandbox/python/codec.js";
import { PYTHON } from "../helpers/python.js";

const SCRIPT = String.raw`
import json, math, os, sys, fractions, decimal, collections


def shape(v):
    if isinstance(v, (list, tuple, set, frozenset)):
        return [type(v).__name__, [shape(x) for x in (sorted(v, key=repr) if isinstance(v, (set, frozenset)) else v)]]
    if isinstance(v, dict):
        return ["dict", [[shape(k), shape(x)] for k, x in v.items()]]
    return type(v).__name__


def same(a, b):
    if isinstance(a, float) and math.isnan(a):
        return isinstance(b, float) and math.isnan(b)
    if isinstance(a, float) and a == 0.0:
        return b == 0.0 and math.copysign(1, a) == math.copysign(1, b)
    return a == b and shape(a) == shape(b)


sys.set_int_max_str_digits(0) if hasattr(sys, "set_int_max_str_digits") else None
cases = {
    "none/bool": [None, True, False],
    "int": [0, -7, 2**200, -(10**5000)],
    "float": [0.1, -0.0, 1e308, float("inf"), -float("inf"), float("nan"), 5.0],
    "str": ["", "héllo", "\ud800 lone surrogate", "quote\"and\\backslash"],
    "bytes": [b"\x00\xff", bytearray(b"ab")],
    "complex": [complex(1.5, -2)],
    "fraction/decimal": [fractions.Fraction(1, 3), decimal.Decimal("1.10")],
    "list vs tuple": [[1, (2, [3.0, "4"])], (), ([],)],
    "dict": [{1: "a", (2, 3): [4], "k": {"n": None}, frozenset([1]): 2}],
    "set": [{1, 2, 3}, frozenset({"a", (1, 2)}), set()],
}
results = {}
for name, values in cases.items():
    results[name] = all(same(v, decode(json.loads(json.dumps(encode(v))))) for v in values)
# subclasses arrive as their plain base type, still equal to the original
subclasses = [(collections.OrderedDict(a=1), dict), (collections.namedtuple("P", "x y")(1, 2), tuple), (True, bool)]
results["subclasses"] = all(
    type(d) is base and d == v for v, base in subclasses for d in [decode(json.loads(json.dumps(encode(v))))]
)


class AlwaysEqual:
    def __eq__(self, other):
        return True


refused = []
for label, v in (("always-equal", AlwaysEqual()), ("generator", (i for i in range(3))), ("function", len)):
    try:
        encode(v)
    except TypeError as e:
        refused.append(label)
malformed = []
for label, v in (("object", {"a": 1}), ("bad tag", ["zz", 1]), ("empty", [])):
    try:
        decode(v)
    except ValueError:
        malformed.append(label)
r, w = os.pipe()
big = "x" * 3_000_000
pid = os.fork()
if pid == 0:
    os.close(r)
    send(w, ["ok", 1, encode(big)])
    os._exit(0)
os.close(w)
frame_ok = decode(recv(r)[2]) == big
os.waitpid(pid, 0)
r2, w2 = os.pipe()
os.write(w2, (100 * 1024 * 1024).to_bytes(4, "big"))
try:
    recv(r2)
    oversize = "accepted"
except ValueError as e:
    oversize = str(e)
print(json.dumps({"roundtrip": results, "refused": refused, "malformed": malformed, "frame": frame_ok, "oversize": oversize}))
`;

test("plain values cross unchanged; objects with their own equality cannot cross; bad frames are refused", () => {
  const r = spawnSync(PYTHON, ["-c", `${CODEC_PY}\n${SCRIPT}`], { encoding: "utf8" });
  expect(r.status, r.stderr).toBe(0);
  const out = JSON.parse(r.stdout);
  expect(out.roundtrip).toEqual({
    "none/bool": true,
    int: true,
    float: true,
    str: true,
    bytes: true,
    complex: true,
    "fraction/decimal": true,
    "list vs tuple": true,
    dict: true,
    set: true,
    subclasses: true,
  });
  expect(out.refused).toEqual(["always-equal", "generator", "function"]);
  expect(out.malformed).toEqual(["object", "bad tag", "empty"]);
  expect(out.frame).toBe(true);
  expect(out.oversize).toBe("a message of 104857600 bytes exceeds the 64 MiB limit");
});
