#!/usr/bin/python3
"""Figures of a batchrmt run, drawn from its HDF5 file alone.

Usage: /usr/bin/python3 outputs/plot_report.py RUN.h5 OUTDIR
Writes OUTDIR/<ID>_<what>.png for every check and claim present in the file (layout:
docs/hdf5-schema.md). Needs h5py, numpy and matplotlib (Debian: python3-h5py,
python3-numpy, python3-matplotlib).
"""
import os
import re
import sys

import h5py
import numpy as np
import matplotlib

matplotlib.use("Agg")
import matplotlib.pyplot as plt  # noqa: E402


def series(g, name):
    return np.asarray(g["series"][name][:]) if "series" in g and name in g["series"] else None


def scalar(g, name, default=np.nan):
    return float(g.attrs.get("scalar." + name, default))


def save(fig, outdir, name):
    fig.tight_layout()
    path = os.path.join(outdir, name + ".png")
    fig.savefig(path, dpi=110)
    plt.close(fig)
    print(path)


def verdict_title(g):
    return f"{g.attrs['check_id']}: verdict {g.attrs['verdict']}"


def label_panel(ax, xlabel, ylabel, title=None, title_size=9):
    """A panel's axis labels, its title (when given) and its legend."""
    ax.set_xlabel(xlabel)
    ax.set_ylabel(ylabel)
    if title is not None:
        ax.set_title(title, fontsize=title_size)
    ax.legend(fontsize=8)


def finish(fig, g, outdir, name):
    """The check's verdict as the figure's title, then the figure saved as NAME.png."""
    fig.suptitle(verdict_title(g), fontsize=10)
    save(fig, outdir, name)


def plot_extremes_vs_b(g, outdir, prefix, name, theory_top="theory_top", theory_bottom="theory_bottom", bottom=True):
    B = series(g, prefix + "B")
    fig, axes = plt.subplots(1, 2 if bottom else 1, figsize=(11 if bottom else 6, 4.2), squeeze=False)
    panels = [("top", theory_top, "largest eigenvalue $\\lambda'_1$ of $H_B$")]
    if bottom:
        panels.append(("bottom", theory_bottom, "smallest eigenvalue $\\lambda'_P$ of $H_B$"))
    for ax, (key, theory, label) in zip(axes[0], panels):
        ax.errorbar(B, series(g, prefix + key + "_mean"), yerr=series(g, prefix + key + "_se"), fmt="o", capsize=3,
                    label="measured (mean ± s.e. over subsets)")
        t = series(g, theory)
        if t is not None:
            ax.plot(B, t, "-", label="theory (from $H_{emp}$ spikes)")
        emp = scalar(g, prefix + "empirical_" + key)
        if np.isfinite(emp):
            ax.axhline(emp, color="grey", ls=":", label="$H_{emp}$ (B = N)")
        ax.set_xscale("log")
        label_panel(ax, "batch size B", label)
    finish(fig, g, outdir, name)


def plot_c2(g, outdir):
    fig, axes = plt.subplots(1, 3, figsize=(15, 4.4))
    k = series(g, "outlier_kappa")
    lam = scalar(g, "outlier_empirical_top")
    shift = series(g, "outlier_top_mean") - lam
    se = series(g, "outlier_top_se")
    m = k > 0
    ax = axes[0]
    ax.errorbar(k[m], shift[m], yerr=se[m], fmt="o", capsize=3, label="measured $\\lambda'_1-\\lambda_1$")
    ax.plot(k[m], scalar(g, "outlier_slope_theory") * k[m], "-", label="Theorem A: $P s^2 \\kappa_B/\\lambda_1$")
    ax.set_xscale("log")
    ax.set_yscale("symlog", linthresh=1e-3)
    label_panel(ax, "$\\kappa_B=(N-B)/(B(N-1))$", "outlier shift $\\lambda'_1-\\lambda_1$",
                f"above threshold: exponent {scalar(g, 'outlier_exponent'):.3f} ± {scalar(g, 'outlier_exponent_se'):.3f} (theory 1)")
    ax = axes[1]
    k = series(g, "edge_kappa")
    m = k > 0
    ax.errorbar(k[m], series(g, "edge_top_mean")[m], yerr=series(g, "edge_top_se")[m], fmt="o", capsize=3, label="measured top (no spike)")
    ax.plot(k[m], series(g, "edge_theory_top")[m], "-", label="edge $2\\sqrt{P s^2 \\kappa_B}$")
    ax.set_xscale("log")
    ax.set_yscale("log")
    label_panel(ax, "$\\kappa_B$", "largest eigenvalue $\\lambda'_1$",
                f"below threshold: exponent {scalar(g, 'edge_exponent'):.3f} ± {scalar(g, 'edge_exponent_se'):.3f} (theory 0.5)")
    ax = axes[2]
    B = series(g, "crossing_B")
    ax.errorbar(B, series(g, "crossing_top_mean"), yerr=series(g, "crossing_top_se"), fmt="o", capsize=3, label="measured")
    ax.plot(B, series(g, "crossing_theory_top"), "-", label="Theorem A (outlier or edge)")
    ax.axvline(scalar(g, "crossing_B_theory"), color="red", ls="--", label="BBP threshold (theory)")
    ax.set_xscale("log")
    label_panel(ax, "batch size B", "largest eigenvalue $\\lambda'_1$", "threshold crossing")
    finish(fig, g, outdir, "C2_scaling")


