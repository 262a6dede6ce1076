"""Guidance advice: the range of a year's total that the forecast gives a chosen central
probability, the chance of reaching its low end, and the same odds for a proposed range.

Everything is read from one array of simulated annual totals (oz), the same paths every
other output of a year forecast comes from (``models.core.year.YearForecast.annual_paths``):
the range is the central interval of those totals (quantiles (1-c)/2 and (1+c)/2, linear
interpolation as ``models.core.paths.quantiles``), its ends and the median rounded as every
published ounce figure is (``forecast.numbers.oz``), and each probability a share of paths
counted against the rounded figures, so the sentence, the JSON and the chart agree.
"""

from __future__ import annotations

import math
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd
from matplotlib.figure import Figure

from forecast.charts import finish_totals_histogram, save_png, totals_histogram
from forecast.files import write_dir_atomically, write_json
from forecast.numbers import oz, pct, usd
from models.core.errors import UsageError
from models.core.paths import quantiles

#: the files of a guidance advice folder
GUIDANCE_JSON, GUIDANCE_PNG = "guidance.json", "guidance.png"
#: the central probability asked for when none is given
DEFAULT_COVERAGE = 0.8


@dataclass(frozen=True)
class RangeOdds:
    """The odds of a proposed range of the year's total.

    Attributes:
        low_oz, high_oz: the range as proposed, oz (low <= high).
        prob_reach_low: P(total >= low_oz).
        prob_within: P(low_oz <= total <= high_oz).
        prob_above_high: P(total > high_oz); with ``prob_within`` and the chance of falling
            short of ``low_oz`` (1 - ``prob_reach_low``) it sums to 1.
    """

    low_oz: float
    high_oz: float
    prob_reach_low: float
    prob_within: float
    prob_above_high: float


@dataclass(frozen=True)
class Advice:
    """The advised range of a year's total and the odds that go with it.

    Attributes:
        coverage: the central probability asked for, in (0, 1).
        low_oz, high_oz: the central ``coverage`` interval of the totals, whole oz.
        prob_reach_low: P(total >= low_oz), about (1 + coverage) / 2.
        p50_oz: the median total, whole oz.
        n_paths: how many simulated totals the figures are shares of.
        proposed: the odds of the range the user proposed, or None.
    """

    coverage: float
    low_oz: int
    high_oz: int
    prob_reach_low: float
    p50_oz: int
    n_paths: int
    proposed: RangeOdds | None = None


#: the unit each guidance metric's figures are printed in
METRIC_UNITS = {"oz": "oz", "aueq_oz": "oz AuEq", "sales_usd": "USD"}


def figure(x: float, metric: str = "oz") -> str:
    """A total as printed in ``metric``: ``89,893 oz``, ``105,000 oz AuEq``, ``US$91.3M``."""
    return usd(x) if metric == "sales_usd" else f"{oz(x)} {METRIC_UNITS.get(metric, 'oz')}"


def whole_oz(x: float) -> int:
    """``x`` oz as the whole ounces orecast prints for it (``forecast.numbers.oz``: to 0.1 oz,
    then half up), as an int."""
    # Parsed back from the printed figure, so the JSON can never disagree with the sentence.
    return int(oz(x).replace(",", ""))


def coverage_label(coverage: float) -> str:
    """``0.8`` -> ``"80%"``, ``0.333`` -> ``"33.3%"``: the coverage as people read it."""
    return f"{round(coverage * 100, 6):g}%"


def check_coverage(coverage: float) -> float:
    """``coverage`` as a float strictly between 0 and 1.

    Raises:
        UsageError: 0, 1, outside (0, 1), NaN or not a number (option ``coverage``).
    """
    try:
        c = float(coverage)
    except (TypeError, ValueError):
        c = math.nan
    if not 0.0 < c < 1.0:
        raise UsageError(f"expected a central probability strictly between 0 and 1 (e.g. "
                         f"0.8 for 80%), got {coverage!r}", option="coverage")
    return c


def range_odds(annual_paths: np.ndarray, low_oz: float, high_oz: float) -> RangeOdds:
    """The odds of the range ``low_oz``-``high_oz`` (oz) among the simulated annual totals.

    Args:
        annual_paths: simulated annual totals, shape (n_paths,), oz.
        low_oz, high_oz: the range, oz, finite, low <= high.
    Returns:
        RangeOdds: shares of paths at or above low, within (ends included), above high.
    """
    paths = np.asarray(annual_paths, dtype=float).ravel()
    n = paths.size
    # Each share is one count divided by n_paths, so the JSON reads 0.04475, not the
    # 0.04475000000000007 that 1 - below - above leaves.
    n_reach = int(np.count_nonzero(paths >= low_oz))
    n_above = int(np.count_nonzero(paths > high_oz))
    return RangeOdds(low_oz=float(low_oz), high_oz=float(high_oz), prob_reach_low=n_reach / n,
                     prob_within=(n_reach - n_above) / n, prob_above_high=n_above / n)


