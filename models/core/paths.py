"""Summaries of sample paths: quantiles, means, probabilities against guidance."""

from __future__ import annotations

import numpy as np

#: the quantile levels published in every output
QUANTILES = (0.05, 0.10, 0.50, 0.90, 0.95)


def quantiles(paths: np.ndarray, levels: tuple[float, ...] = QUANTILES) -> np.ndarray:
    """Quantiles along axis 0 of ``paths`` (n_paths, ...), shape (len(levels), ...), same unit."""
    return np.quantile(paths, levels, axis=0, method="linear")


def guidance_probabilities(annual_paths: np.ndarray, low_oz: float,
                           high_oz: float) -> dict[str, float]:
    """Share of paths below, within and above the guidance range.

    Args:
        annual_paths: annual totals, shape (n_paths,), oz.
        low_oz, high_oz: guidance range, oz (low <= high).
    Returns:
        ``prob_below_low``, ``prob_within``, ``prob_above_high``, summing to 1.
    """
    n = annual_paths.size
    below = float(np.count_nonzero(annual_paths < low_oz)) / n
    above = float(np.count_nonzero(annual_paths > high_oz)) / n
    return {"prob_below_low": below, "prob_within": 1.0 - below - above,
            "prob_above_high": above}


def simulated_paths(result, horizon: int, n_paths: int,
                    rng: np.random.Generator) -> np.ndarray:
    """Future paths of a fitted statsmodels state-space result (``SARIMAX``,
    ``UnobservedComponents``), simulated from the end of its sample, shape
    (n_paths, horizon), in the units the model was fitted in; statsmodels' warnings about
    the simulation are silenced (they concern its internals, not the paths)."""
    import warnings

    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        sims = result.simulate(nsimulations=horizon, repetitions=n_paths, anchor="end",
                               rng=rng)
    return np.asarray(sims, dtype=float).reshape(horizon, n_paths).T