def plot_c3(g, outdir):
    fig, axes = plt.subplots(1, 2, figsize=(11, 4.2))
    for ax, key, qve, hom, title in [
        (axes[0], "top_spiked", scalar(g, "qve_outlier"), scalar(g, "homogeneous_outlier"), "spiked: outlier"),
        (axes[1], "top_plain", scalar(g, "qve_edge_expected_top"), scalar(g, "homogeneous_edge_expected_top"), "no spike: edge"),
    ]:
        x = series(g, key)
        ax.hist(x, bins=25, color="lightsteelblue", edgecolor="white", label="measured (per matrix)")
        ax.axvline(np.mean(x), color="k", label="measured mean")
        ax.axvline(qve, color="tab:green", ls="--", label="QVE prediction")
        ax.axvline(hom, color="tab:red", ls=":", label="homogeneous (same mean variance)")
        label_panel(ax, "largest eigenvalue", "matrices", title)
    finish(fig, g, outdir, "C3_field_dependence")


def plot_v1(g, outdir):
    x = series(g, "trace_w2")
    fig, ax = plt.subplots(figsize=(6, 4))
    ax.hist(x, bins=25, color="lightsteelblue", edgecolor="white", label="tr $W^2$ per matrix")
    ax.axvline(g.attrs["prediction"], color="tab:green", ls="--", label="$\\sigma^2(n+1)$")
    ax.axvline(np.mean(x), color="k", label="mean")
    label_panel(ax, "tr $W^2$", "matrices", verdict_title(g), title_size=10)
    save(fig, outdir, "V1_trace")


def plot_v2(g, outdir):
    x, d, se = series(g, "slq_grid"), series(g, "slq_density"), series(g, "slq_density_se")
    fig, ax = plt.subplots(figsize=(6.5, 4.2))
    ev = series(g, "exact_eigenvalues")
    if ev is not None:
        ax.hist(ev, bins=60, density=True, color="lightgrey", edgecolor="white", label="exact eigenvalues (histogram)")
    ax.plot(x, d, "-", color="tab:blue", label=f"SLQ density (Gaussian sd {scalar(g, 'kernel_sd'):.2g})")
    if se is not None:
        ax.fill_between(x, d - 2 * se, d + 2 * se, color="tab:blue", alpha=0.2, label="± 2 s.e. over probes")
    t = np.linspace(-2, 2, 400)
    ax.plot(t, np.sqrt(np.maximum(4 - t * t, 0)) / (2 * np.pi), "--", color="tab:green", label="semicircle")
    label_panel(ax, "eigenvalue", "spectral density", verdict_title(g), title_size=10)
    save(fig, outdir, "V2_slq_density")


def plot_v3(g, outdir):
    x = series(g, "rescaled_top")
    fig, ax = plt.subplots(figsize=(6, 4))
    ax.hist(x, bins=40, density=True, color="lightsteelblue", edgecolor="white", label="$n^{2/3}(\\lambda_{max}-2)$")
    grid, pdf = series(g, "tw1_grid"), series(g, "tw1_pdf")
    if grid is not None:
        ax.plot(grid, pdf, "-", color="tab:green", label="Tracy–Widom $F_1$ density")
    label_panel(ax, "rescaled largest eigenvalue", "density", verdict_title(g), title_size=10)
    save(fig, outdir, "V3_tracy_widom")


