#!/usr/bin/python3
"""Roofline of a run: every op of ops.csv as a point (arithmetic intensity, achieved ops/s)
under the chip's roofs (peak ops/s from summary.json's peak_tops, reachable DRAM bandwidth).

    scripts/plot_roofline.py RUN_DIR [-o roofline.png] [--format int8] [--title TEXT]

RUN_DIR holds ops.csv and summary.json (npusim run, or npusim sweep --keep-reports: DIR/points/ID).
Ops that move no DRAM byte have no intensity and are left out. Repeated ops (every layer, every
decode step) are drawn once per distinct (class, shape, formats, cycles).
"""
import argparse
import csv
import json
import os

import matplotlib

matplotlib.use("Agg")
import matplotlib.pyplot as plt  # noqa: E402

from plot_common import load_json, run_folder  # noqa: E402

CLASS_COLORS = {"projection": "tab:blue", "ffn": "tab:orange", "attention": "tab:red",
                "norm_vector": "tab:green", "data_movement": "tab:gray"}


def main():
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("run_dir")
    ap.add_argument("-o", "--out", default="roofline.png")
    ap.add_argument("--format", help="the MAC format whose peak is the compute roof (default: the highest)")
    ap.add_argument("--title")
    args = ap.parse_args()

    run_folder(args.run_dir, ("summary.json", "ops.csv"))
    summary = load_json(os.path.join(args.run_dir, "summary.json"))
    clock_hz = summary["clock_mhz"] * 1e6
    peaks = summary["peak_tops"]
    fmt = args.format or max(peaks, key=peaks.get)
    peak_ops = peaks[fmt] * 1e12
    bw = summary["reachable_gbps"] * 1e9

    seen = set()
    points = {}
    with open(os.path.join(args.run_dir, "ops.csv")) as f:
        for row in csv.DictReader(f):
            intensity = float(row["arith_intensity"])
            dram = int(row["dram_read_bytes"]) + int(row["dram_write_bytes"])
            cycles = int(row["cycles"])
            if intensity <= 0 or dram == 0 or cycles == 0:
                continue
            key = (row["class"], row["shape"], row["formats"], cycles)
            if key in seen:
                continue
            seen.add(key)
            ops_per_s = intensity * dram / (cycles / clock_hz)
            points.setdefault(row["class"] or "other", []).append((intensity, ops_per_s))

    fig, ax = plt.subplots(figsize=(7.5, 5))
    xs = [x for pts in points.values() for x, _ in pts]
    lo, hi = min(xs + [0.1]) / 2, max(xs + [peak_ops / bw]) * 4
    ridge = peak_ops / bw
    ax.plot([lo, ridge, hi], [lo * bw, peak_ops, peak_ops], color="black", lw=1.5)
    ax.annotate(f"{fmt} peak {peaks[fmt]:.2f} TOPS", (hi, peak_ops), ha="right", va="bottom", fontsize=8)
    # The other formats' peaks (an op runs at the MAC rate of its wider operand).
    for value in sorted({v for v in peaks.values() if v != peaks[fmt]}):
        names = "/".join(sorted(p for p in peaks if peaks[p] == value))
        y = value * 1e12
        ax.plot([y / bw, hi], [y, y], color="black", lw=0.8, ls="--")
        ax.annotate(f"{names} peak {value:.2f} TOPS", (hi, y), ha="right", va="bottom", fontsize=8)
    ax.annotate(f"DRAM {summary['reachable_gbps']:.1f} GB/s reachable", (lo * 1.2, lo * 1.2 * bw),
                rotation=0, va="bottom", fontsize=8)
    for cls, pts in sorted(points.items()):
        ax.scatter([p[0] for p in pts], [p[1] for p in pts], s=18, alpha=0.75,
                   color=CLASS_COLORS.get(cls, "tab:purple"), label=f"{cls} ({len(pts)})")
    ax.set_xscale("log")
    ax.set_yscale("log")
    ax.set_xlabel("arithmetic intensity (ops per DRAM byte)")
    ax.set_ylabel("achieved ops/s")
    ax.set_title(args.title or f"Roofline: {summary['chip']}" +
                 (f", {summary['workload']['model']}" if "workload" in summary else ""))
    ax.grid(True, which="both", alpha=0.25)
    ax.legend(fontsize=8, loc="lower right")
    fig.tight_layout()
    fig.savefig(args.out, dpi=120)
    print(f"wrote {args.out}")


if __name__ == "__main__":
    main()
