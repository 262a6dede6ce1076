"""M3 monthly accuracy benchmark: orecast models next to the competition's published forecasts.

Data: benchmarks/data/m3_monthly/ (714 M3 monthly series, README.md there). Each series is
fitted on all but its last 18 months and forecast 18 months ahead through the bulk engine
(``forecast.bulk.run_bulk``, the code ``orecast bulk`` runs); the forecasts are scored with
sMAPE and MASE (seasonal-naive scale of the training part) by horizon position, as are the
published THETA, ForecastPro, DAMPEN and NAIVE2 forecasts, by the same code. Wall time, CPU
time (worker processes included) and peak memory are measured per orecast model.

``--split holdout`` scores instead on the last 18 months of each *training* part (fit on all
but the last 36 months): the test period is never seen. ``--combos`` then prints every
median / mean combination of the models run, which is how the ``auto`` rule was chosen.

Series whose timestamps are missing (17) or not consecutive (two-digit years wrapping from
2064 to 1964, 30 more) get a consecutive calendar from 2000-01: the values are in time order
and seasonality is by position in the season, so only the labels change.

Run: ``.venv/bin/python benchmarks/m3_monthly.py`` (about 440 CPU seconds: 4 minutes on 2 idle
cores).
"""

from __future__ import annotations

import argparse
import itertools
import logging
import sys
from pathlib import Path

import numpy as np
import pandas as pd

sys.path.insert(0, str(Path(__file__).resolve().parent))
from resources import ResourceMonitor, Usage  # noqa: E402

from forecast.bulk import BulkConfig, run_bulk  # noqa: E402
from training.metrics import mase_scale, smape  # noqa: E402

DATA = Path(__file__).resolve().parent / "data" / "m3_monthly"
H = 18
PUBLISHED = ("THETA", "ForecastPro", "DAMPEN", "NAIVE2")
DEFAULT_MODELS = ("auto", "theta_ses", "damped", "damped_mapa", "ses", "ets", "theta", "dotm", "drift",
                  "seasonal_naive")


def load(split: str) -> tuple[pd.DataFrame, dict[str, np.ndarray], dict[str, float]]:
    """Training frame in the bulk format, actuals (18,) and MASE scales per series.

    Args:
        split: ``test`` (fit on all but 18 months) or ``holdout`` (all but 36, score 18).
    """
    return load_origin(H if split == "test" else 2 * H)


def load_origin(cut: int, min_scored: int = 0, min_kept: int = 0
                ) -> tuple[pd.DataFrame, dict[str, np.ndarray], dict[str, float]]:
    """As ``load``, fitting on all but the last ``cut`` months and scoring the next 18.

    Series with fewer than ``min_kept`` months before the cut are left out; series with
    fewer than ``min_scored`` are in the frame (the pooled model learns from them) but not
    scored (no actuals or scale).
    """
    d = pd.read_csv(DATA / "series.csv.gz")
    parts, actual, scale = [], {}, {}
    for sid, g in d.groupby("series_id", sort=False):
        y = g["value"].to_numpy(dtype=float)
        months = pd.PeriodIndex(g["timestamp"].to_numpy(), freq="M")
        if months.isna().any() or not np.all(np.diff(months.asi8) == 1):
            # Missing or wrapped timestamps (two-digit years: 2064-01 ... 1975-12): the
            # values are in time order, so give them a consecutive calendar.
            months = pd.period_range("2000-01", periods=len(g), freq="M")
        train = y[:-cut]
        if len(train) < min_kept:
            continue
        if len(train) >= min_scored:
            actual[sid] = y[-cut:][:H]
            scale[sid] = mase_scale(train, 12)
        parts.append(pd.DataFrame({"series_id": sid,
                                   "month": months[:-cut],
                                   "value": train}))
    return pd.concat(parts, ignore_index=True), actual, scale


def per_series(forecasts: dict[str, np.ndarray], actual: dict[str, np.ndarray],
               scale: dict[str, float]) -> tuple[np.ndarray, np.ndarray]:
    """sMAPE (%) and MASE of every scored series (keys of ``actual``), shapes (n_series,)."""
    return (np.array([smape(actual[s], forecasts[s]) for s in actual]),
            np.array([float(np.mean(np.abs(forecasts[s] - actual[s]))) / scale[s]
                      for s in actual]))


