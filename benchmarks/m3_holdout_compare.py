"""Does one more member improve ``auto``? Two holdout origins inside the M3 training parts.

How a change to the ``auto`` rule is judged without the test period: for each origin
(36 months before the end of each series: the last 18 months of the training part are
scored; 54: the 18 months before those, scoring only series with at least 48 months before
the origin), every member is fitted through the bulk engine, the pooled model on the
panel, and ``auto`` is composed as in a bulk job (``(1 - w) x`` members' mean ``+ w x``
pooled, ``w = models.zoo.auto.POOLED_WEIGHT``) with the base members and with the candidate
added. Printed per origin: sMAPE and MASE of both, the mean difference, and the share of
2,000 paired bootstrap resamples of the series in which the candidate is better.

Run: ``.venv/bin/python benchmarks/m3_holdout_compare.py --candidate damped_mapa``
(about 5 minutes on 2 cores).
"""

from __future__ import annotations

import argparse
import logging
import sys
from pathlib import Path

import numpy as np

sys.path.insert(0, str(Path(__file__).resolve().parent))
from m3_monthly import H, load_origin, per_series, run_model  # noqa: E402

from forecast.bulk import BulkConfig  # noqa: E402
from forecast.bulk.engine import (  # noqa: E402
    Backend,
    fit_pooled,
    frame_partitions,
    pooled_points,
)
from models.zoo.auto import POOLED_WEIGHT  # noqa: E402

BASE = ("theta_ses", "damped", "ets", "theta", "dotm")
#: origin (months before the end) -> fewest months before it for a series to be scored
ORIGINS = {2 * H: 0, 3 * H: 48}


def compose(members: dict[str, dict[str, np.ndarray]], names: tuple[str, ...],
            pooled: dict[str, np.ndarray], ids: list[str]) -> dict[str, np.ndarray]:
    """``auto``'s point forecast per series from cached member and pooled forecasts."""
    out = {}
    for s in ids:
        mean = np.mean([members[n][s] for n in names], axis=0)
        out[s] = (1 - POOLED_WEIGHT) * mean + POOLED_WEIGHT * pooled[s] if s in pooled else mean
    return out


def share_better(diff: np.ndarray, n_boot: int, seed: int) -> float:
    """Share of paired bootstrap resamples (of series) whose mean difference is < 0."""
    rng = np.random.default_rng(seed)
    idx = rng.integers(0, diff.size, (n_boot, diff.size))
    return float((diff[idx].mean(axis=1) < 0).mean())


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--candidate", required=True, help="zoo model added to the members")
    parser.add_argument("--base", default=",".join(BASE), help="members of the base rule")
    parser.add_argument("--n-boot", type=int, default=2000)
    parser.add_argument("--seed", type=int, default=0)
    args = parser.parse_args(argv)
    logging.basicConfig(level=logging.WARNING)
    base = tuple(args.base.split(","))
    cand = (*base, args.candidate)
    run_args = argparse.Namespace(n_paths=50, seed=args.seed, backend="processes", workers=2)
    print("| origin | series | base sMAPE / MASE | with candidate | d sMAPE (P better) "
          "| d MASE (P better) |\n|---|---|---|---|---|---|")
    for cut, min_scored in ORIGINS.items():
        frame, actual, scale = load_origin(cut, min_scored=min_scored, min_kept=24)
        members = {n: run_model(n, frame, run_args)[0] for n in cand}
        config = BulkConfig(horizon=H, model="auto", seed=args.seed)
        with Backend() as serial:
            model = fit_pooled(frame_partitions(frame, [], 1, None), config, serial)
        pooled = pooled_points(frame, model)
        ids = list(actual)
        s0, m0 = per_series(compose(members, base, pooled, ids), actual, scale)
        s1, m1 = per_series(compose(members, cand, pooled, ids), actual, scale)
        ds, dm = s1 - s0, m1 - m0
        print(f"| {cut} | {len(ids)} | {s0.mean():.3f} / {m0.mean():.4f} | "
              f"{s1.mean():.3f} / {m1.mean():.4f} | "
              f"{ds.mean():+.3f} ({share_better(ds, args.n_boot, args.seed):.2f}) | "
              f"{dm.mean():+.4f} ({share_better(dm, args.n_boot, args.seed):.2f}) |",
              flush=True)


if __name__ == "__main__":
    main()
