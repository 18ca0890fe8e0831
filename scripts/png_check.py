"""Fails unless each PNG given is a real picture, not a blank page: decoded with the standard
library only (zlib and the five PNG row filters), it must have at least 20 colours and at least
3% of its pixels different from the most common one. Prints both figures per file."""

import collections
import struct
import sys
import zlib


def pixels(path):
    data = open(path, "rb").read()
    if data[:8] != b"\x89PNG\r\n\x1a\n":
        raise SystemExit("%s: not a PNG" % path)
    position, idat, header = 8, b"", None
    while position < len(data):
        length, kind = struct.unpack(">I4s", data[position:position + 8])
        body = data[position + 8:position + 8 + length]
        if kind == b"IHDR":
            header = struct.unpack(">IIBBBBB", body)
        elif kind == b"IDAT":
            idat += body
        position += 12 + length
    width, height, depth, colour, _, _, interlace = header
    channels = {0: 1, 2: 3, 4: 2, 6: 4}.get(colour)
    if depth != 8 or channels is None or interlace:
        raise SystemExit("%s: only 8-bit non-interlaced grey/RGB(A) PNGs are checked" % path)
    raw, stride, previous, rows = zlib.decompress(idat), width * channels, None, []
    for row in range(height):
        start = row * (stride + 1)
        kind, line = raw[start], bytearray(raw[start + 1:start + 1 + stride])
        prior = previous or bytearray(stride)
        for i in range(stride):
            left = line[i - channels] if i >= channels else 0
            up, corner = prior[i], prior[i - channels] if i >= channels else 0
            if kind == 1:
                line[i] = (line[i] + left) & 255
            elif kind == 2:
                line[i] = (line[i] + up) & 255
            elif kind == 3:
                line[i] = (line[i] + (left + up) // 2) & 255
            elif kind == 4:
                p = left + up - corner
                pa, pb, pc = abs(p - left), abs(p - up), abs(p - corner)
                line[i] = (line[i] + (left if pa <= pb and pa <= pc else up if pb <= pc else corner)) & 255
        rows.append(line)
        previous = line
    return [bytes(line[i:i + channels]) for line in rows for i in range(0, stride, channels)]


failed = False
for path in sys.argv[1:]:
    counts = collections.Counter(pixels(path))
    total = sum(counts.values())
    share = 1 - counts.most_common(1)[0][1] / total
    print("%s: %d colours, %.1f%% of pixels not background" % (path, len(counts), share * 100))
    if len(counts) < 20 or share < 0.03:
        print("%s: looks blank" % path)
        failed = True
sys.exit(1 if failed else 0)
