// Python source shared by the checker and the worker: how values cross between them, and the
// length-prefixed frames that carry them. Only plain builtin values cross (tagged JSON), so nothing
// the candidate returns can run code in the checker: no custom __eq__, no always-equal objects.
export const CODEC_PY = `
import json as _json, struct as _struct, sys as _sys
import os as _os

_FRAME_LIMIT = 64 * 1024 * 1024
_os_read, _os_write = _os.read, _os.write


def _loaded(module, name):
    # A Fraction or Decimal can only exist if its module was imported; checking sys.modules keeps
    # these imports (tens of ms) off the path of every check.
    m = _sys.modules.get(module)
    return getattr(m, name, None) if m else None


def _number(v):
    fraction, dec = _loaded("fractions", "Fraction"), _loaded("decimal", "Decimal")
    if fraction and isinstance(v, fraction):
        return ["q", hex(v.numerator), hex(v.denominator)]
    if dec and isinstance(v, dec):
        return ["dec", str(v)]
    import numbers  # numpy and other numeric types register here

    if isinstance(v, numbers.Integral):
        return ["i", hex(int(v))]
    if isinstance(v, numbers.Real):
        return float(v)
    if isinstance(v, numbers.Complex):
        return ["c", float(v.real), float(v.imag)]
    return None


def encode(v, depth=0):
    if depth > 200:
        raise ValueError("value nested more than 200 levels deep")
    d = depth + 1
    if v is None:
        return None
    if isinstance(v, bool):
        return bool(v)
    if isinstance(v, str):
        return str.__str__(v)
    if isinstance(v, float):
        return float(v)
    if isinstance(v, int):
        return ["i", hex(int(v))]
    if isinstance(v, complex):
        return ["c", v.real, v.imag]
    if isinstance(v, bytes):
        return ["b", bytes(v).hex()]
    if isinstance(v, bytearray):
        return ["ba", bytes(v).hex()]
    if isinstance(v, list):
        return ["l", [encode(x, d) for x in v]]
    if isinstance(v, tuple):
        return ["t", [encode(x, d) for x in v]]
    if isinstance(v, dict):
        return ["d", [[encode(k, d), encode(x, d)] for k, x in v.items()]]
    if isinstance(v, frozenset):
        return ["fs", [encode(x, d) for x in v]]
    if isinstance(v, set):
        return ["s", [encode(x, d) for x in v]]
    number = _number(v)
    if number is not None:
        return number
    raise TypeError("a value of type " + type(v).__name__ + " cannot pass between the checker and the candidate")


def decode(v):
    if v is None or isinstance(v, (bool, str, float)):
        return v
    if isinstance(v, int):
        return float(v)
    if not isinstance(v, list) or not v or not isinstance(v[0], str):
        raise ValueError("malformed value")
    tag = v[0]
    if tag == "i":
        return int(v[1], 16)
    if tag == "q":
        import fractions

        return fractions.Fraction(int(v[1], 16), int(v[2], 16))
    if tag == "dec":
        import decimal

        return decimal.Decimal(v[1])
    if tag == "c":
        return complex(v[1], v[2])
    if tag == "b":
        return bytes.fromhex(v[1])
    if tag == "ba":
        return bytearray.fromhex(v[1])
    if tag == "l":
        return [decode(x) for x in v[1]]
    if tag == "t":
        return tuple(decode(x) for x in v[1])
    if tag == "d":
        return {decode(k): decode(x) for k, x in v[1]}
    if tag == "fs":
        return frozenset(decode(x) for x in v[1])
    if tag == "s":
        return {decode(x) for x in v[1]}
    raise ValueError("unknown value tag " + repr(tag)[:40])


def send(fd, obj):
    data = _json.dumps(obj).encode("ascii")
    data = _struct.pack(">I", len(data)) + data
    while data:
        data = data[_os_write(fd, data):]


def _read_exact(fd, n):
    parts = []
    while n:
        b = _os_read(fd, min(n, 1 << 20))
        if not b:
            return None
        parts.append(b)
        n -= len(b)
    return b"".join(parts)


def recv(fd):
    head = _read_exact(fd, 4)
    if head is None:
        return None
    (n,) = _struct.unpack(">I", head)
    if n > _FRAME_LIMIT:
        raise ValueError("a message of " + str(n) + " bytes exceeds the 64 MiB limit")
    body = _read_exact(fd, n)
    return None if body is None else _json.loads(body.decode("ascii"))
`;
