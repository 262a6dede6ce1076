"""M3 monthly on the strongly seasonal series: ``auto``, ``auto --no-pooled``, seasonal naive,
and ``auto`` with a candidate member (issue 28).

Seasonal strength of each series (Wang, Smith & Hyndman 2006): ``max(0, 1 - var(R) /
var(S + R))`` of a statsmodels STL decomposition, period 12, of its *training* part only
(the months before the cut; ``models.zoo.arima.seasonal_strength``). Series above
``--threshold`` (0.6) are the strongly seasonal subset; every figure is printed for it and
for all scored series.

Splits (``--split``): ``holdout`` fits on all but the last 36 months of each series and
scores the next 18 (the last 18 months of the training part: what choices are made on);
``holdout54`` fits on all but 54 and scores the next 18 (series with at least 48 months
before the cut; a second origin); ``test`` fits on all but 18 and scores the last 18 (the
M3 test period: looked at once per version).

How ``auto`` is computed: each member of ``models.zoo.auto.DEFAULT_MEMBERS`` (and the
``--candidate``, when given) is run through the bulk engine (``forecast.bulk.run_bulk``, 2
worker processes) and its point forecasts kept; the pooled model is fitted once on the
panel (``forecast.bulk.engine.fit_pooled``); ``auto`` is then composed as a bulk job does:
the members' mean (``auto --no-pooled``), or ``(1 - w) x`` that ``+ w x`` pooled with
``w = POOLED_WEIGHT`` (``auto``). Every member's point forecast is analytic, so the composed
point is ``auto``'s. Seasonal naive is the exact last-year forecast (``y[T + h - 12k]``).
CPU seconds (worker processes included) are printed for each member and for the pooled fit.
``--cache DIR`` keeps the base members' forecasts (and CPU seconds) between runs, so that
trying a candidate re-runs only the candidate.
With a candidate, the share of 2,000 paired bootstrap resamples of the series in which
adding it is better is printed too.

Run: ``nice -n 10 .venv/bin/python benchmarks/m3_seasonal.py --split holdout --candidate
arima`` (about 7 minutes on 2 cores).
"""

from __future__ import annotations

import argparse
import logging
import sys
import time
from pathlib import Path

import numpy as np
import pandas as pd

sys.path.insert(0, str(Path(__file__).resolve().parent))
from m3_holdout_compare import share_better  # noqa: E402
from m3_monthly import H, load_origin, per_series, run_model  # noqa: E402
from resources import ResourceMonitor  # noqa: E402

from forecast.bulk import BulkConfig  # noqa: E402
from forecast.bulk.engine import Backend, fit_pooled, frame_partitions, pooled_points  # noqa: E402
from models.zoo.arima import seasonal_strength  # noqa: E402
from models.zoo.auto import DEFAULT_MEMBERS, POOLED_WEIGHT  # noqa: E402

#: split -> (months cut from the end, fewest months before the cut to be scored)
SPLITS = {"test": (H, 0), "holdout": (2 * H, 0), "holdout54": (3 * H, 48)}


def strengths(frame, ids: list[str], period: int = 12) -> dict[str, float]:
    """STL seasonal strength of each series' training part (the frame), by series id."""
    values = {str(s): g["value"].to_numpy(dtype=float)
              for s, g in frame.groupby("series_id", sort=False)}
    return {s: seasonal_strength(values[s], period) for s in ids}


def seasonal_naive(frame, ids: list[str], period: int = 12) -> dict[str, np.ndarray]:
    """Last season repeated, ``H`` months, by series id."""
    out = {}
    for s, g in frame.groupby("series_id", sort=False):
        if str(s) in ids:
            y = g["value"].to_numpy(dtype=float)
            out[str(s)] = np.resize(y[-period:], H)
    return out


