"""Backtest figures: one line per model, guidance dashed black, deterministic images."""

from __future__ import annotations

import io

import numpy as np
import pandas as pd
import pytest
from matplotlib.figure import Figure

from models.simulator.plant import simulate_plant
from training.backtest import BacktestConfig, run_backtest
from training.figures import annual_error_figure, coverage_figure, coverage_table

GUIDANCE = pd.DataFrame({"year": [2013], "low_oz": [70_000.0], "high_oz": [90_000.0],
                         "announced": pd.to_datetime(["2013-02-01"])})


@pytest.fixture(scope="module")
def result():
    h = simulate_plant(48, 5)[["gold_oz"]]
    return run_backtest(h, ["seasonal_naive", "drift"], [2013], guidance=GUIDANCE,
                        config=BacktestConfig(n_paths=200))


def _lines(ax):
    return {ln.get_label(): ln for ln in ax.get_lines()}


def test_annual_error_figure_has_a_line_per_model_and_guidance_dashed_black(result):
    fig = annual_error_figure(result.summary)
    assert isinstance(fig, Figure)
    lines = _lines(fig.axes[0])
    assert {"seasonal_naive", "drift", "guidance"} <= set(lines)
    g = lines["guidance"]
    assert g.get_linestyle() == "--" and g.get_color() == "black"
    # Guidance is announced in February: no point before 2 months known.
    y = np.asarray(g.get_ydata(), dtype=float)
    assert np.isnan(y[:2]).all() and np.isfinite(y[2:]).all()
    s = result.summary.set_index(["model", "months_known"])
    expected = [s.loc[("drift", k), "annual_ape"] for k in range(12)]
    assert np.allclose(lines["drift"].get_ydata(), expected)


def test_coverage_table_pools_origins(result):
    table = coverage_table(result.per_origin).set_index(["model", "level"])
    ok = result.per_origin.query("model == 'drift' and status == 'ok'")
    assert table.loc[("drift", 80), "annual"] == pytest.approx(ok["annual_cover80"].astype(float).mean())
    n = ok["monthly_n"].to_numpy()
    cover = ok["monthly_cover90"].to_numpy()
    assert table.loc[("drift", 90), "monthly"] == pytest.approx((cover * n).sum() / n.sum())
    g = table.loc["guidance"]
    assert g["annual"].nunique() == 1 and g["monthly"].isna().all()


def test_coverage_figure_draws_nominal_diagonal(result):
    fig = coverage_figure(result.per_origin)
    assert len(fig.axes) == 2
    for ax in fig.axes:
        nominal = _lines(ax)["nominal"]
        assert np.array_equal(nominal.get_xdata(), nominal.get_ydata())
    assert "guidance" in _lines(fig.axes[0]) and "guidance" not in _lines(fig.axes[1])


def test_figures_are_deterministic(result):
    def png(fig: Figure) -> bytes:
        buf = io.BytesIO()
        fig.savefig(buf, format="png", dpi=50, metadata={"Software": None})
        return buf.getvalue()

    for name, fig in result.figures().items():
        again = result.figures()[name]
        assert png(fig) == png(again), name
