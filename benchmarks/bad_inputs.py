"""Run the bad-input corpus through ``orecast`` and count how each file was handled.

Every file of tests/data/bad/EXPECTED.csv is tried with its command, in this process:
``validate FILE``, ``forecast --data FILE`` or ``forecast --data clean.csv --guidance FILE``.
A rejection counts as clean when the exit code is 2, every stderr line starts with
``error: ``, the first names the file and the documented row and field, at most 50 problems
plus a summary line are printed, and no output folder was created. An acceptance counts as
correct when the command exits 0 and, for the files documented as "same numbers", the
forecast equals the clean file's. ``--huge`` also times the 1e6-row file and its peak memory.

Run: ``.venv/bin/python benchmarks/bad_inputs.py [--huge]`` from the repository root.
"""

from __future__ import annotations

import argparse
import contextlib
import csv
import io
import json
import logging
import os
import sys
import tempfile
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))
sys.path.insert(0, str(ROOT / "benchmarks"))
from resources import ResourceMonitor  # noqa: E402

from forecast.cli import MAX_PROBLEMS_SHOWN, main  # noqa: E402
from tests.faults.make_huge import HUGE_ROWS, valid_rows, write_huge_csv  # noqa: E402

DATA = ROOT / "tests" / "data" / "bad"
CLEAN = DATA / "clean.csv"
#: forecast arguments of the accepted files that are not forecast like clean.csv
FORECAST_ARGS = {
    "zeros_stoppage.csv": ["--as-of", "2020-06"],
    "all_zeros.csv": ["--as-of", "2015-06", "--model", "seasonal_naive"],
    "short_13_months.csv": ["--as-of", "2017-12", "--model", "ets"],
}


def _run(args: list[str]) -> tuple[int, list[str]]:
    err = io.StringIO()
    with contextlib.redirect_stderr(err), contextlib.redirect_stdout(io.StringIO()):
        try:
            code = main(args)
        except Exception as exc:  # noqa: BLE001 - a crash is what this benchmark counts
            return 1, [f"Traceback: {type(exc).__name__}: {exc}"]
    return code, err.getvalue().strip().splitlines()


def _forecast_args(data: Path, out: Path, *more: str) -> list[str]:
    as_of = [] if "--as-of" in more else ["--as-of", "2017-06"]
    return ["forecast", "--data", str(data), *as_of, "--n-paths", "200", "--out", str(out),
            *more]


def _annual(out: Path) -> dict:
    record = json.loads((out / "annual.json").read_text(encoding="utf-8"))
    record.pop("data_sha256")
    return record


def try_file(row: dict[str, str], work: Path, clean_annual: dict) -> tuple[bool, str]:
    """Run one corpus file as EXPECTED.csv says; (handled as documented, short reason)."""
    path = DATA / row["file"]
    out = work / row["file"].replace(".", "_")
    if row["command"] == "guidance":
        args = _forecast_args(CLEAN, out, "--guidance", str(path))
    elif row["outcome"] == "rejected" or row["command"] == "validate":
        args = ["validate", str(path)]
    else:
        args = _forecast_args(path, out, *FORECAST_ARGS.get(row["file"], []))
    code, err = _run(args)
    if row["outcome"] == "rejected":
        checks = {
            "exit 2": code == 2,
            "error lines only": bool(err) and all(x.startswith("error: ") for x in err),
            "first line names file:row: field": bool(err) and err[0].startswith(
                f"error: {path}:{row['detail']}"),
            "bounded report": len(err) <= MAX_PROBLEMS_SHOWN + 1,
            "nothing written": not out.exists(),
        }
    else:
        checks = {"exit 0": code == 0}
        if code == 0 and "same annual.json" in row["detail"]:
            checks["same numbers as clean.csv"] = _annual(out) == clean_annual
    failed = [name for name, ok in checks.items() if not ok]
    return not failed, ", ".join(failed) or "ok"


def huge_figures(work: Path) -> str:
    """Time and peak memory of rejecting the 1e6-row file through ``validate``."""
    path = write_huge_csv(work / "huge.csv")
    with ResourceMonitor() as monitor:
        code, err = _run(["validate", str(path)])
    usage = monitor.usage
    return (f"huge file ({HUGE_ROWS:,} rows, {path.stat().st_size / 2**20:.1f} MiB, "
            f"{HUGE_ROWS - valid_rows():,} bad rows): exit {code}, {len(err)} stderr lines, "
            f"{usage.wall_s:.1f} s wall, {usage.cpu_s:.1f} s CPU, "
            f"peak RSS {usage.peak_rss_mib:,.0f} MiB")


def main_cli() -> None:
    """Print how many corpus files were tried, rejected cleanly and accepted correctly."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--huge", action="store_true", help="also time the 1e6-row file")
    opts = parser.parse_args()
    os.environ.setdefault("ORECAST_LOG_LEVEL", "WARNING")
    logging.basicConfig(level=logging.WARNING)
    with (DATA / "EXPECTED.csv").open(newline="", encoding="utf-8") as f:
        rows = list(csv.DictReader(f))
    rejected = accepted = 0
    misses = []
    with tempfile.TemporaryDirectory() as tmp:
        work = Path(tmp)
        code, err = _run(_forecast_args(CLEAN, work / "clean"))
        if code != 0:
            raise SystemExit(f"clean.csv does not forecast: {err}")
        clean_annual = _annual(work / "clean")
        for row in rows:
            ok, why = try_file(row, work, clean_annual)
            if ok and row["outcome"] == "rejected":
                rejected += 1
            elif ok:
                accepted += 1
            else:
                misses.append(f"  {row['file']} ({row['outcome']} expected): {why}")
        huge = huge_figures(work) if opts.huge else None
    n_rej = sum(r["outcome"] == "rejected" for r in rows)
    print(f"bad inputs tried: {len(rows)}")
    print(f"rejected cleanly: {rejected} of {n_rej} documented as rejected")
    print(f"accepted correctly: {accepted} of {len(rows) - n_rej} documented as accepted")
    print(f"not as documented: {len(misses)}")
    for line in misses:
        print(line)
    if huge:
        print(huge)


if __name__ == "__main__":
    main_cli()
