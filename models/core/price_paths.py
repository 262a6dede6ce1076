"""Gold price paths for the months of a year: known prices up to the as-of month, simulated
(or a planning deck's) after it.

The default model is a random walk in the log of the monthly average price with no drift
in the price (a martingale: the futures curve for a year ahead sits within a few percent of
spot, and no one forecasts the gold price's direction reliably), its monthly volatility
the standard deviation of the log changes of the ``PRICE_WINDOW`` months up to as-of. What
it assumes and how its intervals hold on 1990-2017 is in docs/prices.md and BENCHMARKS.md
(``benchmarks/price_calibration.py``).

A price deck (a finance team's planning price) is one price per future month: every path
the same, so the spread of sales then comes from ounces (and the sales ratio) alone.

Nothing here ever invents a price for a month up to as-of: a month of the year that the
price history does not reach is an error naming it, asking for ``--prices`` or a deck.
"""

from __future__ import annotations

import math
from dataclasses import dataclass

import numpy as np
import pandas as pd

from models.core.errors import DataValidationError

#: months of log price changes the volatility is measured on (the trailing three years:
#: long enough to average out a calm or a wild quarter, short enough to follow regimes;
#: the only window measured besides 12 and 60, see BENCHMARKS.md "Gold price paths")
PRICE_WINDOW = 36
#: fewer log changes than this give no usable volatility
MIN_PRICE_CHANGES = 12
#: stream of the seed the price paths are drawn from, apart from the ounces' own streams
PRICE_STREAM = 0x60_1D


@dataclass(frozen=True)
class PriceDeck:
    """Planning prices for the months after as-of (USD/oz): a flat price or one a month.

    Attributes:
        flat: one price for every future month, or None.
        monthly: price per month (monthly PeriodIndex), or None.
        label: how outputs name it (``deck 1,850 USD/oz``, ``deck file.csv``).
    """

    flat: float | None = None
    monthly: pd.Series | None = None
    label: str = ""

    @classmethod
    def flat_price(cls, value: float) -> PriceDeck:
        """A flat deck of ``value`` USD/oz for every month after as-of.

        Raises:
            ValueError: not a finite price above 0 and at most ``MAX_PRICE_USD`` (the
                message says what was expected).
        """
        from models.data.schema import MAX_PRICE_USD

        value = float(value)
        if not (math.isfinite(value) and 0 < value <= MAX_PRICE_USD):
            raise ValueError(f"expected a price in USD/oz above 0 and at most "
                             f"{MAX_PRICE_USD:,}")
        return cls(flat=value, label=f"deck {value:,.0f} USD/oz")

    def price(self, month: pd.Period) -> float:
        """The deck's price of ``month`` (USD/oz).

        Raises:
            DataValidationError: a deck file that has no price for ``month``.
        """
        if self.flat is not None:
            return float(self.flat)
        assert self.monthly is not None
        if month not in self.monthly.index:
            source = self.monthly.attrs.get("source", "<price deck>")
            raise DataValidationError(
                f"{source}:0: month: expected a deck price for every month after the as-of "
                f"month, found none for {month} (the deck covers {self.monthly.index[0]}.."
                f"{self.monthly.index[-1]})")
        return float(self.monthly.loc[month])


@dataclass(frozen=True)
class PricePaths:
    """Gold price of each month of a year, per path.

    Attributes:
        months: the 12 months of the year (PeriodIndex).
        paths: array (n_paths, 12), USD/oz; months up to as-of hold the history's price in
            every path.
        n_known: months of the year whose price is known (from the history).
        model: how the later months were priced (the model with its volatility, or the
            deck), as outputs name it.
        sigma: the monthly volatility of log price used (None for a deck).
    """

    months: pd.PeriodIndex
    paths: np.ndarray
    n_known: int
    model: str
    sigma: float | None = None


def price_volatility(prices: pd.Series, as_of: pd.Period,
                     window: int = PRICE_WINDOW) -> float | None:
    """Standard deviation of the monthly log price changes of the ``window`` months up to
    ``as_of`` (a fraction per month), or None when fewer than ``MIN_PRICE_CHANGES`` are
    known."""
    known = prices.loc[prices.index <= as_of].tail(window + 1)
    changes = np.diff(np.log(known.to_numpy(dtype=float)))
    if changes.size < MIN_PRICE_CHANGES:
        return None
    return float(np.std(changes, ddof=1))


#: points a month at which the underlying price is drawn before it is averaged
STEPS_A_MONTH = 8


