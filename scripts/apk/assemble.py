#!/usr/bin/env python3
"""Writes an unsigned APK: the entries of the APK aapt2 linked (manifest, resources.arsc, res/)
plus the extra files given, with AGP's packaging rules that Debian's zipalign cannot apply:

  * native libraries (*.so) stored uncompressed, their data aligned to 16 KiB (Android 15
    devices with 16 KiB pages map them straight from the APK; Play requires it);
  * every other stored entry (resources.arsc above all: targetSdk 30+ refuses a compressed or
    unaligned one) aligned to 4 bytes; everything else deflated.

Alignment is done as zipalign does it, with an extra field in the local header (id 0xd935,
Android's alignment field) that pads the data to the boundary. Timestamps are fixed so the
same inputs give the same bytes.

Usage: assemble.py --base linked.apk --out unsigned.apk [--add PATH_IN_APK=FILE]...
       [--exclude PATH_IN_APK]... [--deflate-so] [--misalign-so]
--deflate-so and --misalign-so build broken APKs for the tests of check-apk.sh.
"""
import argparse
import struct
import sys
import zipfile

SO_ALIGN = 16384
STORED_ALIGN = 4
ALIGN_FIELD = 0xD935
FIXED_DATE = (1981, 1, 1, 1, 1, 2)
# Entries AGP stores uncompressed besides native libraries.
STORED_SUFFIXES = (".arsc", ".png", ".jpg", ".webp", ".ogg", ".mp3", ".wav")


def padding_field(offset_of_extra, alignment):
    """An 0xd935 extra field that makes the data, which follows it, start on `alignment`."""
    # id (2) + size (2) + alignment (2) = 6 bytes at least.
    pad = (alignment - (offset_of_extra + 6) % alignment) % alignment
    return struct.pack("<HHH", ALIGN_FIELD, 2 + pad, alignment) + b"\0" * pad


def main():
    p = argparse.ArgumentParser()
    p.add_argument("--base", required=True)
    p.add_argument("--out", required=True)
    p.add_argument("--add", action="append", default=[])
    p.add_argument("--exclude", action="append", default=[])
    p.add_argument("--deflate-so", action="store_true")
    p.add_argument("--misalign-so", action="store_true")
    args = p.parse_args()

    entries = []  # (name, bytes)
    try:
        with zipfile.ZipFile(args.base) as base:
            for info in base.infolist():
                if info.filename.startswith("META-INF/") or info.filename in args.exclude:
                    continue
                entries.append((info.filename, base.read(info)))
    except (OSError, zipfile.BadZipFile) as e:
        sys.exit("assemble.py: cannot read %s: %s" % (args.base, e))
    for spec in args.add:
        name, sep, path = spec.partition("=")
        if not sep:
            sys.exit("assemble.py: --add needs PATH_IN_APK=FILE, got %s" % spec)
        try:
            with open(path, "rb") as f:
                entries.append((name, f.read()))
        except OSError as e:
            sys.exit("assemble.py: cannot read %s: %s" % (path, e))

    names = [n for n, _ in entries]
    dupes = sorted({n for n in names if names.count(n) > 1})
    if dupes:
        sys.exit("assemble.py: duplicate entries %s" % ", ".join(dupes))
    # The manifest first, as aapt2 writes it; native libraries last (their padding then wastes
    # the least and the small entries stay together).
    entries.sort(key=lambda e: (e[0] != "AndroidManifest.xml", e[0].endswith(".so"), e[0]))

    with zipfile.ZipFile(args.out, "w") as out:
        for name, data in entries:
            info = zipfile.ZipInfo(name, date_time=FIXED_DATE)
            info.external_attr = 0o644 << 16
            is_so = name.endswith(".so")
            stored = (is_so and not args.deflate_so) or name.endswith(STORED_SUFFIXES)
            info.compress_type = zipfile.ZIP_STORED if stored else zipfile.ZIP_DEFLATED
            if stored:
                alignment = SO_ALIGN if is_so else STORED_ALIGN
                offset_of_extra = out.fp.tell() + 30 + len(name.encode("utf-8"))
                info.extra = padding_field(offset_of_extra, alignment)
                if is_so and args.misalign_so:
                    info.extra += struct.pack("<HH", 0xCAFE, 4) + b"\0" * 4
            out.writestr(info, data)


if __name__ == "__main__":
    main()
