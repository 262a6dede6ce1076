from __future__ import annotations

import pandas as pd

from forecast.cli import main
from models.simulate import simulate_plant


def test_backtest_command_writes_tables_figures_and_selection(tmp_path, capsys):
    data = tmp_path / "plant.csv"
    h = simulate_plant(60, seed=3, start="2010-01")
    h[["gold_oz"]].reset_index().assign(month=lambda d: d["month"].astype(str)).to_csv(
        data, index=False)
    out = tmp_path / "bt"
    code = main(["backtest", "--data", str(data), "--years", "2014", "--models",
                 "seasonal_naive,share_runrate", "--n-paths", "200",
                 "--jobs", "1", "--out", str(out)])
    assert code == 0
    names = sorted(p.name for p in out.iterdir())
    assert names == ["annual_error_by_months_known.png", "interval_coverage.png",
                     "per_origin.csv", "selection.csv", "summary.csv"]
    per_origin = pd.read_csv(out / "per_origin.csv")
    assert set(per_origin["model"]) == {"seasonal_naive", "share_runrate", "guidance"}
    assert sorted(per_origin.loc[per_origin["model"] == "share_runrate", "months_known"]) == \
        list(range(12))
    sel = pd.read_csv(out / "selection.csv")
    best = sel.loc[sel["rank"] == 1, "model"].item()
    means = per_origin.loc[per_origin["model"] != "guidance"].groupby("model")[
        "annual_crps"].mean()
    assert best == means.idxmin()
    assert f"selected: {best}" in capsys.readouterr().out


def test_unknown_model_is_refused_before_any_work(tmp_path, capsys):
    assert main(["backtest", "--models", "nope", "--out", str(tmp_path / "bt")]) == 2
    assert "unknown model 'nope'" in capsys.readouterr().err
    assert not (tmp_path / "bt").exists()