def advise(annual_paths: np.ndarray, coverage: float = DEFAULT_COVERAGE,
           proposed: tuple[float, float] | None = None) -> Advice:
    """The central range of the year's total at ``coverage`` and its odds, from the paths.

    The range is the (1-c)/2 and (1+c)/2 quantiles of the simulated totals (an equal-tailed
    central interval, Hyndman & Athanasopoulos FPP3 5.5), rounded to whole oz.

    Args:
        annual_paths: simulated annual totals, shape (n_paths,), oz, finite.
        coverage: central probability of the range, in (0, 1).
        proposed: a range (low_oz, high_oz) to give the odds of, or None.
    Returns:
        Advice (oz and probabilities).
    Raises:
        UsageError: coverage outside (0, 1) (option ``coverage``), a proposed range that is
            not finite with low <= high (option ``range``), or no finite paths.
    """
    c = check_coverage(coverage)
    paths = np.asarray(annual_paths, dtype=float).ravel()
    if paths.size == 0 or not np.all(np.isfinite(paths)):
        raise UsageError(f"expected a non-empty array of finite annual totals (oz), got "
                         f"{paths.size} values, {int(np.sum(~np.isfinite(paths)))} not finite")
    if proposed is not None:
        lo, hi = (float(v) for v in proposed)
        if not (math.isfinite(lo) and math.isfinite(hi) and lo <= hi):
            raise UsageError(f"expected finite LOW <= HIGH in oz, got {lo:g}:{hi:g}",
                             option="range")
    q_low, q_mid, q_high = quantiles(paths, ((1 - c) / 2, 0.5, (1 + c) / 2))
    low, high = whole_oz(q_low), whole_oz(q_high)
    return Advice(coverage=c, low_oz=low, high_oz=high,
                  prob_reach_low=range_odds(paths, low, high).prob_reach_low,
                  p50_oz=whole_oz(q_mid), n_paths=int(paths.size),
                  proposed=None if proposed is None else range_odds(paths, *proposed))


def advice_record(advice: Advice, *, year: int, as_of: pd.Period, seed: int,
                  model: Mapping[str, Any], data_sha256: str,
                  orecast_version: str, metric: str = "oz") -> dict[str, Any]:
    """The ``guidance.json`` record, keys in publication order (no timestamp: same inputs,
    same bytes).

    Args:
        advice: the advice (oz, probabilities).
        year: the target year; as_of: the last known month.
        seed: the simulation's seed.
        model: ``uri, name, version, run_id, spec`` of the model used.
        data_sha256: ``models.data.digest.data_sha256`` of the figures forecast from.
        orecast_version: the package version.
        metric: the metric of the totals (``oz``, ``aueq_oz``, ``sales_usd``); the
            ``*_oz`` keys hold figures in its unit (their names are kept for readers of
            older files).
    Returns:
        dict: ``year, as_of, metric, coverage, range {low_oz, high_oz}, prob_reach_low, proposed
        ({low_oz, high_oz, prob_reach_low, prob_within, prob_above_high} or null), p50,
        n_paths, seed, model, data_sha256, orecast_version``.
    """
    p = advice.proposed
    return {
        "year": int(year),
        "as_of": str(as_of),
        "metric": metric,
        "coverage": advice.coverage,
        "range": {"low_oz": advice.low_oz, "high_oz": advice.high_oz},
        "prob_reach_low": advice.prob_reach_low,
        "proposed": None if p is None else {
            "low_oz": p.low_oz, "high_oz": p.high_oz, "prob_reach_low": p.prob_reach_low,
            "prob_within": p.prob_within, "prob_above_high": p.prob_above_high},
        "p50": advice.p50_oz,
        "n_paths": advice.n_paths,
        "seed": int(seed),
        "model": {k: model.get(k) for k in ("uri", "name", "version", "run_id", "spec")},
        "data_sha256": data_sha256,
        "orecast_version": orecast_version,
    }


