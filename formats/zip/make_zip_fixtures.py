"""Builds the ZIP fixtures for zip_test with Python's zipfile module (and, for ZIP64 records that
zipfile only writes past 4 GiB, by hand with struct, then checked by zipfile).

Usage: /usr/bin/python3 make_zip_fixtures.py OUT_DIR

Writes:
  stored.zip, deflated.zip, zip64_local.zip, zip64_full.zip, comment_prefixed.zip
  bad_bomb.zip      a deflated entry that declares a 1 TB uncompressed size
  bad_short.zip     a deflated entry that inflates to more than its declared size
  bad_crc.zip       a deflated entry whose CRC-32 is wrong
  zip_expected.txt  one line per good entry: archive name method size crc32 blob_offset
  zip_expected.bin  the entries' contents, concatenated (what zipfile reads back)
"""
import io
import os
import struct
import sys
import zipfile
import zlib

out = sys.argv[1]
os.makedirs(out, exist_ok=True)

ENTRIES = [
    ("b_second_name.txt", b"hello, zip\n" * 7),
    ("a.bin", bytes(range(256)) * 3),
    ("dir/c.npy", b""),
    ("zeros", b"\0" * 5000),
]


def write_zipfile(path, method, force_zip64=False, comment=b"", prefix=b""):
    buf = io.BytesIO()
    with zipfile.ZipFile(buf, "w", compression=method) as z:
        for name, data in ENTRIES:
            info = zipfile.ZipInfo(name, date_time=(2020, 1, 2, 3, 4, 6))
            info.compress_type = method
            with z.open(info, "w", force_zip64=force_zip64) as f:
                f.write(data)
        z.comment = comment
    with open(path, "wb") as f:
        f.write(prefix + buf.getvalue())


def write_zip64_full(path):
    """Every size and offset in the ZIP64 extra field, ZIP64 end record and locator."""
    body = b""
    central = b""
    for i, (name, data) in enumerate(ENTRIES):
        method = 8 if i % 2 else 0
        if method == 8:
            c = zlib.compressobj(6, zlib.DEFLATED, -15)
            comp = c.compress(data) + c.flush()
        else:
            comp = data
        crc = zlib.crc32(data)
        nm = name.encode()
        offset = len(body)
        local_extra = struct.pack("<HHQQ", 1, 16, len(data), len(comp))
        body += struct.pack("<IHHHHHIIIHH", 0x04034B50, 45, 0, method, 0, 0x21, crc,
                            0xFFFFFFFF, 0xFFFFFFFF, len(nm), len(local_extra))
        body += nm + local_extra + comp
        cextra = struct.pack("<HHQQQ", 1, 24, len(data), len(comp), offset)
        central += struct.pack("<IHHHHHHIIIHHHHHII", 0x02014B50, 45, 45, 0, method, 0, 0x21,
                               crc, 0xFFFFFFFF, 0xFFFFFFFF, len(nm), len(cextra), 0, 0, 0, 0,
                               0xFFFFFFFF)
        central += nm + cextra
    cd_offset = len(body)
    z64_offset = cd_offset + len(central)
    n = len(ENTRIES)
    tail = struct.pack("<IQHHIIQQQQ", 0x06064B50, 44, 45, 45, 0, 0, n, n, len(central),
                       cd_offset)
    tail += struct.pack("<IIQI", 0x07064B50, 0, z64_offset, 1)
    tail += struct.pack("<IHHHHIIH", 0x06054B50, 0, 0, 0xFFFF, 0xFFFF, 0xFFFFFFFF, 0xFFFFFFFF,
                        0)
    with open(path, "wb") as f:
        f.write(body + central + tail)


def check_with_zipfile(path, expect_comment=b""):
    with zipfile.ZipFile(path) as z:
        assert z.testzip() is None, path
        assert [i.filename for i in z.infolist()] == [n for n, _ in ENTRIES], path
        for name, data in ENTRIES:
            assert z.read(name) == data, (path, name)
        assert z.comment == expect_comment, path


