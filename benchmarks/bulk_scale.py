"""Does ``orecast bulk`` stay flat in the driver as the series count grows?

For each series count, a folder of Parquet files is simulated
(``models.simulator.plant.simulate_portfolio``, 60 months per plant, gold only, 10,000
plants per file, ids ``b<file>-plant-<n>``: simulated data, never real), and

    orecast bulk --input DIR --output OUT/ --model theta_ses --horizon 12 --n-paths 100
                 --backend processes --workers 2 --no-progress

runs as its own process. Printed per count: the driver's peak resident memory (``VmHWM`` of
its /proc status, read until it exits; the workers are other processes), the CPU seconds of
the driver and its workers (``RUSAGE_CHILDREN``), CPU per series, wall time, series per
second, and whether the output folder's manifest counts exactly 12 rows per series.
Then a projection of 10 million series on N workers from the largest run's CPU per series.

    .venv/bin/python benchmarks/bulk_scale.py --series 20000 100000
    .venv/bin/python benchmarks/bulk_scale.py --series 500000
"""

from __future__ import annotations

import argparse
import json
import math
import resource
import shutil
import subprocess
import sys
import tempfile
import time
from pathlib import Path

from models.simulator.plant import simulate_portfolio

PER_FILE = 10_000
HORIZON = 12
ARGS = ("--model", "theta_ses", "--horizon", str(HORIZON), "--n-paths", "100",
        "--backend", "processes", "--workers", "2", "--no-progress")


def make_dataset(folder: Path, n_series: int) -> None:
    """``n_series`` simulated plants of 60 months in files of ``PER_FILE`` plants."""
    folder.mkdir(parents=True)
    for k in range(math.ceil(n_series / PER_FILE)):
        n = min(PER_FILE, n_series - k * PER_FILE)
        frame = simulate_portfolio(n, 60, seed=k)[["series_id", "timestamp", "value"]]
        frame["series_id"] = f"b{k:04d}-" + frame["series_id"]
        frame.to_parquet(folder / f"plants-{k:04d}.parquet", index=False)


def _hwm_kib(pid: int) -> int | None:
    try:
        for line in Path(f"/proc/{pid}/status").read_text().splitlines():
            if line.startswith("VmHWM:"):
                return int(line.split()[1])
    except OSError:
        return None
    return None


def run_once(data: Path, out: Path) -> dict:
    """One bulk run: driver peak RSS (MiB), CPU s (driver + workers), wall s, rows ok."""
    before = resource.getrusage(resource.RUSAGE_CHILDREN)
    cmd = [str(Path(sys.executable).parent / "orecast"), "bulk", "--input", str(data),
           "--output", f"{out}/", *ARGS]
    t0 = time.perf_counter()
    proc = subprocess.Popen(cmd, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, text=True)
    peak = 0
    while proc.poll() is None:
        peak = max(peak, _hwm_kib(proc.pid) or 0)
        time.sleep(0.2)
    wall = time.perf_counter() - t0
    err = proc.stderr.read()
    if proc.returncode != 0:
        raise SystemExit(f"orecast bulk exited {proc.returncode}:\n{err[-2000:]}")
    after = resource.getrusage(resource.RUSAGE_CHILDREN)
    cpu = (after.ru_utime - before.ru_utime) + (after.ru_stime - before.ru_stime)
    totals = json.loads((out / "manifest.json").read_text())["totals"]
    return {"peak_mib": peak / 1024, "cpu_s": cpu, "wall_s": wall, "totals": totals}


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--series", type=int, nargs="+", default=[20_000, 100_000])
    ap.add_argument("--workdir", type=Path, default=None,
                    help="where the datasets and outputs go (default: a temporary folder)")
    args = ap.parse_args()
    work = args.workdir or Path(tempfile.mkdtemp(prefix="orecast-scale-"))
    rows = []
    try:
        for n in args.series:
            data, out = work / f"data-{n}", work / f"out-{n}"
            t0 = time.perf_counter()
            make_dataset(data, n)
            made = time.perf_counter() - t0
            r = run_once(data, out)
            exact = r["totals"]["series"] == n and r["totals"]["rows"] == n * HORIZON
            rows.append((n, r))
            print(f"{n:>9,} series: driver peak RSS {r['peak_mib']:.0f} MiB, CPU "
                  f"{r['cpu_s']:.0f} s ({1000 * r['cpu_s'] / n:.2f} ms per series), wall "
                  f"{r['wall_s']:.0f} s ({n / r['wall_s']:.0f} series/s), rows exact: "
                  f"{exact}, fallbacks {r['totals']['fallbacks']} (dataset made in "
                  f"{made:.0f} s)", flush=True)
            shutil.rmtree(data)
            shutil.rmtree(out)
    finally:
        if args.workdir is None:
            shutil.rmtree(work, ignore_errors=True)
    if len(rows) > 1:
        (n0, r0), (n1, r1) = rows[0], rows[-1]
        print(f"driver peak RSS {n1:,} / {n0:,} series: {r1['peak_mib'] / r0['peak_mib']:.2f}x; "
              f"CPU per series {1000 * r1['cpu_s'] / n1:.2f} / {1000 * r0['cpu_s'] / n0:.2f} ms")
    n1, r1 = rows[-1]
    per = r1["cpu_s"] / n1
    for workers in (2, 16, 64, 256):
        hours = 10_000_000 * per / workers / 3600
        print(f"projection: 10,000,000 series on {workers} one-thread workers: "
              f"{hours:.1f} h ({per * 1000:.2f} ms CPU per series, measured at {n1:,})")


if __name__ == "__main__":
    main()
