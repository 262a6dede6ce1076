"""What one month fifty times too large does to each model's annual forecast.

The ``huge_outlier`` edge series of ``tests/faults/test_numerical_edges.py`` (a simulated
plant, 72 months from 2012-01, month 41 multiplied by 50) is fitted by each model of the
zoo, which then forecasts the next 12 months with 200 paths, seed 5, as that test does.
Printed: the P10, P50 and P90 of the 12-month total (oz), as the table in
docs/bad_inputs.md. Nothing here reads real data.

    .venv/bin/python benchmarks/outlier_forecasts.py
"""

from __future__ import annotations

import sys
import warnings
from pathlib import Path

import numpy as np

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from models.core.errors import ModelDeclined  # noqa: E402
from models.core.pipeline import fit_model  # noqa: E402
from models.zoo import make_model  # noqa: E402
from tests.faults.test_numerical_edges import EDGES, HORIZON, N_PATHS, SEED  # noqa: E402

MODELS = ("seasonal_naive", "drift", "share_runrate", "ets", "theta", "sarimax",
          "state_space", "gbm", "metallurgical", "ensemble")


def main() -> None:
    """Print the markdown table of P10/P50/P90 annual totals (oz) per model."""
    print("| model | p10 | p50 | p90 |")
    print("|---|---|---|---|")
    for name in MODELS:
        model = make_model(name)
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")  # optimisers warn on the outlier; not the point
            try:
                fit_model(model, EDGES["huge_outlier"])
            except ModelDeclined as exc:
                print(f"| {name} | declines: {exc} | | |")
                continue
            totals = model.sample_paths(HORIZON, N_PATHS, SEED).sum(axis=1)
        p10, p50, p90 = np.quantile(totals, [0.1, 0.5, 0.9])
        print(f"| {name} | {p10:,.0f} | {p50:,.0f} | {p90:,.0f} |")


if __name__ == "__main__":
    main()
