"""The Python facade: ``orecast.forecast(...)`` and ``orecast.backtest(...)`` with the
command line's defaults, returning one result object.

``orecast forecast`` runs ``forecast`` below and writes ``ForecastResult.to_dir``, so a
notebook and the command line give the same numbers and the same files for the same inputs
(4,000 paths, seed 0, the served ``ensemble`` procedure by default).
"""

from __future__ import annotations

import logging
import os
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd
from matplotlib.figure import Figure

from models.core.calendar import month_from_text, target_year
from models.core.errors import UsageError
from models.core.outlook import Outlook, Prices, guidance_at, year_outlook
from models.core.price_paths import PriceDeck
from models.core.version import orecast_version
from models.core.year import forecast_year
from models.data.digest import data_sha256
from models.data.inputs import Inputs, last_reported_month, load_inputs
from models.zoo import make_model

log = logging.getLogger(__name__)

#: the command line's defaults, shared by the facade
DEFAULT_MODEL = "ensemble"
DEFAULT_PATHS = 4000
DEFAULT_SEED = 0

PathLike = str | os.PathLike[str]


@dataclass(frozen=True)
class ForecastResult:
    """A year forecast: the ``annual.json`` record, the monthly and quarterly tables and the
    simulated paths they all come from.

    Attributes:
        outlook: the year's outlook (``models.core.outlook.Outlook``).
        inputs: the validated inputs it was made from.
    """

    outlook: Outlook
    inputs: Inputs

    @property
    def annual(self) -> dict[str, Any]:
        """The ``annual.json`` record (oz or oz AuEq; the ``sales_usd`` block in USD)."""
        return self.outlook.annual

    @property
    def monthly(self) -> pd.DataFrame:
        """``monthly.csv``: ``month, kind, mean, p10, p50, p90`` (oz) [+ sales columns]."""
        return self.outlook.monthly

    @property
    def quarterly(self) -> pd.DataFrame:
        """``quarterly.csv``: one row per quarter, summed path by path."""
        return self.outlook.quarterly

    @property
    def paths(self) -> np.ndarray:
        """Monthly output paths, shape (n_paths, 12), oz (known months fixed)."""
        return self.outlook.yf.month_paths

    @property
    def annual_paths(self) -> np.ndarray:
        """The year's total per path, shape (n_paths,), oz."""
        return self.outlook.yf.annual_paths

    @property
    def sales_paths(self) -> np.ndarray | None:
        """Monthly sales paths, shape (n_paths, 12), USD; None without prices."""
        return None if self.outlook.sales is None else self.outlook.sales.month_paths

    def plot(self) -> Figure:
        """The fan chart (monthly fan, cumulative output against the output guidance)."""
        from forecast.charts import fan_chart

        return fan_chart(self.outlook.yf, self.outlook.guidance.output)

    def to_dir(self, out: PathLike) -> Path:
        """Write ``annual.json``, ``monthly.csv``, ``quarterly.csv``, ``fan_chart.png`` (and
        ``sales_chart.png`` when the guidance is in sales) into ``out``, atomically, as
        ``orecast forecast --out`` does.

        Raises:
            UsageError: ``out`` is a file or a folder holding other files.
            OutputWriteError: the folder cannot be written; what was there is intact.
        """
        from forecast.charts import sales_chart, save_png
        from forecast.files import write_csv, write_dir_atomically, write_json

        o = self.outlook

        def write(tmp: Path) -> None:
            write_json(o.annual, tmp / "annual.json")
            write_csv(o.monthly, tmp / "monthly.csv")
            write_csv(o.quarterly, tmp / "quarterly.csv")
            save_png(self.plot(), tmp / "fan_chart.png")
            if o.sales is not None and o.guidance.metric == "sales_usd":
                save_png(sales_chart(o.sales, o.guidance.sales), tmp / "sales_chart.png")

        return write_dir_atomically(Path(out), write)

    def _repr_html_(self) -> str:  # a notebook shows the annual summary
        a = self.annual
        return (f"<b>{a['year']} as of {a['as_of']}</b>: median {a['p50']:,.0f} "
                f"{a['measure']}, 80% range {a['p10']:,.0f}-{a['p90']:,.0f}"
                + (f"; sales median US${a['sales_usd']['p50'] / 1e6:,.1f}M"
                   if a.get("sales_usd") else ""))


