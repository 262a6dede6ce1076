"""Calibration of the synthetic plant against Dynacor's published figures.

Simulates many 10-year plants at a constant 300 tpd and prints the distribution of annual
output and of the Q1 share of each year, next to the real facts in
models/data/datasets/dynacor/README.md. Run: ``.venv/bin/python benchmarks/simulator_calibration.py``.
"""

from __future__ import annotations

import argparse

import numpy as np
from tqdm import tqdm

from models.simulator.plant import simulate_plant

#: Dynacor annual gold output, oz (README.md); 2012-2017 at ~250-300 tpd
REAL_ANNUAL_OZ = {2012: 61_274, 2013: 76_883, 2014: 68_923, 2015: 67_604, 2016: 73_476,
                  2017: 79_897}
#: Dynacor Q1 share of annual output, %
REAL_Q1_SHARE_PCT = {2012: 21.4, 2013: 26.0, 2014: 17.7, 2015: 23.0, 2016: 21.5}
LEVELS = (5, 25, 50, 75, 95)


def yearly_figures(n_seeds: int, years: int, capacity_tpd: float) -> dict[str, np.ndarray]:
    """Annual totals (oz), Q1 shares (%), yearly mean recovery (%) and oz per processed t.

    Returns arrays of shape (n_seeds * years,).
    """
    annual, q1, rec, yld, dec_ratio = [], [], [], [], []
    for seed in tqdm(range(n_seeds), desc="plants", unit="plant", leave=False):
        df = simulate_plant(12 * years, seed, capacity_tpd=capacity_tpd)
        oz = df["gold_oz"].to_numpy().reshape(years, 12)
        annual.append(oz.sum(axis=1))
        q1.append(100.0 * oz[:, :3].sum(axis=1) / oz.sum(axis=1))
        rec.append(df["recovery_pct"].to_numpy())
        yld.append(oz.sum(axis=1) / df["ore_processed_t"].to_numpy().reshape(years, 12).sum(1))
        dec = df[df.index.month == 12]
        dec_ratio.append((dec["ore_processed_t"] / dec["ore_purchased_t"]).to_numpy())
    return {"annual": np.concatenate(annual), "q1": np.concatenate(q1),
            "recovery": np.concatenate(rec), "yield": np.concatenate(yld),
            "dec_processed_over_purchased": np.concatenate(dec_ratio)}


def _row(name: str, x: np.ndarray, fmt: str) -> str:
    qs = np.percentile(x, LEVELS)
    cells = "  ".join(format(q, fmt).rjust(8) for q in qs)
    return f"{name:<28}{cells}   mean {format(x.mean(), fmt)}"


def main() -> None:
    """Print the calibration table."""
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--seeds", type=int, default=500)
    ap.add_argument("--years", type=int, default=10)
    ap.add_argument("--capacity", type=float, default=300.0)
    args = ap.parse_args()
    f = yearly_figures(args.seeds, args.years, args.capacity)
    n = f["annual"].size
    print(f"synthetic plant, {args.seeds} seeds x {args.years} years at {args.capacity:g} tpd "
          f"({n} plant-years)")
    print(f"{'':<28}" + "  ".join(f"p{q:02d}".rjust(8) for q in LEVELS))
    print(_row("annual output, oz", f["annual"], ",.0f"))
    print(_row("Q1 share of year, %", f["q1"], ".1f"))
    print(_row("monthly recovery, %", f["recovery"], ".1f"))
    print(_row("oz per processed t", f["yield"], ".3f"))
    print(_row("Dec processed / purchased", f["dec_processed_over_purchased"], ".3f"))
    in_q1 = np.mean((f["q1"] >= 17.0) & (f["q1"] <= 26.0))
    in_band = np.mean((f["annual"] >= 65_000) & (f["annual"] <= 95_000))
    print(f"share of Q1 shares in 17-26 %:        {in_q1:.1%}")
    print(f"share of annual totals in 65-95k oz:  {in_band:.1%}")
    print()
    print("real Dynacor (models/data/datasets/dynacor/README.md):")
    print("  annual oz 2012-2017 at ~250-300 tpd: "
          + ", ".join(f"{y} {v:,}" for y, v in REAL_ANNUAL_OZ.items()))
    q1 = np.array(list(REAL_Q1_SHARE_PCT.values()))
    print("  Q1 share %: " + ", ".join(f"{y} {v}" for y, v in REAL_Q1_SHARE_PCT.items())
          + f"  (mean {q1.mean():.1f})")
    print("  Dec 2017 at 300 tpd: 8,574 t bought, 8,610 t milled, 8,908 oz (1.03 oz/t); "
          "recovery 92.7-96.6 % (2010-2011 quarters)")


if __name__ == "__main__":
    main()
