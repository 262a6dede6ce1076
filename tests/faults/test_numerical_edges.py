"""Numerical edge cases: every zoo model forecasts finite, non-negative ounces or declines.

Edge histories (monthly, from 2012-01, synthetic plant of ``models.simulator.plant``):
constant output, three years of zeros then a restart, only 13 months, one month fifty times
too large, a plant whose capacity doubles mid-history, and nothing but zeros. A model may
decline (``ModelDeclined``, its declared capabilities); anything else it raises is a bug.
The bulk engine's fallback is checked on series that the models decline or fail on.
"""

from __future__ import annotations

import warnings
from functools import cache

import numpy as np
import pandas as pd
import pytest

from forecast.bulk import FAILURE_COLUMNS, BulkConfig, run_bulk, write_result
from models.core.errors import ModelDeclined
from models.core.pipeline import fit_model
from models.simulator.plant import simulate_plant
from models.zoo import make_model, model_names

COLUMNS = ["gold_oz", "ore_purchased_t", "ore_processed_t", "head_grade_gpt", "recovery_pct",
           "capacity_tpd"]
MONTHS = 72
HORIZON = 12
N_PATHS = 200
SEED = 5
CONSTANT_OZ = 7000.0
#: months of zeros before the restart, and the month that is fifty times too large
STOPPED_MONTHS = 30
OUTLIER_AT = 40
#: capacity schedule of the doubling plant, t/day
DOUBLING = {"2012-01": 150.0, "2015-01": 300.0}


def _stopped(frame: pd.DataFrame, months: slice) -> pd.DataFrame:
    """Months in which the mill stood still: 0 oz, 0 t, no grade or recovery measured."""
    out = frame.copy()
    out.iloc[months, out.columns.get_indexer(["gold_oz", "ore_purchased_t",
                                              "ore_processed_t"])] = 0.0
    out.iloc[months, out.columns.get_indexer(["head_grade_gpt", "recovery_pct"])] = np.nan
    return out


def _edge_series() -> dict[str, pd.DataFrame]:
    base = simulate_plant(MONTHS, seed=3, start="2012-01")[COLUMNS]
    constant = base.assign(gold_oz=CONSTANT_OZ, ore_purchased_t=7500.0,
                           ore_processed_t=7500.0, head_grade_gpt=31.0, recovery_pct=95.0)
    outlier = base.copy()
    outlier.iloc[OUTLIER_AT, 0] *= 50
    return {
        "constant": constant,
        "zeros_then_restart": _stopped(base, slice(0, STOPPED_MONTHS)),
        "13_months": base.iloc[-13:],
        "huge_outlier": outlier,
        "capacity_doubles": simulate_plant(MONTHS, seed=3, start="2012-01",
                                           capacity_tpd=DOUBLING)[COLUMNS],
        "all_zeros": _stopped(base, slice(None)),
    }


EDGES = _edge_series()

#: (edge, model) pairs that crash with something other than ModelDeclined today
# Crashes found while hardening, now fixed (all-zero histories decline in the base class):
# none left; a new one goes here as a strict xfail with its reason.
CRASHES: dict[tuple[str, str], str] = {}


def _cases() -> list:
    cases = []
    for edge in EDGES:
        for name in model_names():
            marks = ([pytest.mark.xfail(strict=True, reason=CRASHES[edge, name])]
                     if (edge, name) in CRASHES else [])
            cases.append(pytest.param(edge, name, id=f"{edge}-{name}", marks=marks))
    return cases


@cache
def _paths_or_declined(edge: str, name: str) -> np.ndarray | None:
    """Fit ``name`` on the edge series; its paths (N_PATHS, HORIZON) in oz, or None.

    Cached: several tests read the same fit; nothing writes to the returned array.
    """
    model = make_model(name)
    with warnings.catch_warnings():
        # optimisers warn on degenerate series; the contract is about what they return
        warnings.simplefilter("ignore")
        try:
            fit_model(model, EDGES[edge])
        except ModelDeclined:
            return None
        return model.sample_paths(HORIZON, N_PATHS, SEED)


def test_edge_series_are_what_they_claim():
    assert (EDGES["constant"]["gold_oz"] == CONSTANT_OZ).all()
    zeros = EDGES["zeros_then_restart"]["gold_oz"]
    assert (zeros.iloc[:STOPPED_MONTHS] == 0).all() and (zeros.iloc[STOPPED_MONTHS:] > 0).all()
    assert len(EDGES["13_months"]) == 13
    outlier = EDGES["huge_outlier"]["gold_oz"]
    assert outlier.iloc[OUTLIER_AT] > 40 * outlier.drop(outlier.index[OUTLIER_AT]).median()
    cap = EDGES["capacity_doubles"]["capacity_tpd"]
    assert cap.iloc[0] == 150.0 and cap.iloc[-1] == 300.0
    assert (EDGES["all_zeros"]["gold_oz"] == 0).all()


