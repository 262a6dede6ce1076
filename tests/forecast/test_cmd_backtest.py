from __future__ import annotations

import pandas as pd

from forecast.cli import main
from models.simulator.plant import simulate_plant


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
    assert names == ["annual_error_by_months_known.png", "folds.csv", "interval_coverage.png",
                     "leave_one_year_out.csv", "leave_one_year_out_rows.csv", "per_origin.csv",
                     "procedure.csv", "summary.csv"]
    per_origin = pd.read_csv(out / "per_origin.csv")
    assert set(per_origin["model"]) == {"seasonal_naive", "share_runrate", "guidance",
                                        "ensemble", "ensemble_skill"}
    assert sorted(per_origin.loc[per_origin["model"] == "share_runrate", "months_known"]) == \
        list(range(12))
    assert set(per_origin["evidence"]) == {"monthly"}
    # one year of evidence: no single model can replace the equal mixture
    proc = pd.read_csv(out / "procedure.csv")
    assert not proc["replaces_default"].any() and (proc["n_years"] <= 1).all()
    printed = capsys.readouterr().out
    assert "selected: ensemble (" in printed and "12 origins in 1 years" in printed


def test_unknown_model_is_refused_before_any_work(tmp_path, capsys):
    assert main(["backtest", "--models", "nope", "--out", str(tmp_path / "bt")]) == 2
    assert "unknown model 'nope'" in capsys.readouterr().err
    assert not (tmp_path / "bt").exists()