def _month(value: str | pd.Period | None, field: str = "as_of") -> pd.Period | None:
    if value is None or isinstance(value, pd.Period):
        return value
    return month_from_text(str(value), field)


def _deck(value: float | PathLike | PriceDeck | None) -> PriceDeck | None:
    if value is None or isinstance(value, PriceDeck):
        return value
    from forecast.cli.options import parse_price_deck

    return parse_price_deck(str(value))


def forecast(data: PathLike | pd.DataFrame | None = None, *,
             as_of: str | pd.Period | None = None, year: int | None = None,
             guidance: tuple[float, float] | PathLike | pd.DataFrame | None = None,
             guidance_metric: str = "oz",
             periods: PathLike | pd.DataFrame | None = None,
             prices: PathLike | pd.Series | None = None,
             price_deck: float | PathLike | PriceDeck | None = None,
             model: str = DEFAULT_MODEL, n_paths: int = DEFAULT_PATHS,
             seed: int = DEFAULT_SEED,
             scenario: Mapping[str, float] | None = None) -> ForecastResult:
    """Forecast the rest of a year from ``as_of``: the same numbers as ``orecast forecast``.

    Args:
        data: production history (CSV/Parquet path or validated frame); None = the
            embedded Dynacor data (or, with ``periods`` alone, a quarterly reporter).
        as_of: last known month, ``"YYYY-MM"`` or a Period; default the last month with a
            figure.
        year: target year; default the as-of month's (the next one from December).
        guidance: a range ``(low, high)`` in ``guidance_metric``'s unit, or a guidance file
            or frame (``year, metric, low, high, announced``); default the data's own.
        guidance_metric: the metric of a ``(low, high)`` range: ``oz``, ``aueq_oz`` or
            ``sales_usd`` (USD).
        periods: period totals (quarters, halves, year-to-date, years; ``sales`` in USD).
        prices: gold price history (USD/oz, file or series); default the embedded one.
        price_deck: a planning price (USD/oz) or a deck file for the months after as-of.
        model: zoo model name (default the served ``ensemble``).
        n_paths, seed: simulated paths and seed (the command line's 4,000 and 0).
        scenario: exogenous values for every future month, e.g.
            ``{"ore_purchased_t": 8500}`` (t per month; ``capacity_tpd`` t/day), or None
            (models that use ore tonnes then simulate them with the ounces).
    Returns:
        ForecastResult (``annual``, ``monthly``, ``quarterly``, ``paths``, ``plot()``,
        ``to_dir()``).
    Raises:
        DataValidationError, UsageError, ModelDeclined: bad inputs or options.
    """
    given = None
    guidance_file = None
    if isinstance(guidance, tuple | list):
        if len(guidance) != 2 or not float(guidance[0]) <= float(guidance[1]):
            raise UsageError(f"expected guidance as (low, high) with low <= high, got "
                             f"{guidance!r}", option="guidance")
        given = (float(guidance[0]), float(guidance[1]))
    else:
        guidance_file = guidance
    deck = _deck(price_deck)
    inputs = load_inputs(data, guidance_file, periods, prices)
    as_of_p = _month(as_of) or last_reported_month(inputs.history, inputs.periods)
    mdl = make_model(model)
    future = None
    if scenario:
        from forecast.cli.options import parse_scenario

        last = min(inputs.history.index[-1], as_of_p)
        future = parse_scenario([f"{k}={v}" for k, v in scenario.items()],
                                pd.period_range(last + 1, f"{year or target_year(as_of_p)}-12",
                                                freq="M", name="month"))
        if not (mdl.uses_exog or set(future.columns) & set(mdl.optional_columns)):
            raise UsageError(f"--scenario: model {model!r} does not use exogenous columns")
    yf = forecast_year(mdl, inputs.history, as_of_p, year, n_paths=n_paths, seed=seed,
                       periods=inputs.periods, future=future)
    gif = guidance_at(inputs.guidance, yf.year, as_of_p, given, guidance_metric)
    outlook = year_outlook(
        yf, inputs.history, inputs.periods, gif,
        Prices(inputs.prices, deck, required=prices is not None or deck is not None),
        seed=seed, model_version=None,
        data_sha256=data_sha256(inputs.history, inputs.periods),
        orecast_version=orecast_version())
    if yf.declined:
        log.info("%s: %d of %d members forecast (%s); declined: %s", yf.model,
                 len(yf.members), len(yf.members) + len(yf.declined), ", ".join(yf.members),
                 "; ".join(yf.declined.values())[:1000])
    return ForecastResult(outlook, inputs)