def plot_c5(g, outdir):
    listed = g.attrs.get("label.cases", "linear_init,lenet_trained")
    if isinstance(listed, bytes):
        listed = listed.decode()
    labels = [c for c in listed.split(",") if c and series(g, c + "_B") is not None]
    if not labels:
        return
    # One panel per network case; a case measured at several checkpoints (labels <case>_e<epoch>)
    # draws every epoch in its panel, coloured by epoch (the paper's protocol: 13 checkpoints).
    groups = {}
    for label in labels:
        match = re.match(r"^(.*)_e(\d+)$", label)
        case, epoch = (match.group(1), int(match.group(2))) if match else (label, None)
        groups.setdefault(case, []).append((epoch, label))
    columns = min(len(groups), 3)
    rows = (len(groups) + columns - 1) // columns
    fig, axes = plt.subplots(rows, columns, figsize=(6 * columns, 4.4 * rows), squeeze=False)
    for ax in axes.flat[len(groups):]:
        ax.set_visible(False)
    for ax, (case, members) in zip(axes.flat, groups.items()):
        several = len(members) > 1
        colours = plt.cm.viridis(np.linspace(0, 0.9, len(members)))
        for colour, (epoch, label) in zip(colours, members):
            B = series(g, label + "_B")
            m = series(g, label + "_kappa") > 0  # the full-data row (kappa = 0) is drawn as a line
            top = series(g, label + "_top_mean")
            tag = f"epoch {epoch}: " if several else ""
            ax.errorbar(B[m], top[m], yerr=series(g, label + "_top_se")[m], fmt="o", capsize=3,
                        color=colour if several else None,
                        label=tag + "measured $\\lambda'_1(B)$" + ("" if several else " (Lanczos, mean ± s.e. over subsets)"))
            ax.plot(B[m], series(g, label + "_predicted_top")[m], "-", color=colour if several else None,
                    label=tag + "$\\lambda+\\kappa_B V_\\phi/\\lambda$" + ("" if several else " (first order)"))
            if not several:
                ax.plot(B[m], series(g, label + "_predicted_top_second")[m], "--", label="refined second order")
                thr = series(g, label + "_threshold_top")
                if thr is not None:
                    ax.plot(B[m], thr[m], ":", color="tab:red", label="threshold (BBP) form: edge $2\\sqrt{\\kappa_B V_\\phi}$ above $q=1$")
                verdicts = {p: g.attrs.get(f"label.{label}_part_{p}_verdict", "") for p in "abc"}
                verdicts = {p: (v.decode() if isinstance(v, bytes) else v) for p, v in verdicts.items()}
                if any(verdicts.values()):
                    ax.text(0.02, 0.02, "\n".join(f"({p}) {v}" for p, v in verdicts.items()), transform=ax.transAxes,
                            fontsize=7, va="bottom")
                ax.axhline(scalar(g, label + "_lambda_full"), color="grey", ls=":", label="full-data $\\lambda_1$")
                for b, qq, t in zip(B[m], series(g, label + "_q")[m], top[m]):
                    ax.annotate(f"q={qq:.2g}", (b, t), textcoords="offset points", xytext=(4, 6), fontsize=7)
        ax.set_xscale("log")
        if several:
            ax.set_yscale("log")
        ax.set_xlabel("batch size B")
        ax.set_ylabel("top Hessian eigenvalue (loss curvature)")
        ax.set_title(case.replace("_", " ") + (" (dots measured, lines first-order prediction)" if several else ""),
                     fontsize=9)
        ax.legend(fontsize=6 if several else 7, ncol=2 if len(members) > 4 else 1)
    fig.suptitle(verdict_title(g) + "  (q = kappa V_phi / lambda^2; (b) q <= 0.5, (c) q > 0.5)", fontsize=10)
    save(fig, outdir, "C5_real_networks")