@pytest.mark.parametrize(("edge", "name"), _cases())
def test_model_forecasts_finite_non_negative_paths_or_declines(edge, name):
    paths = _paths_or_declined(edge, name)
    if paths is None:
        return
    assert paths.shape == (N_PATHS, HORIZON)
    assert np.all(np.isfinite(paths)), f"{name} on {edge}: non-finite ounces"
    assert paths.min() >= 0.0, f"{name} on {edge}: negative ounces"


@pytest.mark.parametrize("name", model_names())
def test_constant_series_forecasts_the_constant(name):
    paths = _paths_or_declined("constant", name)
    if paths is None:
        pytest.skip(f"{name} declines a constant series")
    median_year = float(np.median(paths.sum(axis=1)))
    assert median_year == pytest.approx(12 * CONSTANT_OZ, rel=0.05)


@pytest.mark.parametrize("name", model_names())
def test_restarted_plant_is_not_forecast_as_stopped(name):
    paths = _paths_or_declined("zeros_then_restart", name)
    if paths is None:
        pytest.skip(f"{name} declines this history")
    running = EDGES["zeros_then_restart"]["gold_oz"].iloc[STOPPED_MONTHS:].mean()
    assert np.median(paths.sum(axis=1)) > 0.25 * 12 * running


@pytest.mark.parametrize("name", model_names())
def test_doubled_capacity_is_followed(name):
    paths = _paths_or_declined("capacity_doubles", name)
    if paths is None:
        pytest.skip(f"{name} declines this history")
    y = EDGES["capacity_doubles"]["gold_oz"]
    before = y.loc[:pd.Period("2014-12", freq="M")].mean()
    after = y.iloc[-24:].mean()
    # closer to the doubled plant's output than to the old one's
    assert np.median(paths.sum(axis=1)) > 12 * (before + after) / 2


@pytest.mark.parametrize("name", model_names())
def test_thirteen_months_do_not_give_a_certain_forecast(name):
    # one season plus a month leaves one seasonal difference: a model must decline rather
    # than bootstrap it into identical paths (an 80% interval of zero width)
    paths = _paths_or_declined("13_months", name)
    if paths is None:
        return
    totals = paths.sum(axis=1)
    assert np.quantile(totals, 0.9) > np.quantile(totals, 0.1)


# -- the bulk engine's fallback -------------------------------------------------------------
def _long(series: dict[str, pd.DataFrame]) -> pd.DataFrame:
    frames = [pd.DataFrame({"series_id": sid, "month": h.index, "value": h["gold_oz"].to_numpy()})
              for sid, h in series.items()]
    return pd.concat(frames, ignore_index=True)


FALLBACK_SERIES = {
    # one month: every model of the zoo declines it (each needs two months or more)
    "one_month": EDGES["13_months"].iloc[-1:],
    "all_zeros": EDGES["all_zeros"],
    "13_months": EDGES["13_months"],
}


#: models that answer a one-month history: the last-resort fallback, and the equal mixture
#: of every member, which has it among its members
ANSWER_ONE_MONTH = ("naive", "ensemble")


def test_every_model_declines_a_one_month_history():
    # ... except the last-resort fallback, which must always answer
    for name in [m for m in model_names() if m not in ANSWER_ONE_MONTH]:
        with pytest.raises(ModelDeclined):
            fit_model(make_model(name), FALLBACK_SERIES["one_month"])


def test_the_mixture_answers_a_one_month_history_with_the_naive_member_alone():
    fitted = fit_model(make_model("ensemble"), FALLBACK_SERIES["one_month"])
    assert fitted.members_used_ == ("naive",)
    assert set(fitted.declined_) == set(fitted.members) - {"naive"}
    paths = fitted.sample_paths(6, 50, SEED)
    assert np.all(np.isfinite(paths)) and paths.min() >= 0.0


@pytest.mark.parametrize("name", [m for m in model_names() if m not in ANSWER_ONE_MONTH])
def test_bulk_falls_back_and_records_the_failure(name, tmp_path):
    config = BulkConfig(horizon=6, model=name, n_paths=100, seed=SEED)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        result = run_bulk(_long(FALLBACK_SERIES), [], config)
    out = result.forecasts
    assert sorted(out["series_id"].unique()) == sorted(FALLBACK_SERIES)
    assert (out.groupby("series_id").size() == config.horizon).all()
    values = out[["forecast", "p10", "p50", "p90"]].to_numpy()
    assert np.all(np.isfinite(values)) and values.min() >= 0.0
    failed = result.failures.set_index("series_id")
    # the declined series is in failures.csv with the simplest fallback that fits one month
    assert failed.loc["one_month", "fallback"] == "naive"
    assert "ModelDeclined" in failed.loc["one_month", "reason"]
    assert set(failed["fallback"]) <= {"seasonal_naive", "naive"}
    written, failures_csv = write_result(result, tmp_path / "bulk.csv")
    on_disk = pd.read_csv(failures_csv)
    assert list(on_disk.columns) == list(FAILURE_COLUMNS)
    assert set(on_disk["series_id"]) == set(failed.index)
    assert len(pd.read_csv(written)) == len(FALLBACK_SERIES) * config.horizon