def compose(members: dict[str, dict[str, np.ndarray]], names: tuple[str, ...],
            pooled: dict[str, np.ndarray] | None, ids: list[str]) -> dict[str, np.ndarray]:
    """``auto``'s point forecast (H,) per series: members' mean, with pooled when given."""
    out = {}
    for s in ids:
        mean = np.mean([members[n][s] for n in names], axis=0)
        if pooled is not None and s in pooled:
            mean = (1 - POOLED_WEIGHT) * mean + POOLED_WEIGHT * pooled[s]
        out[s] = mean
    return out


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--split", choices=tuple(SPLITS), default="holdout")
    parser.add_argument("--threshold", type=float, default=0.6)
    parser.add_argument("--members", default=",".join(DEFAULT_MEMBERS))
    parser.add_argument("--candidate", default="",
                        help="zoo model(s), comma-separated, added to the members")
    parser.add_argument("--workers", type=int, default=2)
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument("--cache", type=Path, default=None,
                        help="folder keeping the base members' forecasts between runs "
                             "(candidates are always run again)")
    args = parser.parse_args(argv)
    logging.basicConfig(level=logging.WARNING)
    cut, min_scored = SPLITS[args.split]
    frame, actual, scale = load_origin(cut, min_scored=min_scored,
                                       min_kept=24 if min_scored else 0)
    ids = list(actual)
    t0 = time.process_time()
    strength = strengths(frame, ids)
    strong = [s for s in ids if strength[s] > args.threshold]
    print(f"M3 monthly, split={args.split} (cut {cut}), {len(ids)} series scored, "
          f"{len(strong)} with STL seasonal strength > {args.threshold} "
          f"({time.process_time() - t0:.1f} CPU s for the strengths)")
    base = tuple(args.members.split(","))
    cands = tuple(c for c in args.candidate.split(",") if c)
    run_args = argparse.Namespace(n_paths=50, seed=args.seed, backend="processes",
                                  workers=args.workers)
    members, cpu = {}, {}
    for name in (*base, *cands):
        cached = args.cache / f"{args.split}-{name}.pkl" if args.cache else None
        if cached is not None and name not in cands and cached.is_file():
            members[name], cpu[name] = pd.read_pickle(cached)
            print(f"  {name}: from {cached} ({cpu[name]:.1f} CPU s when run)")
            continue
        members[name], use, n_fail = run_model(name, frame, run_args)
        cpu[name] = use.cpu_s
        if cached is not None:
            args.cache.mkdir(parents=True, exist_ok=True)
            pd.to_pickle((members[name], cpu[name]), cached)
        print(f"  {name}: {use.wall_s:.1f} s wall, {use.cpu_s:.1f} CPU s, "
              f"{n_fail} fallbacks", flush=True)
    config = BulkConfig(horizon=H, model="auto", seed=args.seed)
    with ResourceMonitor() as mon, Backend() as serial:
        model = fit_pooled(frame_partitions(frame, [], 1, None), config, serial)
        pooled = pooled_points(frame, model)
    cpu["pooled"] = mon.usage.cpu_s
    print(f"  pooled model: {mon.usage.wall_s:.1f} s wall, {mon.usage.cpu_s:.1f} CPU s")
    base_cpu = sum(cpu[n] for n in (*base, "pooled"))
    variants = {
        "auto": compose(members, base, pooled, ids),
        "auto --no-pooled": compose(members, base, None, ids),
    }
    if cands:
        variants[f"auto + {'+'.join(cands)}"] = compose(members, (*base, *cands), pooled, ids)
        variants[f"auto --no-pooled + {'+'.join(cands)}"] = compose(
            members, (*base, *cands), None, ids)
        for c in cands:
            variants[c] = {s: members[c][s] for s in ids}
    variants["seasonal naive"] = seasonal_naive(frame, ids)
    scores = {k: per_series(v, actual, scale) for k, v in variants.items()}
    pos = np.array([s in set(strong) for s in ids])
    print(f"\n| method | all {len(ids)}: sMAPE % | MASE | strong {len(strong)}: sMAPE % "
          "| MASE |\n|---|---|---|---|---|")
    for k, (sm, ms) in scores.items():
        print(f"| {k} | {sm.mean():.3f} | {ms.mean():.4f} | {sm[pos].mean():.3f} "
              f"| {ms[pos].mean():.4f} |")
    if cands:
        extra = sum(cpu[c] for c in cands)
        print(f"\nCPU s: base members + pooled {base_cpu:.1f}, candidate(s) {extra:.1f} "
              f"(+{100 * extra / base_cpu:.0f} %)")
        print("\n| comparison (with candidate - without) | subset | d sMAPE (P better) "
              "| d MASE (P better) |\n|---|---|---|---|")
        tag = "+".join(cands)
        for pooled_tag in ("auto", "auto --no-pooled"):
            s0, m0 = scores[pooled_tag]
            s1, m1 = scores[f"{pooled_tag} + {tag}"]
            for label, mask in (("all", np.ones_like(pos)), ("strong", pos)):
                ds, dm = (s1 - s0)[mask], (m1 - m0)[mask]
                print(f"| {pooled_tag} + {tag} | {label} | {ds.mean():+.3f} "
                      f"({share_better(ds, 2000, args.seed):.2f}) | {dm.mean():+.4f} "
                      f"({share_better(dm, 2000, args.seed):.2f}) |")


if __name__ == "__main__":
    main()