def advice_sentence(advice: Advice, year: int, as_of: pd.Period, metric: str = "oz") -> str:
    """One sentence for people, e.g. "For 2018 (as of December 2017) an 80% range is
    84,000-97,000 oz; the chance of reaching 84,000 oz is 90%; for the proposed
    78,000-82,000 oz the chance of landing within it is 8%, below it 5%, above it 87%."
    (the last clause only with a proposed range; figures in ``metric``'s unit)."""
    label = coverage_label(advice.coverage)
    whole = label.split(".")[0].rstrip("%")
    # "an 80%", "an 11%", "an 18%", "a 90%": the article follows the spoken number.
    article = "an" if whole.startswith("8") or whole in ("11", "18") else "a"
    unit = "" if metric == "sales_usd" else f" {METRIC_UNITS.get(metric, 'oz')}"

    def num(x: float) -> str:
        return usd(x) if metric == "sales_usd" else oz(x)

    text = (f"For {year} (as of {as_of.strftime('%B %Y')}) {article} {label} range is "
            f"{num(advice.low_oz)}-{num(advice.high_oz)}{unit}; the chance of reaching "
            f"{figure(advice.low_oz, metric)} is {pct(advice.prob_reach_low)}")
    if advice.proposed is not None:
        p = advice.proposed
        # a range is met by landing in it: within, below and above are all said, so a
        # range below the forecast does not read as safe from its chance of reaching low
        text += (f"; for the proposed {num(p.low_oz)}-{num(p.high_oz)}{unit} the chance of "
                 f"landing within it is {pct(p.prob_within)}, below it "
                 f"{pct(1.0 - p.prob_reach_low)}, above it {pct(p.prob_above_high)}")
    return text + "."


def advice_chart(annual_paths: np.ndarray, advice: Advice, year: int,
                 as_of: pd.Period, metric: str = "oz") -> Figure:
    """Histogram of the simulated annual totals (in ``metric``) with the advised range
    shaded, the proposed range outlined and the median marked.

    The x range is ``forecast.charts.totals_histogram``'s, widened to show both ranges.

    Args:
        annual_paths: simulated annual totals, shape (n_paths,), oz (or USD for sales).
        advice: the advice drawn.
        year, as_of: the target year and the last known month, for the labels.
        metric: ``oz``, ``aueq_oz`` or ``sales_usd``.
    """
    paths = np.asarray(annual_paths, dtype=float).ravel()
    p = advice.proposed
    ranges = [(advice.low_oz, advice.high_oz)] + ([] if p is None else [(p.low_oz, p.high_oz)])
    fig, ax = totals_histogram(paths, ranges, (7.5, 4))
    label = coverage_label(advice.coverage)

    def span(lo: float, hi: float) -> str:
        return f"{figure(lo, metric)}-{figure(hi, metric)}"

    ax.axvspan(advice.low_oz, advice.high_oz, color="tab:blue", alpha=0.25,
               label=f"{label} range {span(advice.low_oz, advice.high_oz)}")
    ax.axvline(advice.p50_oz, color="black", lw=1.2,
               label=f"median {figure(advice.p50_oz, metric)}")
    title = (f"{label} range {span(advice.low_oz, advice.high_oz)}: "
             f"P(>= {figure(advice.low_oz, metric)}) = {pct(advice.prob_reach_low)}")
    if p is not None:
        # Outlined, not filled, so it stays readable where it overlaps the advised range.
        ax.axvspan(p.low_oz, p.high_oz, fill=False, edgecolor="tab:red", lw=2, ls="--",
                   label=f"proposed {span(p.low_oz, p.high_oz)}")
        title += (f"\nproposed {span(p.low_oz, p.high_oz)}: "
                  f"P(within) = {pct(p.prob_within)}, "
                  f"P(below) = {pct(1.0 - p.prob_reach_low)}, "
                  f"P(above) = {pct(p.prob_above_high)}")
    unit = "US$" if metric == "sales_usd" else METRIC_UNITS.get(metric, "oz")
    return finish_totals_histogram(
        fig, ax, f"{year} total ({unit}), as of {as_of.strftime('%b %Y')}", title)


def write_advice(out_dir: Path, record: Mapping[str, Any], chart: Figure) -> Path:
    """Write ``guidance.json`` (strict JSON) and ``guidance.png`` into ``out_dir`` as one
    folder, atomically (``forecast.files.write_dir_atomically``).

    Raises:
        UsageError: ``out_dir`` is a file or holds other files.
        OutputWriteError: the folder cannot be written; what was there is intact.
    """

    def write(tmp: Path) -> None:
        write_json(dict(record), tmp / GUIDANCE_JSON)
        save_png(chart, tmp / GUIDANCE_PNG)

    return write_dir_atomically(out_dir, write)
