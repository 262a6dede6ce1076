"""Forecast accuracy scores: point errors, CRPS, pinball loss and interval coverage.

Pure numpy. Every function is NaN-aware where it says so: a month without an actual is left
out of a mean rather than counted. Units follow the inputs (oz in, oz out) unless stated.

Sources: Hyndman & Koehler (2006) "Another look at measures of forecast accuracy" (MASE);
Makridakis & Hibon (2000) "The M3-Competition" (sMAPE); Gneiting & Raftery (2007) "Strictly
proper scoring rules, prediction, and estimation", JASA 102(477) (CRPS, pinball loss);
Koenker & Bassett (1978) (quantile / pinball loss).
"""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np

from models.kernels.seasonal import mean_abs_difference

#: quantile levels of the default pinball loss: 0.05, 0.10, ..., 0.95
PINBALL_LEVELS: tuple[float, ...] = tuple(np.round(np.arange(1, 20) / 20, 2).tolist())


def _nanmean(x: np.ndarray) -> float:
    x = np.asarray(x, dtype=float)
    finite = np.isfinite(x)
    return float(x[finite].mean()) if finite.any() else float("nan")


def mae(actual: np.ndarray, forecast: np.ndarray) -> float:
    """Mean absolute error, mean of |F - A| over the pairs where both are finite.

    Args:
        actual: actuals, shape (h,), oz (NaN = unknown).
        forecast: point forecasts, shape (h,), oz.
    Returns:
        MAE in oz, NaN when no pair is finite.
    """
    a, f = np.asarray(actual, dtype=float), np.asarray(forecast, dtype=float)
    return _nanmean(np.abs(f - a))


def smape(actual: np.ndarray, forecast: np.ndarray) -> float:
    """Symmetric MAPE of the M3 competition: mean of 200 |F - A| / (|F| + |A|), in percent.

    Makridakis & Hibon (2000). A pair with F = A = 0 scores 0 (a perfect forecast), not NaN.

    Args:
        actual: actuals, shape (h,), oz (NaN = unknown).
        forecast: point forecasts, shape (h,), oz.
    Returns:
        sMAPE in percent (0..200), NaN when no pair is finite.
    """
    a, f = np.asarray(actual, dtype=float), np.asarray(forecast, dtype=float)
    den = np.abs(f) + np.abs(a)
    err = np.abs(f - a)
    with np.errstate(invalid="ignore", divide="ignore"):
        terms = np.where(den > 0, 200.0 * err / np.where(den > 0, den, 1.0), 0.0)
    terms = np.where(np.isfinite(a) & np.isfinite(f), terms, np.nan)
    return _nanmean(terms)


def mase_scale(history: np.ndarray, season: int = 12) -> float:
    """In-sample scale of MASE: mean |y_t - y_{t-m}| over the history (Hyndman & Koehler 2006).

    Uses the seasonal lag ``m = season`` when the history has more than ``season`` months and
    at least one finite seasonal difference; otherwise falls back to lag 1 (the non-seasonal
    naive), since a year of history gives no seasonal difference at all. Pairs with a NaN
    month are skipped.

    Args:
        history: target history up to the forecast origin, shape (n,), oz.
        season: seasonal period in months.
    Returns:
        Scale in oz; NaN when no finite difference exists or the scale is 0.
    """
    for lag in (season, 1):
        scale = mean_abs_difference(history, lag)
        if np.isfinite(scale):
            return scale if scale > 0 else float("nan")
    return float("nan")


def mase(actual: np.ndarray, forecast: np.ndarray, scale: float) -> float:
    """Mean absolute scaled error: MAE / scale (Hyndman & Koehler 2006).

    Args:
        actual: actuals, shape (h,), oz (NaN = unknown).
        forecast: point forecasts, shape (h,), oz.
        scale: in-sample naive MAE in oz (see ``mase_scale``).
    Returns:
        Unitless MASE; NaN when the scale is not a positive finite number.
    """
    if not (np.isfinite(scale) and scale > 0):
        return float("nan")
    return mae(actual, forecast) / float(scale)


def crps_from_samples(samples: np.ndarray, actual: float | np.ndarray) -> float | np.ndarray:
    """CRPS of an ensemble: E|X - y| - 0.5 E|X - X'| (Gneiting & Raftery 2007, eq. 21).

    Computed exactly for the empirical distribution of the samples in O(n log n): with the
    samples sorted, E|X - X'| = 2 / n^2 * sum_i (2i - n + 1) x_(i) (i = 0..n-1).

    Args:
        samples: shape (n_paths,) or (n_paths, h), oz.
        actual: scalar or shape (h,), oz (NaN = unknown).
    Returns:
        CRPS in oz: a float for 1-d samples, else an array (h,); NaN where the actual is NaN.
    """
    x = np.asarray(samples, dtype=float)
    one_d = x.ndim == 1
    if one_d:
        x = x[:, None]
    y = np.broadcast_to(np.asarray(actual, dtype=float), x.shape[1:])
    n = x.shape[0]
    xs = np.sort(x, axis=0)
    term1 = np.abs(x - y[None, :]).mean(axis=0)
    weights = (2.0 * np.arange(n) - n + 1.0)[:, None]
    half_spread = (weights * xs).sum(axis=0) / n**2
    crps = np.where(np.isfinite(y), term1 - half_spread, np.nan)
    return float(crps[0]) if one_d else crps


