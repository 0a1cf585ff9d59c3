#!/usr/bin/python3
"""The README runs as written: its examples are executed or checked against the repository.

Usage: readme_examples_test.py --binary BUILD/batchrmt [--source-dir REPO]
(registered in CTest as docs.readme_examples, label docs; tests/CMakeLists.txt).

What is checked, per fenced block and for the prose:
  - ```python blocks: run with this interpreter (Debian's /usr/bin/python3, which has h5py) in a
    temporary folder where results/reproduce.h5 is a real result file written by the binary
    under test (`reproduce --only V1` with a small [v1] config: about a second); each must exit 0.
  - the ```sh block under "## Using it": every line starting with build/release/batchrmt is run
    (the path replaced by the binary under test) in that folder, in order, so `inspect` reads the
    file `reproduce` wrote. Each must exit 0; `--version --json` must print a JSON object with
    version and git_sha. The full default job takes minutes, so a `reproduce` line is run as
    written plus `--only V1 --config SMALL.toml` (same options, same output path, V1 only).
  - the other shell blocks (top `make` block, "Building by hand") are not run (they install and
    build); every `make TARGET` and `--preset NAME` the README names must exist in the Makefile
    and CMakePresets.json.
  - every repository path the README names (scripts/..., benchmarks/..., tests/..., configs/...,
    docs/..., the layer folders; `<name>` placeholders as wildcards) exists, and no path leaves
    the repository (../): the README must stand alone.
  - every relative markdown link points to an existing file.
Exit status: 0 all hold, 1 something does not (each failure printed), 77 (skipped, CTest
SKIP_RETURN_CODE) only when every other check held but this interpreter lacks h5py.
"""
import argparse
import glob
import json
import os
import re
import shlex
import subprocess
import sys
import tempfile

README_BINARY = "build/release/batchrmt"
# V1 (exact GOE trace identity) at a small size: the cheapest real unit of `reproduce`.
SMALL_CONFIG = "[v1]\nn = 100\nsigma = 1.0\ntrials = 50\n"
# Folders whose paths the README may name; each must exist in the repository.
REPO_PREFIXES = ("scripts", "benchmarks", "tests", "configs", "docs", "core", "theory", "spectral",
                 "simulate", "networks", "outputs", "verify", "apps", "cmake")

failures = []


def fail(msg):
    failures.append(msg)
    print("FAIL: " + msg)


def ok(msg):
    print("ok:   " + msg)


def fenced_blocks(text):
    """(language, body, heading) for each ``` fenced block, heading = the last '## ' above it."""
    blocks, heading, lang, body = [], "", None, []
    for line in text.splitlines():
        if lang is None:
            if line.startswith("## "):
                heading = line[3:].strip()
            m = re.match(r"^```(\w*)\s*$", line)
            if m:
                lang, body = m.group(1), []
        elif line.startswith("```"):
            blocks.append((lang, "\n".join(body) + "\n", heading))
            lang = None
        else:
            body.append(line)
    if lang is not None:
        fail("README.md: unterminated ``` block")
    return blocks


def run(argv, cwd, timeout=120):
    try:
        return subprocess.run(argv, cwd=cwd, capture_output=True, text=True, timeout=timeout)
    except subprocess.TimeoutExpired:
        return subprocess.CompletedProcess(argv, 124, "", "timed out after %d s" % timeout)


def show(p):
    out = (p.stdout + p.stderr).strip()
    return ("\n    " + out[-2000:].replace("\n", "\n    ")) if out else ""


def check_make_and_presets(text, src):
    makefile = open(os.path.join(src, "Makefile"), encoding="utf-8").read()
    targets = set(re.findall(r"^([A-Za-z0-9_.-]+)\s*:(?!=)", makefile, re.M))
    for t in sorted(set(re.findall(r"(?:^|`)make\s+([a-z][a-z0-9_-]*)", text, re.M))):
        if t in targets:
            ok("make target %s exists" % t)
        else:
            fail("README names `make %s`, but the Makefile has no target %s" % (t, t))

    presets = json.load(open(os.path.join(src, "CMakePresets.json"), encoding="utf-8"))
    kinds = {k: {p["name"] for p in presets.get(k + "Presets", []) if not p.get("hidden")}
             for k in ("configure", "build", "test")}
    # `cmake --preset a | b` names alternatives a and b.
    for m in re.finditer(r"\b(cmake --build|cmake|ctest) --preset\s+(\w+(?:\s*\|\s*\w+)*)", text):
        kind = {"cmake --build": "build", "cmake": "configure", "ctest": "test"}[m.group(1)]
        for name in re.split(r"\s*\|\s*", m.group(2)):
            if name in kinds[kind]:
                ok("%s preset %s exists" % (kind, name))
            else:
                fail("README names `%s --preset %s`, but CMakePresets.json has no %s preset %s"
                     % (m.group(1), name, kind, name))


