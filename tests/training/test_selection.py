"""The serving rule (training.selection): the equal mixture unless a candidate wins across years."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from training.backtest import BacktestResult
from training.scoring import summarise
from training.selection import MIN_YEARS, choose_procedure


def by_year(scores: dict[str, dict[int, list[float]]]) -> BacktestResult:
    """A backtest whose annual CRPS per model, year and origin (Dec, Mar, Jun) is given."""
    rows = []
    for model, years in scores.items():
        for year, values in years.items():
            for as_of, v in zip([f"{year - 1}-12", f"{year}-03", f"{year}-06"], values,
                                strict=False):
                rows.append({"model": model, "year": year, "as_of": as_of,
                             "months_known": int(as_of[-2:]) % 12, "evidence": "periods",
                             "status": "ok", "reason": "", "annual_crps": v,
                             "annual_actual_oz": 1000.0,
                             "annual_ape": v / 1000, "monthly_n": 0})
    po = pd.DataFrame(rows)
    for c in ("annual_cover50", "annual_cover80", "annual_cover90"):
        po[c] = pd.array([pd.NA] * len(po), dtype="boolean")
    for c in ("monthly_mae", "monthly_smape", "monthly_mase", "monthly_crps",
              "monthly_pinball", "monthly_cover50", "monthly_cover80", "monthly_cover90"):
        po[c] = np.nan
    return BacktestResult(per_origin=po, summary=summarise(po))


def years(values: list[float], start: int = 2011) -> dict[int, list[float]]:
    return {start + i: [v, v, v] for i, v in enumerate(values)}


def test_a_model_better_in_every_one_of_four_years_replaces_the_mixture():
    r = by_year({"ensemble": years([100, 100, 100, 100]), "ets": years([90, 95, 80, 99])})
    choice = choose_procedure(r, "ensemble")
    assert choice.best == "ets"
    row = choice.table.set_index("model").loc["ets"]
    assert row["wins"] == 4 and row["n_years"] == 4 and row["p_value"] == pytest.approx(0.0625)


def test_winning_three_years_of_four_is_not_enough():
    # much better on average, but one year lost: the evidence could be luck
    r = by_year({"ensemble": years([100, 100, 100, 100]), "ets": years([10, 10, 10, 101])})
    assert choose_procedure(r, "ensemble").best == "ensemble"


def test_three_years_never_replace_the_mixture():
    r = by_year({"ensemble": years([100, 100, 100]), "ets": years([1, 1, 1])})
    choice = choose_procedure(r, "ensemble")
    assert choice.best == "ensemble" and MIN_YEARS == 4
    assert choice.table.set_index("model").loc["ets", "n_years"] == 3


def test_origins_of_one_year_count_once():
    # twelve good origins of a single year are one year of evidence
    r = by_year({"ensemble": {2017: [100] * 3}, "ets": {2017: [1] * 3}})
    assert choose_procedure(r, "ensemble").table.loc[0, "n_years"] == 1


def test_of_several_that_pass_the_one_with_most_wins_then_lowest_mean():
    r = by_year({"ensemble": years([100] * 6), "ets": years([90, 90, 90, 90, 90, 101]),
                 "theta": years([99] * 6)})
    assert choose_procedure(r, "ensemble").best == "theta"   # 6 of 6 beats 5 of 6


def test_years_compared_are_the_shared_origins_only():
    r = by_year({"ensemble": years([100, 100, 100, 100, 100]),
                 "ets": {2011: [90], 2012: [90], 2013: [90], 2014: [90]}})
    row = choose_procedure(r, "ensemble").table.set_index("model").loc["ets"]
    assert row["n_years"] == 4 and row["default_score"] == pytest.approx(100.0)


def test_guidance_is_a_benchmark_never_a_candidate():
    r = by_year({"ensemble": years([100] * 5), "guidance": years([1] * 5)})
    choice = choose_procedure(r, "ensemble")
    assert choice.best == "ensemble" and "guidance" not in set(choice.table["model"])


def test_a_metric_that_cannot_rank_is_refused():
    from models.core.errors import UsageError

    r = by_year({"ensemble": years([100] * 4)})
    with pytest.raises(UsageError, match="^metric: 'annual_cover80' cannot rank") as err:
        choose_procedure(r, "ensemble", "annual_cover80")
    assert err.value.option == "metric"
