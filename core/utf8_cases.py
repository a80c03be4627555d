"""Expected values for core/utf8_test.cc, from Python's own UTF-8 codec.

Writes utf8_cases.txt into the directory given as argv[1]. Lines:
  encode <code point hex> <UTF-8 bytes hex>      (Python: chr(cp).encode('utf-8', 'surrogatepass'))
  seq <bytes hex> <length>                        (length of the valid sequence the bytes start
                                                   with, by Python's strict decoder; 0 if none)
"""
import os
import sys

ENCODE = [0x0, 0x41, 0x7f, 0x80, 0xe9, 0x7ff, 0x800, 0x20ac, 0xd7ff, 0xe000, 0xfffd, 0xffff,
          0x10000, 0x1f600, 0x10ffff]
SEQ = ["c3a9", "e282ac", "f09f9880", "f48fbfbf", "c2", "c0af", "c1bf", "e08080", "e0a080",
       "eda080", "edbfbf", "ee8080", "f08f8080", "f0908080", "f4908080", "f5808080", "80", "bf",
       "c328", "e282", "e28228", "f09f98", "ff", "41", "c3a941", "e282acff"]


def valid_prefix_len(b):
    if not b or b[0] < 0x80:
        return 0
    for n in (2, 3, 4):
        if len(b) < n:
            break
        try:
            b[:n].decode("utf-8", "strict")
            return n
        except UnicodeDecodeError:
            pass
    return 0


def main():
    out = os.path.join(sys.argv[1], "utf8_cases.txt")
    with open(out, "w") as f:
        for cp in ENCODE:
            f.write("encode %x %s\n" % (cp, chr(cp).encode("utf-8", "surrogatepass").hex()))
        for h in SEQ:
            f.write("seq %s %d\n" % (h, valid_prefix_len(bytes.fromhex(h))))


if __name__ == "__main__":
    main()