write_zipfile(os.path.join(out, "stored.zip"), zipfile.ZIP_STORED)
write_zipfile(os.path.join(out, "deflated.zip"), zipfile.ZIP_DEFLATED)
write_zipfile(os.path.join(out, "zip64_local.zip"), zipfile.ZIP_DEFLATED, force_zip64=True)
write_zip64_full(os.path.join(out, "zip64_full.zip"))
write_zipfile(os.path.join(out, "comment_prefixed.zip"), zipfile.ZIP_STORED,
              comment=b"an archive comment", prefix=b"#!/bin/sh\nexit 0\n" * 4)

GOOD = ["stored.zip", "deflated.zip", "zip64_local.zip", "zip64_full.zip",
        "comment_prefixed.zip"]
for archive in GOOD:
    check_with_zipfile(os.path.join(out, archive),
                       b"an archive comment" if archive == "comment_prefixed.zip"
                       else b"")

blob = b""
lines = []
for archive in GOOD:
    with zipfile.ZipFile(os.path.join(out, archive)) as z:
        for info in z.infolist():
            data = z.read(info)
            lines.append("%s %s %d %d %d %d" % (archive, info.filename, info.compress_type,
                                                len(data), zlib.crc32(data), len(blob)))
            blob += data
with open(os.path.join(out, "zip_expected.txt"), "w") as f:
    f.write("\n".join(lines) + "\n")
with open(os.path.join(out, "zip_expected.bin"), "wb") as f:
    f.write(blob)


def patch_central(src, name, **fields):
    """Rewrites fields of the central directory entry `name` (sizes, crc) in a copy of src."""
    data = bytearray(open(os.path.join(out, src), "rb").read())
    pos = data.find(b"PK\x01\x02")
    while pos >= 0:
        nlen = struct.unpack_from("<H", data, pos + 28)[0]
        if data[pos + 46:pos + 46 + nlen] == name.encode():
            if "crc" in fields:
                struct.pack_into("<I", data, pos + 16, fields["crc"])
            if "csize" in fields:
                struct.pack_into("<I", data, pos + 20, fields["csize"])
            if "usize" in fields:
                struct.pack_into("<I", data, pos + 24, fields["usize"])
            return bytes(data)
        pos = data.find(b"PK\x01\x02", pos + 4)
    raise SystemExit("entry %s not found in %s" % (name, src))


def write_bomb(path):
    # ZIP64 central entry that says the 256 zero bytes inflate to 10^12 bytes.
    c = zlib.compressobj(6, zlib.DEFLATED, -15)
    data = b"\0" * 256
    comp = c.compress(data) + c.flush()
    nm = b"bomb.npy"
    local = struct.pack("<IHHHHHIIIHH", 0x04034B50, 20, 0, 8, 0, 0x21, zlib.crc32(data),
                        len(comp), len(data), len(nm), 0) + nm + comp
    cextra = struct.pack("<HHQ", 1, 8, 10**12)
    central = struct.pack("<IHHHHHHIIIHHHHHII", 0x02014B50, 45, 45, 0, 8, 0, 0x21,
                          zlib.crc32(data), len(comp), 0xFFFFFFFF, len(nm), len(cextra), 0, 0,
                          0, 0, 0) + nm + cextra
    eocd = struct.pack("<IHHHHIIH", 0x06054B50, 0, 0, 1, 1, len(central), len(local), 0)
    with open(path, "wb") as f:
        f.write(local + central + eocd)


write_bomb(os.path.join(out, "bad_bomb.zip"))
with open(os.path.join(out, "bad_short.zip"), "wb") as f:
    f.write(patch_central("deflated.zip", "zeros", usize=4000))
with open(os.path.join(out, "bad_crc.zip"), "wb") as f:
    f.write(patch_central("deflated.zip", "a.bin", crc=zlib.crc32(b"not the data")))
for bad in ["bad_short.zip", "bad_crc.zip"]:
    try:
        with zipfile.ZipFile(os.path.join(out, bad)) as z:
            z.testzip()
            for i in z.infolist():
                z.read(i)
        raise SystemExit("zipfile accepted " + bad)
    except zipfile.BadZipFile:
        pass