def simulate_log_walk(last_price: float, sigma: float, horizon: int, n_paths: int,
                      rng: np.random.Generator) -> np.ndarray:
    """Monthly average prices of a random walk in log price with no drift in the price
    itself (a martingale), shape (n_paths, horizon), USD/oz.

    The history holds monthly averages, whose changes understate the underlying price's
    variance: for a random walk the change between two monthly averages has 2/3 of a
    month's variance, and consecutive changes correlate by 1/4 (Working 1960). So the
    underlying walk gets ``sigma * sqrt(3/2)`` a month, is drawn ``STEPS_A_MONTH`` times a
    month from the as-of month's end (itself the month's average plus the end's own
    deviation from it, variance 1/3 of a month's), and each month's price is its average.

    Args:
        last_price: the as-of month's average price (USD/oz).
        sigma: monthly volatility of the log changes of monthly averages (fraction).
        horizon: months ahead.
        n_paths: number of paths.
        rng: generator the normal draws come from.
    """
    if horizon == 0:
        return np.empty((n_paths, 0))
    s_u = sigma * np.sqrt(1.5)
    step = s_u / np.sqrt(STEPS_A_MONTH)
    start = rng.standard_normal(n_paths) * s_u / np.sqrt(3.0)
    draws = rng.standard_normal((n_paths, horizon * STEPS_A_MONTH)) * step - 0.5 * step**2
    log_u = start[:, None] - s_u**2 / 6.0 + np.cumsum(draws, axis=1)
    u = last_price * np.exp(log_u)
    return u.reshape(n_paths, horizon, STEPS_A_MONTH).mean(axis=2)


def year_price_paths(prices: pd.Series | None, year: int, as_of: pd.Period, n_paths: int,
                     seed: int, deck: PriceDeck | None = None) -> PricePaths:
    """Price paths for the 12 months of ``year`` as known at ``as_of``.

    The months of the year up to as-of take the history's price; later months the deck's
    price, or the log random walk from the as-of month's price with the trailing
    volatility. Prices after as-of in the history are never used (a backtest origin sees
    what was known then).

    Args:
        prices: monthly price history (USD/oz, monthly PeriodIndex) or None (deck only).
        year: target year.
        as_of: last known month.
        n_paths: paths, matching the ounces' paths one to one.
        seed: the forecast's seed; the prices draw from a stream of their own, so the
            ounces' paths are the same with or without prices.
        deck: planning prices for the months after as-of, or None for the model.
    Returns:
        PricePaths with paths of shape (n_paths, 12).
    Raises:
        DataValidationError: a month of the year up to as-of (or the as-of month itself,
            which the walk starts from) has no price: one line naming it, asking for
            ``--prices`` or a deck.
    """
    months = pd.period_range(f"{year}-01", f"{year}-12", freq="M", name="month")
    n_known = int(np.clip((as_of - months[0]).n + 1, 0, 12))
    source = (prices.attrs.get("source", "<prices>") if prices is not None
              else "<no price history>")
    known_months = months[:n_known]
    needed = list(known_months) + ([as_of] if deck is None else [])
    have = set() if prices is None else set(prices.index[prices.index <= as_of])
    missing = [m for m in dict.fromkeys(needed) if m not in have]
    if missing:
        last = f"it ends at {prices.index[-1]}" if prices is not None and len(prices) else \
            "none was given"
        raise DataValidationError(
            f"{source}:0: usd_per_oz: expected a gold price for every month of {year} up to "
            f"{as_of}, found none for {missing[0]}{'..' + str(missing[-1]) if len(missing) > 1 else ''}"
            f" ({last}); give --prices FILE reaching {as_of}, or a --price-deck for the "
            f"months after it")
    paths = np.empty((n_paths, 12))
    if n_known:
        paths[:, :n_known] = prices.reindex(known_months).to_numpy(dtype=float)[None, :]
    horizon = 12 - n_known
    if deck is not None:
        paths[:, n_known:] = [deck.price(m) for m in months[n_known:]]
        return PricePaths(months, paths, n_known, deck.label, None)
    sigma = price_volatility(prices, as_of)
    if sigma is None:
        raise DataValidationError(
            f"{source}:0: usd_per_oz: expected at least {MIN_PRICE_CHANGES + 1} months of "
            f"prices up to {as_of} to measure the price's volatility, found "
            f"{len(have)}; give a longer --prices history or a --price-deck")
    rng = np.random.default_rng([seed, PRICE_STREAM])
    # from the as-of month on: an as-of before the year walks through the months between
    steps = int((months[-1] - as_of).n)
    walk = simulate_log_walk(float(prices.loc[as_of]), sigma, steps, n_paths, rng)
    paths[:, n_known:] = walk[:, steps - horizon:]
    label = (f"random walk in log price, no drift, volatility {100 * sigma:.1f}% a month "
             f"(the {PRICE_WINDOW} months to {as_of})")
    return PricePaths(months, paths, n_known, label, sigma)
