"""Model selection: lowest mean score on common origins, ties to the simpler model."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from models.errors import UsageError
from models.simulate import simulate_plant
from training.backtest import BacktestResult, run_backtest, summarise
from training.selection import select_model, skill_weights

ORIGINS = ["2016-12", "2017-01", "2017-02", "2017-03"]


def result_from(scores: dict[str, list[float | None]]) -> BacktestResult:
    """A backtest result with the given annual CRPS per origin (None = declined)."""
    rows = []
    for model, values in scores.items():
        for as_of, v in zip(ORIGINS, values, strict=True):
            rows.append({"model": model, "year": 2017, "as_of": as_of,
                         "months_known": int(as_of[-2:]) % 12,
                         "status": "ok" if v is not None else "declined",
                         "reason": "" if v is not None else "too short",
                         "annual_crps": np.nan if v is None else v,
                         "annual_ape": np.nan if v is None else v / 1000,
                         "monthly_n": 0})
    per_origin = pd.DataFrame(rows)
    for c in ("annual_cover50", "annual_cover80", "annual_cover90"):
        per_origin[c] = pd.array([pd.NA] * len(per_origin), dtype="boolean")
    for c in ("monthly_mae", "monthly_smape", "monthly_mase", "monthly_crps", "monthly_pinball",
              "monthly_cover50", "monthly_cover80", "monthly_cover90"):
        per_origin[c] = np.nan
    return BacktestResult(per_origin=per_origin, summary=summarise(per_origin))


def test_lowest_mean_score_wins():
    r = result_from({"seasonal_naive": [300, 300, 300, 300], "ets": [100, 200, 300, 100]})
    sel = select_model(r)
    assert sel.best == "ets"
    table = sel.table.set_index("model")
    assert table.loc["ets", "score"] == pytest.approx(175.0)
    assert table.loc["seasonal_naive", "rank"] == 2


def test_ties_go_to_the_simpler_model():
    r = result_from({"ets": [100, 200, 300, 400], "seasonal_naive": [400, 300, 200, 100]})
    assert select_model(r).best == "seasonal_naive"   # complexity 0 < 2
    within = result_from({"ets": [100, 200, 300, 400],
                          "drift": [100, 200, 300, 400 * (1 + 1e-12)]})
    assert select_model(within).best == "drift"      # complexity 1 < 2, inside the tie band
    outside = result_from({"ets": [100, 200, 300, 400],
                           "drift": [100, 200, 300, 400 * (1 + 1e-6)]})
    assert select_model(outside).best == "ets"


def test_models_are_compared_on_common_origins_only():
    # drift is excellent at the one origin where ets declined; that origin must not count.
    r = result_from({"drift": [1, 300, 300, 300], "ets": [None, 250, 250, 250]})
    sel = select_model(r)
    assert sel.best == "ets"
    assert set(sel.table["n_common"]) == {3}


def test_model_declined_everywhere_is_excluded_and_guidance_never_selected():
    r = result_from({"ets": [200, 200, 200, 200], "gbm": [None] * 4,
                     "guidance": [1, 1, 1, 1]})
    sel = select_model(r)
    assert sel.best == "ets"
    table = sel.table.set_index("model")
    assert "guidance" not in table.index
    assert table.loc["gbm", "excluded"] != "" and np.isnan(table.loc["gbm", "score"])


def test_model_ok_at_few_origins_is_left_out_of_the_comparison():
    r = result_from({"ets": [None, 50, 50, 50], "drift": [10, None, None, None]})
    sel = select_model(r)
    assert sel.best == "ets"
    assert "ok at 1 of 3 origins" in sel.table.set_index("model").loc["drift", "excluded"]
    assert sel.table.set_index("model").loc["ets", "n_common"] == 3


def test_disjoint_origins_drop_the_model_seen_least():
    # equal ok counts, no shared origin: the more complex model (ets) goes first
    r = result_from({"ets": [None, None, 50, 50], "drift": [10, 10, None, None]})
    sel = select_model(r)
    assert sel.best == "drift"
    assert "shares no" in sel.table.set_index("model").loc["ets", "excluded"]
    assert sel.table.set_index("model").loc["drift", "n_common"] == 2


def test_months_known_filter_and_other_metrics():
    r = result_from({"drift": [100, 100, 500, 500], "ets": [300, 300, 200, 200]})
    assert select_model(r, months_known=[0, 1]).best == "drift"
    assert select_model(r, months_known=[2, 3]).best == "ets"
    assert select_model(r, metric="annual_ape").best == "ets"
    with pytest.raises(UsageError):
        select_model(r, metric="annual_cover80")


def test_skill_weights_are_inverse_scores_normalised():
    r = result_from({"drift": [100, 100, 100, 100], "ets": [300, 300, 300, 300],
                     "gbm": [None] * 4})
    w = skill_weights(r)
    assert set(w) == {"drift", "ets"}
    assert sum(w.values()) == pytest.approx(1.0)
    assert w["drift"] == pytest.approx(0.75) and w["ets"] == pytest.approx(0.25)


def test_selection_on_a_real_backtest_run():
    h = simulate_plant(48, 21)[["gold_oz"]]
    r = run_backtest(h, ["seasonal_naive", "drift"], [2013], n_paths=200)
    sel = select_model(r)
    means = (r.per_origin.loc[r.per_origin["model"] != "guidance"]
             .groupby("model")["annual_crps"].mean())
    assert sel.best == means.idxmin()
    assert sel.table["n_common"].tolist() == [12, 12]