def crps_uniform(low: float | np.ndarray, high: float | np.ndarray,
                 y: float | np.ndarray) -> float | np.ndarray:
    """Closed-form CRPS of the uniform distribution on [low, high] at the outcome ``y``.

    With w = high - low and c = (low + high) / 2: E|X - X'| = w / 3, and E|X - y| equals
    ((y - low)^2 + (high - y)^2) / (2w) inside the range, |y - c| outside. CRPS = E|X - y| -
    w / 6 (Gneiting & Raftery 2007, eq. 21); w = 0 gives |y - low|, the absolute error.

    Args:
        low, high: range bounds, oz (low <= high).
        y: outcome, oz.
    Returns:
        CRPS in oz, same shape as the broadcast inputs (float for scalars).
    """
    lo, hi, yy = np.broadcast_arrays(*(np.asarray(v, dtype=float) for v in (low, high, y)))
    w = hi - lo
    c = 0.5 * (lo + hi)
    inside = (yy >= lo) & (yy <= hi) & (w > 0)
    with np.errstate(invalid="ignore", divide="ignore"):
        e_in = ((yy - lo) ** 2 + (hi - yy) ** 2) / (2.0 * np.where(w > 0, w, 1.0))
    e_abs = np.where(inside, e_in, np.abs(yy - c))
    out = e_abs - w / 6.0
    return float(out) if out.ndim == 0 else out


def pinball_loss(predictions: np.ndarray, actual: float | np.ndarray,
                 levels: Sequence[float] = PINBALL_LEVELS, *,
                 quantiles_given: bool = False) -> float | np.ndarray:
    """Pinball (quantile) loss averaged over ``levels`` (Koenker & Bassett 1978).

    For level tau and quantile q: tau (y - q) if y >= q, else (1 - tau) (q - y). Twice the
    mean over evenly spaced levels approximates the CRPS (Gneiting & Raftery 2007, sec. 9.1).

    Args:
        predictions: sample paths of shape (n_paths,) or (n_paths, h) (quantiles taken with
            numpy's linear method), or, with ``quantiles_given``, quantile forecasts of shape
            (len(levels),) or (len(levels), h), oz.
        actual: scalar or shape (h,), oz (NaN = unknown).
        levels: quantile levels in (0, 1).
        quantiles_given: True when ``predictions`` already holds the quantiles.
    Returns:
        Mean pinball loss in oz: float for 1-d input, else array (h,); NaN where actual is NaN.
    """
    tau = np.asarray(levels, dtype=float)
    p = np.asarray(predictions, dtype=float)
    one_d = p.ndim == 1
    if one_d:
        p = p[:, None]
    q = p if quantiles_given else np.quantile(p, tau, axis=0, method="linear")
    if q.shape[0] != tau.size:
        raise ValueError(f"pinball_loss: {q.shape[0]} quantile rows for {tau.size} levels")
    y = np.broadcast_to(np.asarray(actual, dtype=float), q.shape[1:])[None, :]
    diff = y - q
    loss = np.where(diff >= 0, tau[:, None] * diff, (tau[:, None] - 1.0) * diff).mean(axis=0)
    loss = np.where(np.isfinite(y[0]), loss, np.nan)
    return float(loss[0]) if one_d else loss


def interval_bounds(samples: np.ndarray, level: float) -> tuple[np.ndarray, np.ndarray]:
    """Central interval of the samples: quantiles (1 - level) / 2 and (1 + level) / 2.

    Args:
        samples: shape (n_paths,) or (n_paths, h), oz.
        level: nominal coverage in (0, 1), e.g. 0.8.
    Returns:
        (lower, upper), each of shape () or (h,), oz.
    """
    lo, hi = np.quantile(np.asarray(samples, dtype=float), [(1 - level) / 2, (1 + level) / 2],
                        axis=0, method="linear")
    return lo, hi


def interval_coverage(samples: np.ndarray, actual: float | np.ndarray,
                      level: float) -> float | np.ndarray:
    """Whether the actual falls in the central ``level`` interval of the samples (bounds in).

    Args:
        samples: shape (n_paths,) or (n_paths, h), oz.
        actual: scalar or shape (h,), oz (NaN = unknown).
        level: nominal coverage in (0, 1).
    Returns:
        1.0 inside, 0.0 outside, NaN where the actual is NaN: a float for 1-d samples, else
        an array (h,). Its NaN-aware mean is the empirical coverage.
    """
    lo, hi = interval_bounds(samples, level)
    y = np.asarray(actual, dtype=float)
    hit = np.where(np.isfinite(y), ((y >= lo) & (y <= hi)).astype(float), np.nan)
    return float(hit) if np.ndim(hit) == 0 else hit


def coverage_pct(hits: np.ndarray | Sequence[float]) -> float:
    """Empirical coverage in percent, the unit of every coverage metric orecast logs (as APE
    is a percent of the actual): 100 x the mean of ``interval_coverage`` flags.

    Args:
        hits: 1.0 inside / 0.0 outside flags (NaN or None = not scored, ignored), any shape.
    Returns:
        percent in [0, 100]; NaN when nothing was scored.
    """
    flags = np.asarray(hits, dtype=float)
    return 100.0 * _nanmean(flags)