def plot_lr(g, outdir, prefixes, name):
    fig, axes = plt.subplots(1, len(prefixes), figsize=(6.5 * len(prefixes), 4.6), squeeze=False)
    for ax, (prefix, title) in zip(axes[0], prefixes):
        B = series(g, prefix + "B")
        factors = series(g, prefix + "factors")
        if B is None or factors is None:
            continue
        # lr_max per divergence factor (the rule as a sensitivity), with its bracket.
        for k, f in enumerate(factors):
            tag = f"_f{f:.4g}"
            mx, lo, hi = (series(g, prefix + w + tag) for w in ("lr_max", "lr_lo", "lr_hi"))
            if mx is None:
                continue
            shift = 1.0 + 0.04 * (k - (len(factors) - 1) / 2)  # side by side on the log axis
            ax.errorbar(B * shift, mx, yerr=[np.maximum(mx - lo, 0), np.maximum(hi - mx, 0)], fmt="o", capsize=2,
                        label=f"measured lr_max, divergence factor {f:g}")
        ax.plot(B, series(g, prefix + "predicted"), "-", label="2(1+rho)/lambda'_1(B) (batch spectrum)")
        ms = series(g, prefix + "mean_square")
        if ms is not None:
            ax.plot(B, ms, "--", label="mean-square bound (lambda + kappa V_phi / lambda)")
        null = series(g, prefix + "null")
        if null is not None:
            ax.plot(B, null, ":", color="grey", label="no batch effect (full-data lambda)")
        slope = scalar(g, prefix + "slope_asymptotic_f2")
        slope_se = scalar(g, prefix + "slope_asymptotic_se_f2")
        va = g.attrs.get(f"label.{prefix}part_a_verdict", b"")
        vb = g.attrs.get(f"label.{prefix}part_b_verdict", b"")
        va, vb = (v.decode() if isinstance(v, bytes) else v for v in (va, vb))
        ax.set_xscale("log")
        ax.set_yscale("log")
        ax.set_xlabel("batch size B")
        ax.set_ylabel("largest stable learning rate")
        ax.set_title(f"{title}: (a) {va}, (b) {vb}; slope where q>=4: {slope:.2f} ± {slope_se:.2f}", fontsize=8)
        ax.legend(fontsize=6)
    finish(fig, g, outdir, name)


def plot_c4(g, outdir):
    """C4: the GGN top against B, and the lower edge with its two predictions."""
    B = series(g, "B")
    fig, axes = plt.subplots(1, 2, figsize=(11, 4.2))
    ax = axes[0]
    ax.errorbar(B, series(g, "top_mean"), yerr=series(g, "top_se"), fmt="o", capsize=3,
                label="measured (mean ± s.e. over subsets)")
    if series(g, "theory_top") is not None:
        ax.plot(B, series(g, "theory_top"), "-", label="spiked covariance, $\\gamma_B = P\\kappa_B/C$")
    ax.set_xscale("log")
    label_panel(ax, "batch size B", "largest eigenvalue of $G_B$", f"top: {g.attrs.get('label.verdict_top', '')}")
    ax = axes[1]
    judged = series(g, "bottom_judged")
    keep = judged > 0 if judged is not None else np.ones(len(B), bool)
    ax.errorbar(B[keep], series(g, "bottom_mean")[keep], yerr=series(g, "bottom_se")[keep], fmt="o", capsize=3,
                label="measured (judged B)")
    ax.plot(B[~keep], series(g, "bottom_mean")[~keep], "x", color="grey", label="measured (not judged)")
    pop = series(g, "theory_bottom_population")
    if pop is not None:
        ax.plot(B, pop, "-", label="population $\\Sigma$, m = B C (finite-m TW mean)")
        ax.plot(B, series(g, "theory_bottom_population_edge"), ":", color="tab:orange", label="population, asymptotic edge")
        ax.plot(B, series(g, "theory_bottom_kappa"), "--", label="$\\kappa_B$ substitution (from $G_{emp}$)")
    ax.set_xscale("log")
    label_panel(ax, "batch size B", "smallest eigenvalue of $G_B$",
                f"lower edge: {g.attrs.get('label.verdict_lower_edge', '')}")
    finish(fig, g, outdir, "C4_ggn_top_vs_B")


