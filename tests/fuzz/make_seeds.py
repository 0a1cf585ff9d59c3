#!/usr/bin/python3
"""Writes the seed inputs of the fuzz corpora (tests/fuzz/corpus/<reader>/seed-*), small valid
files of each format and a few near misses. Run once by hand; the campaigns (make fuzz) then
add what they find. Needs Debian's python3 with PIL (python3-pil) and h5py."""
import gzip
import io
import os
import shutil
import struct
import sys

import h5py
import numpy as np
from PIL import Image

root = os.path.join(os.path.dirname(os.path.abspath(__file__)), "corpus")


def put(reader, name, data):
    d = os.path.join(root, reader)
    os.makedirs(d, exist_ok=True)
    with open(os.path.join(d, "seed-" + name), "wb") as f:
        f.write(data)


# IDX: images (3 x 4 x 5) and labels, plain and gzip, and a bad magic.
img = struct.pack(">IIII", 0x803, 3, 4, 5) + bytes((7 * i) % 256 for i in range(60))
lab = struct.pack(">II", 0x801, 4) + bytes([0, 3, 9, 1])
put("idx", "images", img)
put("idx", "images.gz", gzip.compress(img, mtime=0))
put("idx", "labels", lab)
put("idx", "labels.gz", gzip.compress(lab, mtime=0))
put("idx", "two-members.gz", gzip.compress(img[:20], mtime=0) + gzip.compress(img[20:], mtime=0))
put("idx", "truncated", img[:40])

# CIFAR-100: one and two records.
rec = bytes([7, 42]) + bytes((k * 13) % 256 for k in range(3072))
put("cifar", "one", rec)
put("cifar", "two", rec + bytes([19, 99]) + rec[2:])

# JPEG: baseline 4:2:0 / 4:4:4, progressive, grayscale, CMYK, restart markers, odd sizes.
rng = np.random.default_rng(16)


def jpeg(mode, w, h, **kw):
    a = rng.integers(0, 256, size=(h, w, len(mode) if mode != "L" else 1), dtype=np.uint8)
    im = Image.fromarray(a.squeeze(-1) if mode == "L" else a, mode=mode)
    b = io.BytesIO()
    im.save(b, format="JPEG", **kw)
    return b.getvalue()


put("jpeg", "rgb420.jpg", jpeg("RGB", 40, 30, quality=50))
put("jpeg", "rgb444.jpg", jpeg("RGB", 17, 23, quality=90, subsampling=0))
put("jpeg", "progressive.jpg", jpeg("RGB", 33, 9, quality=60, progressive=True))
put("jpeg", "gray.jpg", jpeg("L", 12, 40, quality=70))
put("jpeg", "cmyk.jpg", jpeg("CMYK", 16, 16, quality=70))
put("jpeg", "restart.jpg", jpeg("RGB", 48, 16, quality=40, optimize=True))
put("jpeg", "wide.jpg", jpeg("RGB", 300, 2, quality=30))

# TOML: the shipped configurations and a few constructs.
cfg = os.path.join(os.path.dirname(root), "..", "..", "configs")
for dirpath, _, files in os.walk(cfg):
    for f in sorted(files):
        if f.endswith(".toml"):
            with open(os.path.join(dirpath, f), "rb") as fh:
                put("toml", os.path.basename(dirpath) + "-" + f, fh.read())
put("toml", "constructs.toml", b'a = 1\n[v1]\ntrials = 50\nx = [1.5, 2, "s"]\n[[t]]\nd = 1979-05-27T07:32:00Z\n'
    b'inline = { p = 1, q = [true, false] }\nm = """multi\nline"""\nh = 0xff\n')

# HDF5 result files: the golden file and a minimal one with a schema_version.
golden = os.path.join(os.path.dirname(root), "..", "golden", "regression.h5")
with open(golden, "rb") as fh:
    put("store", "golden.h5", fh.read())
tmp = os.path.join(root, "tmp.h5")
with h5py.File(tmp, "w", libver="earliest") as f:
    f.attrs["schema_version"] = 1
    g = f.create_group("unit")
    g.attrs["status"] = "complete"
    g.create_dataset("x", data=np.arange(4.0))
with open(tmp, "rb") as fh:
    put("store", "minimal.h5", fh.read())
os.remove(tmp)

# Array datasets (--dataset arrays): HDF5 and .npz (stored, deflated), with and without a test split.
def array_seeds():
    x = (np.arange(2 * 1 * 2 * 3) % 5 / 2.0).reshape(2, 1, 2, 3)
    y = np.array([1, 0], "i4")
    with h5py.File(tmp, "w", libver="earliest") as f:
        f["x"] = x.astype("f4")
        f["y"] = y
        f["y"].attrs["classes"] = 3
    with open(tmp, "rb") as fh:
        put("arrays", "images.h5", fh.read())
    with h5py.File(tmp, "w", libver="earliest") as f:
        f["x"] = x.reshape(2, 6)
        f["y"] = y.astype("u1")
        f["x_test"] = x[:1].reshape(1, 6)
        f["y_test"] = y[:1]
    with open(tmp, "rb") as fh:
        put("arrays", "features-test.h5", fh.read())
    os.remove(tmp)
    for name, save in (("stored.npz", np.savez), ("deflated.npz", np.savez_compressed)):
        b = io.BytesIO()
        save(b, x=x.astype("f4"), y=y.astype("i8"), x_test=x[:1], y_test=y[:1])
        put("arrays", name, b.getvalue())


array_seeds()
print("seeds written under", root)
