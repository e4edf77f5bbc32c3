#!/usr/bin/python3
"""Per-class breakdown of one or more runs: cycles by op class (each bar split by what bound
the ops: compute, memory, vector, latency) and energy by op class.

    scripts/plot_breakdown.py RUN_DIR [RUN_DIR ...] [-o breakdown.png] [--labels A,B]

Each RUN_DIR holds a summary.json (npusim run, or a sweep point kept with --keep-reports).
"""
import argparse
import os

import matplotlib

matplotlib.use("Agg")
import matplotlib.pyplot as plt  # noqa: E402

from plot_common import load_json, run_folder  # noqa: E402

BOUND_COLORS = {"compute": "tab:blue", "memory": "tab:orange", "vector": "tab:green", "latency": "tab:gray"}


def main():
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("run_dirs", nargs="+")
    ap.add_argument("-o", "--out", default="breakdown.png")
    ap.add_argument("--labels", help="comma-separated names of the runs (default: folder names)")
    args = ap.parse_args()
    labels = args.labels.split(",") if args.labels else [os.path.basename(os.path.normpath(d)) for d in args.run_dirs]
    for d in args.run_dirs:
        run_folder(d)
    runs = [load_json(os.path.join(d, "summary.json")) for d in args.run_dirs]
    if len(labels) != len(runs):
        ap.error(f"--labels names {len(labels)} runs, {len(runs)} were given")
    classes = sorted({c for r in runs for c in r["by_class"]})

    fig, axes = plt.subplots(len(runs), 2, figsize=(11, 2.6 * len(runs) + 0.6), squeeze=False)
    for i, (run, label) in enumerate(zip(runs, labels)):
        ax_c, ax_e = axes[i]
        total_s = run["seconds"] or 1
        left = [0.0] * len(classes)
        for bound, color in BOUND_COLORS.items():
            vals = [run["by_class"].get(c, {}).get("cycles_by_bound", {}).get(bound, 0) /
                    max(run["total_cycles"], 1) * 100 for c in classes]
            ax_c.barh(classes, vals, left=left, color=color, label=bound)
            left = [a + b for a, b in zip(left, vals)]
        ax_c.set_xlabel(f"% of cycles ({run['seconds'] * 1e3:.2f} ms in all)")
        ax_c.set_title(f"{label}: cycles by class and bound", fontsize=10)
        energy = [run["by_class"].get(c, {}).get("energy_pj", 0) * 1e-9 for c in classes]
        ax_e.barh(classes, energy, color="tab:red")
        ax_e.set_xlabel(f"energy (mJ; {run['energy_j'] * 1e3:.2f} mJ in all)")
        ax_e.set_title(f"{label}: energy by class", fontsize=10)
        if i == 0:
            ax_c.legend(fontsize=8, loc="lower right")
        del total_s
    fig.tight_layout()
    fig.savefig(args.out, dpi=120)
    print(f"wrote {args.out}")


if __name__ == "__main__":
    main()
