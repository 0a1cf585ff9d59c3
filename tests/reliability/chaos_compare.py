#!/usr/bin/python3
"""Compares two batchrmt result files for the chaos test (tests/reliability/chaos_test.sh):
every dataset and attribute of the uninterrupted run must be in the resumed one with the same
value, bit for bit (NaN equal to NaN; in strings the resumed file's name reads as the
reference's, e.g. checkpoint paths), except what records when and how fast: attributes and
datasets whose name says so (listed in VOLATILE). Exits 0 when equal, 1 with
the first difference on stderr."""
import sys

import h5py
import numpy as np

# Names whose values are wall-clock or per-invocation records, not results.
VOLATILE = ("time", "seconds", "elapsed", "created", "started", "finished", "date", "host", "pid",
            "command", "provenance", "argv", "resumed", "invocation", "duration", "wall", "utc",
            "per_second")


def volatile(name):
    leaf = name.rsplit("/", 1)[-1].lower()
    return any(v in leaf for v in VOLATILE)


STEMS = ("", "")  # (reference, resumed) file stems: paths derived from --out differ only there


def rename(v):
    if isinstance(v, bytes):
        return v.replace(STEMS[1].encode(), STEMS[0].encode())
    if isinstance(v, str):
        return v.replace(STEMS[1], STEMS[0])
    if isinstance(v, np.ndarray) and v.dtype.kind in "OSU":
        return np.array([rename(x) for x in v.ravel()], dtype=v.dtype).reshape(v.shape)
    return v


def same(a, b):
    a, b = np.asarray(a), np.asarray(rename(b))
    if a.shape != b.shape or a.dtype != b.dtype:
        return False
    if a.dtype.kind in "fc":
        return bool(np.array_equal(a, b, equal_nan=True))
    return bool(np.array_equal(a, b))


def attrs(obj, path, other, problems):
    for k, v in obj.attrs.items():
        if volatile(k):
            continue
        if k not in other.attrs:
            problems.append(f"{path}@{k} missing")
        elif not same(v, other.attrs[k]):
            problems.append(f"{path}@{k}: {v!r} != {other.attrs[k]!r}")


def main(ref_path, got_path):
    global STEMS
    STEMS = (ref_path[:-3], got_path[:-3])
    problems = []
    with h5py.File(ref_path, "r") as ref, h5py.File(got_path, "r") as got:
        attrs(ref, "/", got, problems)
        names = []
        ref.visit(names.append)
        for name in names:
            if volatile(name):
                continue
            if name not in got:
                problems.append(f"/{name} missing")
                continue
            r, g = ref[name], got[name]
            if isinstance(r, h5py.Dataset):
                if not same(r[()], g[()]):
                    problems.append(f"/{name} differs")
            attrs(r, "/" + name, g, problems)
    if problems:
        print(f"{got_path} differs from {ref_path}: " + "; ".join(problems[:5]), file=sys.stderr)
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1], sys.argv[2]))
