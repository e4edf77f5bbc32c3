#!/usr/bin/python3
"""A sweep's design points and its Pareto front: latency against energy, coloured by the area
proxy, the front's points ringed and joined.

    scripts/plot_pareto.py SWEEP_DIR [-o pareto.png] [--x seconds] [--y energy_j] [--c area.proxy]

SWEEP_DIR holds results.csv and pareto.csv (npusim sweep). Points that did not run are left out.
"""
import argparse
import os

import matplotlib

matplotlib.use("Agg")
import matplotlib.pyplot as plt  # noqa: E402

from plot_common import fail, label, load_json, sweep_rows  # noqa: E402


def main():
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("sweep_dir")
    ap.add_argument("-o", "--out", default="pareto.png")
    ap.add_argument("--x", default="seconds")
    ap.add_argument("--y", default="energy_j")
    ap.add_argument("--c", default="area.proxy")
    ap.add_argument("--title")
    args = ap.parse_args()
    if not os.path.isdir(args.sweep_dir):
        fail(f"{args.sweep_dir}: not a folder")
    allp = sweep_rows(os.path.join(args.sweep_dir, "results.csv"))
    if not allp:
        fail(f"{args.sweep_dir}/results.csv: no point ran")
    for m in (args.x, args.y, args.c):
        if m not in allp[0]:
            fail(f"{args.sweep_dir}/results.csv: no column {m} (columns: {', '.join(allp[0])})")
    front = sorted(sweep_rows(os.path.join(args.sweep_dir, "pareto.csv")),
                   key=lambda r: float(r[args.x]))
    fig, ax = plt.subplots(figsize=(7.5, 5))
    sc = ax.scatter([float(r[args.x]) for r in allp], [float(r[args.y]) for r in allp],
                    c=[float(r[args.c]) for r in allp], s=10, cmap="viridis", alpha=0.7)
    fig.colorbar(sc, ax=ax, label=label(args.c))
    ax.scatter([float(r[args.x]) for r in front], [float(r[args.y]) for r in front], s=50,
               facecolors="none", edgecolors="red", label=f"Pareto front ({len(front)} points)")
    # The front in the two plotted metrics (pareto.csv's points are the front in all the
    # sweep's objectives, ringed above): a staircase no point beats in both axes. Directions from
    # sweep.json's pareto section; a metric it does not list is minimised.
    maximize = set(load_json(os.path.join(args.sweep_dir, "sweep.json")).get("pareto", {})
                   .get("maximize", [])) if os.path.isfile(os.path.join(args.sweep_dir, "sweep.json")) else set()
    sx = -1.0 if args.x in maximize else 1.0
    sy = -1.0 if args.y in maximize else 1.0
    pts = sorted((sx * float(r[args.x]), sy * float(r[args.y])) for r in allp)
    front2, best = [], float("inf")
    for x, y in pts:
        if y < best:
            front2.append((sx * x, sy * y))
            best = y
    ax.step([p[0] for p in front2], [p[1] for p in front2], where="post", color="red", lw=1,
            label=f"front in {label(args.x)} and {label(args.y)}")
    ax.set_xscale("log")
    ax.set_yscale("log")
    ax.set_xlabel(label(args.x))
    ax.set_ylabel(label(args.y))
    ax.set_title(args.title or f"{len(allp)} design points")
    ax.grid(True, which="both", alpha=0.25)
    ax.legend(fontsize=8)
    fig.tight_layout()
    fig.savefig(args.out, dpi=120)
    print(f"wrote {args.out}")


if __name__ == "__main__":
    main()