def check_paths_and_links(text, src):
    path_re = re.compile(r"(?<![\w./<>-])((?:%s)/[\w./<>*-]*)" % "|".join(REPO_PREFIXES))
    for p in sorted({p.rstrip(".") for p in path_re.findall(text)}):
        pattern = re.sub(r"<[^>]*>", "*", p)
        if glob.glob(os.path.join(src, pattern)):
            ok("path %s exists" % p)
        else:
            fail("README names %s, which is not in the repository" % p)
    for m in re.finditer(r"(?<![\w])\.\./[^\s`)]*", text):
        fail("README names %s, outside the repository: the README must stand alone" % m.group(0))

    for target in sorted(set(re.findall(r"\]\(([^)\s]+)\)", text))):
        if re.match(r"^[a-z][a-z0-9+.-]*:", target) or target.startswith("#"):
            continue
        path = target.split("#", 1)[0]
        if os.path.exists(os.path.normpath(os.path.join(src, path))):
            ok("link %s resolves" % target)
        else:
            fail("README links to %s, which does not exist" % target)


def make_result_file(binary, work):
    """results/reproduce.h5 in work, as `make reproduce` leaves it (V1 only, small)."""
    p = run([binary, "reproduce", "--only", "V1", "--config", "small.toml", "--no-plots",
             "--out", "results/reproduce.h5"], work)
    if p.returncode != 0:
        fail("could not write results/reproduce.h5 (exit %d)%s" % (p.returncode, show(p)))
        return False
    return True


def check_using_it_block(blocks, binary, work):
    sh = [b for lang, b, h in blocks if lang == "sh" and h == "Using it"]
    if len(sh) != 1:
        fail("expected one ```sh block under '## Using it', found %d" % len(sh))
        return
    lines = [l.strip() for l in sh[0].splitlines() if l.strip().startswith(README_BINARY)]
    if not lines:
        fail("the '## Using it' block has no %s line" % README_BINARY)
    for line in lines:
        argv = shlex.split(line, comments=True)
        argv[0] = binary
        if "reproduce" in argv[1:]:
            # The default job takes minutes: same options and output path, V1 only, small config.
            argv += ["--only", "V1", "--config", "small.toml"]
        p = run(argv, work)
        if p.returncode != 0:
            fail("`%s` exited %d%s" % (line, p.returncode, show(p)))
            continue
        if "--version" in argv and "--json" in argv:
            try:
                obj = json.loads(p.stdout)
                missing = [k for k in ("version", "git_sha") if not obj.get(k)]
                if missing:
                    fail("`%s` printed %r: no %s" % (line, p.stdout.strip(), ", ".join(missing)))
                    continue
            except ValueError:
                fail("`%s` did not print JSON: %r" % (line, p.stdout.strip()))
                continue
        ok("`%s` exits 0" % line)


def check_python_blocks(blocks, work):
    py = [(b, h) for lang, b, h in blocks if lang == "python"]
    if not py:
        fail("README.md has no ```python block")
    for i, (body, heading) in enumerate(py):
        path = os.path.join(work, "readme_block_%d.py" % i)
        with open(path, "w", encoding="utf-8") as f:
            f.write(body)
        p = run([sys.executable, path], work)
        if p.returncode != 0:
            fail("README python block %d (under '## %s') exited %d:\n%s%s"
                 % (i + 1, heading, p.returncode, body, show(p)))
        else:
            ok("python block %d runs against results/reproduce.h5" % (i + 1))


def main():
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--binary", required=True, help="the batchrmt binary under test")
    ap.add_argument("--source-dir", default=os.path.join(os.path.dirname(__file__), "..", ".."))
    args = ap.parse_args()
    src = os.path.abspath(args.source_dir)
    binary = os.path.abspath(args.binary)
    text = open(os.path.join(src, "README.md"), encoding="utf-8").read()
    blocks = fenced_blocks(text)

    check_make_and_presets(text, src)
    check_paths_and_links(text, src)

    try:
        import h5py  # noqa: F401
        have_h5py = True
    except ImportError:
        have_h5py = False
    with tempfile.TemporaryDirectory(prefix="batchrmt-readme-") as work:
        with open(os.path.join(work, "small.toml"), "w", encoding="utf-8") as f:
            f.write(SMALL_CONFIG)
        check_using_it_block(blocks, binary, work)
        if have_h5py and make_result_file(binary, work):
            check_python_blocks(blocks, work)

    if failures:
        print("\n%d README check(s) failed" % len(failures))
        return 1
    if not have_h5py:
        print("SKIPPED: the python blocks need h5py, which %s lacks" % sys.executable)
        return 77
    print("\nREADME: every example runs and every name it cites exists")
    return 0


if __name__ == "__main__":
    sys.exit(main())
