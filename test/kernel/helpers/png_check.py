"""Independent PNG reader: verifies signature, chunk CRCs and the IDAT size, prints the header."""
import json
import struct
import sys
import zlib

data = open(sys.argv[1], "rb").read()
assert data[:8] == b"\x89PNG\r\n\x1a\n", "bad signature"
pos, chunks, idat = 8, [], b""
while pos < len(data):
    (length,) = struct.unpack(">I", data[pos : pos + 4])
    ctype = data[pos + 4 : pos + 8]
    body = data[pos + 8 : pos + 8 + length]
    (crc,) = struct.unpack(">I", data[pos + 8 + length : pos + 12 + length])
    assert zlib.crc32(ctype + body) & 0xFFFFFFFF == crc, f"bad CRC in {ctype}"
    chunks.append(ctype.decode())
    if ctype == b"IHDR":
        w, h, depth, colour = struct.unpack(">IIBB", body[:10])
    if ctype == b"IDAT":
        idat += body
    pos += 12 + length
raw = zlib.decompress(idat)
assert len(raw) == h * (w * 4 + 1), "IDAT size does not match the header"
opaque = sum(1 for y in range(h) for x in range(w) if raw[y * (w * 4 + 1) + 1 + x * 4 + 3] == 255)
print(json.dumps({"width": w, "height": h, "depth": depth, "colour": colour, "chunks": chunks, "opaque": opaque}))
