"""Sections `mpi` and `devicebasis` of benchmarks/idle_harness.py: data-parallel full-data curvature
over MPI ranks against 1 rank x 1 thread, and the vgg16bn Lanczos step with the basis on the host
against the basis on the device (LibTorch tensors; on a CPU both live in host memory)."""
import glob
import json
import os
import shutil
import tempfile

from idle_common import PY, flag, med, run_once, run_process, wanted
from idle_layers import run_rounds

MPIRUN = ["mpirun", "--allow-run-as-root", "--oversubscribe"]

# ------------------------------------------------------------------ mpi

# Reads one `batchrmt spectrum` file: seconds per full-data product (rank 0's operator_seconds /
# applications: its shard, the broadcast of x and the reduction of y) and P.
READ_SPECTRUM = ("import h5py, json, sys; f = h5py.File(sys.argv[1], 'r'); a = f['spectrum/full'].attrs; "
                 "print(json.dumps({'per': float(a['operator_seconds']) / float(a['applications']), "
                 "'P': int(f['spectrum'].attrs['P'])}))")


def mpi_case(a, log, work, ranks, threads):
    """One configuration in one job: `batchrmt spectrum --batch-sizes full`, peak RSS per rank by /usr/bin/time."""
    out = os.path.join(work, f"r{ranks}t{threads}.h5")
    args = [os.path.join(a.build, "batchrmt"), "spectrum", "--model", "lenet", "--dataset", "fashion-mnist",
            "--batch-sizes", "full", "--lanczos-steps", "2", "--threads", str(threads), "--quiet", "--overwrite",
            "--out", out] + (["--train-subset", "512"] if a.smoke else [])
    for old in glob.glob(os.path.join(work, "rss.*")):
        os.remove(old)
    if ranks == 1:
        cmd = ["/usr/bin/time", "-f", "%M", "-o", os.path.join(work, "rss.0")] + args
    else:
        cmd = MPIRUN + ["-np", str(ranks), "sh", "-c",
                        f"/usr/bin/time -f %M -o {work}/rss.$OMPI_COMM_WORLD_RANK " + " ".join(args)]
    # Minutes a process: one rerun at most when the host was contended.
    _, rec = run_process(cmd, env=dict(os.environ, OMP_WAIT_POLICY="PASSIVE"), timeout=1800, retries=1)
    h5, _ = run_once([PY, "-c", READ_SPECTRUM, out], None, 60)
    r = json.loads(h5)
    rec["value"], rec["P"] = r["per"], r["P"]
    rec["rss_mib"] = max([int(open(p).read().split()[-1]) / 1024 for p in glob.glob(os.path.join(work, "rss.*"))] or [0])
    log.add(f"MPI {ranks} ranks x {threads} threads, full-data HVP", rec)
    return rec


def reproduce_case(a, log, work, config):
    """The default job (`batchrmt reproduce`, no plots), wall seconds of the whole process."""
    ranks, threads = config
    cmd = [os.path.join(a.build, "batchrmt"), "--threads", str(threads), "reproduce", "--no-plots", "--out",
           os.path.join(work, f"rep{ranks}x{threads}.h5")]
    _, rec = run_process((MPIRUN + ["-np", str(ranks)] if ranks > 1 else []) + cmd, timeout=3600, retries=1)
    rec["value"] = rec["wall"]
    log.add(f"reproduce {ranks} x {threads}", rec)
    return rec


