"""What the plot scripts share: reading a report folder, refusing one they cannot plot with a
one-line message (exit status 2), and axis labels with units for npusim's metric names."""
import csv
import json
import os
import sys

# Metric (summary.json path) -> axis label with its unit.
LABELS = {
    "seconds": "latency (s)",
    "energy_j": "energy (J)",
    "area.proxy": "area proxy (int8 PE-equivalents: PEs + SRAM bytes / 256)",
    "average_power_w": "average power (W)",
    "achieved_tops": "achieved TOPS",
    "achieved_gbps": "achieved DRAM bandwidth (GB/s)",
    "dram_read_bytes": "DRAM bytes read",
    "tops_per_w": "TOPS/W",
    "workload.time_to_first_token_s": "time to first token (s)",
    "workload.decode.tokens_per_s": "decode tokens/s",
    "workload.prefill.tokens_per_s": "prefill tokens/s",
    "workload.decode.joules_per_token": "decode J/token",
}


def label(metric):
    return LABELS.get(metric, metric)


def fail(message):
    print(f"{os.path.basename(sys.argv[0])}: {message}", file=sys.stderr)
    sys.exit(2)


def run_folder(path, need=("summary.json",)):
    """Checks that `path` is a run's report folder (npusim run, or a sweep point kept with
    --keep-reports) holding `need`; else exits with a message saying what to give instead."""
    if not os.path.isdir(path):
        fail(f"{path}: not a folder")
    missing = [n for n in need if not os.path.isfile(os.path.join(path, n))]
    if not missing:
        return
    if os.path.isfile(os.path.join(path, "results.csv")):
        points = os.path.join(path, "points")
        hint = (f"give its points, e.g. {points}/0" if os.path.isdir(points)
                else "run the sweep with --keep-reports to keep each point's reports")
        fail(f"{path}: a sweep's results folder, not a run's reports; {hint}")
    fail(f"{path}: no {', '.join(missing)} (give the --out folder of npusim run)")


def load_json(path):
    try:
        with open(path) as f:
            return json.load(f)
    except (OSError, ValueError) as e:
        fail(f"{path}: cannot read: {e}")


def sweep_rows(path):
    """The points of a sweep's CSV (results.csv, pareto.csv) that ran."""
    if not os.path.isfile(path):
        fail(f"{path}: missing (give the --out folder of npusim sweep)")
    with open(path) as f:
        return [r for r in csv.DictReader(f) if r.get("status") == "ok"]