@dataclass(frozen=True)
class BacktestRun:
    """A rolling-origin backtest and what it chose (``orecast backtest``'s tables).

    Attributes:
        result: ``training.backtest.BacktestResult`` (``per_origin``, ``summary``, paths).
        choice: the selection (``selected`` is its ``best``; ``table``, ``rule``, years).
        held: the leave-one-year-out procedure's rows; folds: its folds.
        expectation: leave-one-year-out expectation per model (APE %, CRPS oz, cover80 %).
        sales: the sales forecast scored where the year's sales are known (USD), or empty.
    """

    result: Any
    choice: Any
    held: pd.DataFrame
    folds: pd.DataFrame
    expectation: pd.DataFrame
    sales: pd.DataFrame

    @property
    def selected(self) -> str:
        """The procedure the selection rule chose."""
        return self.choice.best

    @property
    def per_origin(self) -> pd.DataFrame:
        """One row per (model, origin) with its scores."""
        return self.result.per_origin

    @property
    def summary(self) -> pd.DataFrame:
        """Model x months-known means of the scores."""
        return self.result.summary


def backtest(data: PathLike | pd.DataFrame | None = None, *,
             years: Sequence[int] | None = None, models: Sequence[str] | None = None,
             guidance: PathLike | pd.DataFrame | None = None,
             periods: PathLike | pd.DataFrame | None = None,
             prices: PathLike | pd.Series | None = None, n_paths: int = 1000,
             seed: int = DEFAULT_SEED, jobs: int = 1, metric: str = "annual_crps",
             progress: bool = False) -> BacktestRun:
    """Backtest models at every origin of ``years`` with evidence and choose, as
    ``orecast backtest`` does (same defaults: 1,000 paths, the zoo's candidates, every
    year with evidence).

    Args:
        data, guidance, periods, prices: as ``forecast``'s.
        years: target years (origins December of Y-1 to November of Y); default every
            year with evidence; a year named without any origin is refused.
        models: zoo names (default the candidates ``orecast train`` backtests).
        n_paths, seed, jobs: paths per forecast, seed, worker processes.
        metric: the selection loss (``annual_crps``, ...).
        progress: show a progress bar.
    Returns:
        BacktestRun (``per_origin``, ``summary``, ``selected``, ``expectation``,
        ``sales``).
    Raises:
        DataValidationError, UsageError: bad inputs, unknown model or metric.
    """
    from models.zoo import model_class
    from training.backtest import BacktestConfig, require_origins, run_backtest
    from training.candidates import candidate_names, evidence_years
    from training.combination import EQUAL, add_combinations
    from training.loyo import expectation_table, leave_one_year_out
    from training.sales_backtest import sales_backtest
    from training.selection import choose_procedure

    names = candidate_names(list(models) if models else None)
    for name in names:
        model_class(name)  # unknown names fail here, before any work
    inputs = load_inputs(data, guidance, periods, prices)
    target_years = list(years) if years else evidence_years(inputs.history, inputs.periods)
    if years:
        # Years asked for by name must each be backtested; the default skips unfinished ones.
        require_origins(target_years, inputs.history, inputs.periods)
    monthly_h = 3
    result = run_backtest(inputs.history, names, target_years, periods=inputs.periods,
                          guidance=inputs.guidance,
                          config=BacktestConfig(n_paths=n_paths, seed=seed, n_jobs=jobs,
                                                monthly_h=monthly_h, progress=progress))
    result, _ = add_combinations(result, inputs.history, monthly_h, metric)
    choice = choose_procedure(result, EQUAL, metric)
    held, folds = leave_one_year_out(result, inputs.history, monthly_h, metric)
    sales = sales_backtest(result.forecasts, inputs.history, inputs.periods, inputs.prices,
                           inputs.guidance, model=choice.best, seed=seed)
    return BacktestRun(result, choice, held, folds, expectation_table(result, held), sales)