def section_mpi(a, log):
    if shutil.which("mpirun") is None or not os.access("/usr/bin/time", os.X_OK):
        return {"skipped": True}, ["Skipped: this machine has no mpirun or no /usr/bin/time (scripts/install-deps.sh "
                                   "installs OpenMPI; Debian package time)."]
    cores = os.cpu_count()
    configs = [(1, 1)] + [c for r in range(2, cores + 1) for c in ((1, r), (r, 1))]
    configs = [c for c in configs if c == (1, 1) or wanted(a, f"mpi {c[0]}x{c[1]}")]
    work = tempfile.mkdtemp(prefix="batchrmt-mpi-")
    try:
        runs = run_rounds(a, configs, lambda c: mpi_case(a, log, work, *c))
        base = med([r["value"] for r in runs[(1, 1)]])
        lines = [f"lenet (float64), full-data Hessian-vector product over all {'512 (smoke run)' if a.smoke else '60,000'} "
                 "Fashion-MNIST training images, chunks of 512; per product = rank 0's operator_seconds / "
                 "applications of a 2-step Lanczos run; speed-up against 1 x 1 in the same run:", "",
                 "| ranks x threads | s per full-data HVP | speed-up vs 1 x 1 | peak RSS per rank (MiB) | "
                 "sent + received per rank per HVP (MiB) | runs s |", "|---|---|---|---|---|---|"]
        for (ranks, threads), rs in runs.items():
            t, P = med([r["value"] for r in rs]), rs[0]["P"]
            volume = 0.0 if ranks == 1 else 2 * 8 * P / 2**20  # x broadcast + y reduced, float64
            lines.append(f"| {ranks} x {threads} | {t:.3f}{flag(rs)} | **{base / t:.2f}** | "
                         f"{med([r['rss_mib'] for r in rs]):.0f} | {volume:.2f} (P = {P}) | "
                         + ", ".join(f"{r['value']:.3f}" for r in rs) + " |")
        data = {"runs": {f"{r}x{t}": v for (r, t), v in runs.items()}}
        if a.long and not a.smoke:
            rep = run_rounds(a, [(1, 1), (1, cores), (cores, 1)], lambda c: reproduce_case(a, log, work, c))
            lines += ["", "| default job (configs/default.toml, no plots) | wall s | runs s |", "|---|---|---|"]
            for (ranks, threads), rs in rep.items():
                what = f"{ranks} ranks x 1 thread (mpirun)" if ranks > 1 else f"1 process x {threads} thread(s)"
                lines.append(f"| {what} | {med([r['value'] for r in rs]):.0f}{flag(rs)} | "
                             + ", ".join(f"{r['value']:.0f}" for r in rs) + " |")
            data["reproduce"] = {f"{r}x{t}": v for (r, t), v in rep.items()}
        return data, lines
    finally:
        shutil.rmtree(work, ignore_errors=True)


# ------------------------------------------------------------------ devicebasis


def basis_case(a, log, basis):
    """`batchrmt bench curvature` with the Lanczos basis on `basis` (host | device), 2 threads."""
    model, steps = ("lenet", "3") if a.smoke else ("vgg16bn", "20")
    cmd = [os.path.join(a.build, "batchrmt"), "--json", "--threads", "2", "bench", "curvature", "--model", model,
           "--batch", "8", "--repeats", "2", "--lanczos-steps", steps, "--lanczos-basis", basis]
    out, rec = run_process(cmd, env=dict(os.environ, OMP_WAIT_POLICY="PASSIVE"))
    rec["json"] = j = json.loads(out)
    rec["value"] = j["lanczos_step_ms"]
    log.add(f"bench curvature {model}, basis {basis}", rec)
    return rec


def section_devicebasis(a, log):
    bases = [b for b in ("host", "device") if wanted(a, f"basis {b}")]
    runs = {b: [] for b in bases}
    for rep in range(a.reps):  # alternating rounds: host, device; device, host; ...
        for b in (bases if rep % 2 == 0 else bases[::-1]):
            runs[b].append(basis_case(a, log, b))
    first = next(iter(runs.values()))[0] if bases else {"cmd": "", "json": {}}
    command = first["cmd"].split("bench curvature")[-1].rsplit(" ", 1)[0]
    lines = [f"`batchrmt --threads 2 bench curvature{command} host|device` (P = {first['json'].get('parameters', '?')}, "
             f"{first['json'].get('lanczos_basis_dtype', '?')} basis), alternating rounds:", "",
             "| basis | round | step ms | of which HVP ms | of which reorth. ms |", "|---|---|---|---|---|"]
    for b, rs in runs.items():
        for i, r in enumerate(rs):
            j = r["json"]
            lines.append(f"| {b} | {i + 1}{flag([r])} | {j['lanczos_step_ms']:.0f} | {j['lanczos_step_hvp_ms']:.0f} | "
                         f"{j['lanczos_step_reorth_ms']:.0f} |")
        lines.append(f"| {b} | **median** | **{med([r['json']['lanczos_step_ms'] for r in rs]):.0f}** | "
                     f"{med([r['json']['lanczos_step_hvp_ms'] for r in rs]):.0f} | "
                     f"{med([r['json']['lanczos_step_reorth_ms'] for r in rs]):.0f} |")
    if len(runs) == 2:
        ratio = med([r["value"] for r in runs["device"]]) / med([r["value"] for r in runs["host"]])
        lines += ["", f"Device basis / host basis, median step: **{ratio:.2f}**."]
    return {"runs": runs}, lines