def score(forecasts: dict[str, np.ndarray], actual: dict[str, np.ndarray],
          scale: dict[str, float]) -> tuple[float, float]:
    """sMAPE (%) and MASE over every series and horizon (all series have 18 horizons)."""
    sm, ms = per_series(forecasts, actual, scale)
    return float(np.mean(sm)), float(np.mean(ms))


def run_model(name: str, frame: pd.DataFrame, args: argparse.Namespace
              ) -> tuple[dict[str, np.ndarray], Usage, int]:
    """Point forecasts per series from the bulk engine, resource usage, fallbacks count."""
    config = BulkConfig(horizon=H, model=name, n_paths=args.n_paths, seed=args.seed)
    with ResourceMonitor() as mon:
        res = run_bulk(frame, [], config, backend=args.backend, workers=args.workers)
    f = res.forecasts
    out = {str(s): g["forecast"].to_numpy() for s, g in f.groupby("series_id", sort=False)}
    return out, mon.usage, len(res.failures)


def published(actual: dict[str, np.ndarray]) -> dict[str, dict[str, np.ndarray]]:
    """Published forecasts by method and series, ordered by horizon."""
    p = pd.read_csv(DATA / "published_forecasts.csv.gz").sort_values(
        ["method", "series_id", "horizon"])
    return {m: {str(s): g["forecast"].to_numpy(dtype=float)
                for s, g in pm.groupby("series_id", sort=False) if s in actual}
            for m, pm in p[p["method"].isin(PUBLISHED)].groupby("method")}


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--models", default=",".join(DEFAULT_MODELS),
                        help="comma-separated orecast models (auto, zoo names, theta_ses, ...)")
    parser.add_argument("--split", choices=("test", "holdout"), default="test")
    parser.add_argument("--backend", default="processes")
    parser.add_argument("--workers", type=int, default=2)
    parser.add_argument("--n-paths", type=int, default=200)
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument("--combos", action="store_true",
                        help="also score median/mean combinations of the models run")
    args = parser.parse_args(argv)
    logging.basicConfig(level=logging.WARNING)
    frame, actual, scale = load(args.split)
    print(f"M3 monthly, {len(actual)} series, split={args.split}, horizon {H}, "
          f"backend={args.backend} x{args.workers}, n_paths={args.n_paths}")
    rows, fcs = [], {}
    for name in args.models.split(","):
        fc, use, n_fail = run_model(name, frame, args)
        fcs[name] = fc
        sm, ms = score(fc, actual, scale)
        rows.append((f"orecast {name}", sm, ms, f"{use.wall_s:.1f}", f"{use.cpu_s:.1f}",
                     f"{use.peak_rss_mib:.0f}", str(n_fail)))
        print(f"  {name}: sMAPE {sm:.3f} MASE {ms:.3f} wall {use.wall_s:.1f}s "
              f"cpu {use.cpu_s:.1f}s peak {use.peak_rss_mib:.0f} MiB", file=sys.stderr)
    if args.split == "test":
        for method, fc in published(actual).items():
            sm, ms = score(fc, actual, scale)
            rows.append((f"published {method}", sm, ms, "", "", "", ""))
    head = ("method", "sMAPE %", "MASE", "wall s", "CPU s", "peak MiB", "fallbacks")
    print("| " + " | ".join(head) + " |")
    print("|" + "---|" * len(head))
    for r in rows:
        print(f"| {r[0]} | {r[1]:.3f} | {r[2]:.3f} | " + " | ".join(r[3:]) + " |")
    if args.combos:
        names = [n for n in fcs if n != "auto"]
        print("\n| combination | sMAPE % | MASE |\n|---|---|---|")
        for k in range(2, len(names) + 1):
            for subset in itertools.combinations(names, k):
                for how, fn in (("median", np.median), ("mean", np.mean)):
                    comb = {s: fn(np.vstack([fcs[n][s] for n in subset]), axis=0)
                            for s in actual}
                    sm, ms = score(comb, actual, scale)
                    print(f"| {how}({'+'.join(subset)}) | {sm:.3f} | {ms:.3f} |")


if __name__ == "__main__":
    main()
