"""How often the gold price model's 80% interval of the next 12 months' average price holds
the truth, on rolling origins of the embedded World Bank history (1990-2017).

Every month from the first with ``PRICE_WINDOW`` months of changes behind it to the last
with 12 months after it is an origin; the model (``models.core.price_paths``: log random
walk, no drift, trailing volatility) draws 4,000 paths of the next 12 monthly averages and
their mean is compared with the realised mean. Origins overlap (consecutive origins share
11 months), so the confidence interval printed is of independent yearly origins (every
12th), and the rolling figure is the point estimate.

    .venv/bin/python benchmarks/price_calibration.py [--window 36] [--prices FILE]
"""

from __future__ import annotations

import argparse

import numpy as np

from models.core.price_paths import PRICE_WINDOW, price_volatility, simulate_log_walk
from models.data.datasets import gold_price
from models.data.tables import load_prices


def wilson(k: int, n: int, z: float = 1.96) -> tuple[float, float]:
    """95% Wilson interval of a proportion k/n."""
    p = k / n
    centre = (p + z * z / (2 * n)) / (1 + z * z / n)
    half = z * np.sqrt(p * (1 - p) / n + z * z / (4 * n * n)) / (1 + z * z / n)
    return centre - half, centre + half


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--window", type=int, default=PRICE_WINDOW)
    parser.add_argument("--prices", default=None)
    parser.add_argument("--n-paths", type=int, default=4000)
    args = parser.parse_args()
    prices = load_prices(args.prices) if args.prices else gold_price()
    rng = np.random.default_rng(0)
    rows = []
    for i in range(args.window, len(prices) - 12):
        as_of = prices.index[i]
        sigma = price_volatility(prices, as_of, args.window)
        sims = simulate_log_walk(float(prices.iloc[i]), sigma, 12, args.n_paths, rng)
        mean12 = sims.mean(axis=1)
        lo, hi = np.quantile(mean12, [0.1, 0.9])
        truth = float(prices.iloc[i + 1:i + 13].mean())
        rows.append((as_of, lo <= truth <= hi, truth < lo, truth > hi,
                     (hi - lo) / float(np.median(mean12))))
    n = len(rows)
    inside = sum(r[1] for r in rows)
    below = sum(r[2] for r in rows)
    above = sum(r[3] for r in rows)
    yearly = rows[::12]
    k = sum(r[1] for r in yearly)
    lo, hi = wilson(k, len(yearly))
    print(f"window {args.window} months, origins {rows[0][0]}..{rows[-1][0]} ({n})")
    print(f"80% interval of the next 12 months' mean price holds the truth: "
          f"{100 * inside / n:.1f}% ({inside}/{n}); below {below}, above {above}")
    print(f"every 12th origin (independent years): {100 * k / len(yearly):.1f}% "
          f"({k}/{len(yearly)}), 95% CI {100 * lo:.1f}-{100 * hi:.1f}")
    print(f"median interval width: {100 * np.median([r[4] for r in rows]):.1f}% of the "
          f"median")
    for decade in ("199", "200", "201"):
        sub = [r for r in rows if str(r[0]).startswith(decade)]
        if sub:
            print(f"  origins {decade}0s: {100 * sum(r[1] for r in sub) / len(sub):.1f}% "
                  f"({len(sub)})")


if __name__ == "__main__":
    main()