def plot_c8(g, outdir):
    fig, axes = plt.subplots(1, 3, figsize=(15, 4.2))
    lrs = series(g, "learner_lr")
    if lrs is not None:
        ep = series(g, "learner_epoch")
        ep = ep if ep is not None else np.arange(1, len(lrs) + 1)
        axes[0].plot(ep, lrs, "o-", label="learner lr")
        axes[0].plot(ep, series(g, "learner_momentum"), "s--", label="learner momentum")
        axes[0].axhline(scalar(g, "baseline_best_lr"), color="grey", ls=":", label="tuned SGD lr")
        axes[0].set_yscale("log")
        axes[0].set_xlabel("epoch (seed 0)")
        axes[0].set_ylabel("value")
        axes[0].legend(fontsize=8)
    # Stability margins of every update, every seed (heavy ball stable below 1).
    ax = axes[1]
    mar = g["matrices"]["learner_margin_per_seed"][:] if "matrices" in g and "learner_margin_per_seed" in g["matrices"] else None
    mms = g["matrices"]["learner_margin_mean_square_per_seed"][:] if mar is not None else None
    if mar is not None:
        ep = np.arange(1, mar.shape[1] + 1)
        for s in range(mar.shape[0]):
            ax.plot(ep, mar[s], "o-", color="tab:blue", alpha=0.8,
                    label="lr L / (2(1+ρ))" if s == 0 else None)
            ax.plot(ep, mms[s], "s--", color="tab:red", alpha=0.8,
                    label="lr (L + κ$_B$ V$_φ$/L) / (2(1+ρ))" if s == 0 else None)
        ax.axhline(1.0, color="black", lw=1, label="stability limit")
        de = scalar(g, "diverged_epoch")
        if np.isfinite(de):
            ax.axvline(de, color="grey", ls=":", label=f"diverged (epoch {de:.0f})")
        label_panel(ax, "epoch", "stability margin", f"margins per update ({mar.shape[0]} seeds)")
    labels = ["tuned SGD", "learner"]
    acc = [scalar(g, "baseline_test_accuracy"), scalar(g, "learner_test_accuracy")]
    err = [scalar(g, "baseline_test_accuracy_se", 0.0), scalar(g, "learner_test_accuracy_se", 0.0)]
    err = [e if np.isfinite(e) else 0.0 for e in err]
    axes[2].bar(labels, acc, yerr=err, capsize=4, color=["tab:blue", "tab:orange"])
    for i, a in enumerate(acc):
        axes[2].text(i, a, f"{a:.3f}", ha="center", va="bottom", fontsize=9)
    axes[2].set_ylabel("test accuracy (± between-seed s.e.)")
    axes[2].set_title(f"lr trials: tuned SGD {scalar(g, 'baseline_trials'):.0f}, learner {scalar(g, 'learner_trials'):.0f}; "
                      f"raw z {scalar(g, 'raw_z'):.2f}", fontsize=9)
    finish(fig, g, outdir, "C8_learner")


# The figure of each check, by its check_id.
PLOTS = {
    "C1": lambda g, outdir: plot_extremes_vs_b(g, outdir, "", "C1_extremes_vs_B"),
    "C2": plot_c2,
    "C3": plot_c3,
    "C4": plot_c4,
    "C5": plot_c5,
    "C6": lambda g, outdir: plot_lr(g, outdir, [("", "SGD")], "C6_sgd_lr_vs_B"),
    "C7": lambda g, outdir: plot_lr(g, outdir, [("small_", "Adam, small damping"), ("large_", "Adam, large damping")],
                                    "C7_adam_lr_vs_B"),
    "C8": plot_c8,
    "V1": plot_v1,
    "V2": plot_v2,
    "V3": plot_v3,
}


def main():
    if len(sys.argv) != 3:
        sys.exit("usage: plot_report.py RUN.h5 OUTDIR")
    path, outdir = sys.argv[1], sys.argv[2]
    os.makedirs(outdir, exist_ok=True)
    with h5py.File(path, "r") as f:
        units = {}
        for group in ("claims", "checks"):
            if group in f:
                for name, g in f[group].items():
                    if g.attrs.get("status") == "complete" and "check_id" in g.attrs:
                        units[g.attrs["check_id"]] = g
        for check_id, plot in PLOTS.items():
            if check_id in units:
                plot(units[check_id], outdir)


if __name__ == "__main__":
    main()
