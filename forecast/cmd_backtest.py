"""``orecast backtest``: rolling-origin backtest of zoo models, tables and figures."""

from __future__ import annotations

import os
from pathlib import Path

import typer

from forecast.cli import app
from forecast.inputs import load_inputs, split_values, years_option
from forecast.outputs import write_dir_atomically
from models.zoo import model_class, model_names
from training.backtest import annual_totals_from_periods, run_backtest
from training.selection import select_model


@app.command("backtest")
def backtest_cmd(
    out: Path = typer.Option(..., "--out", help="Folder for per_origin.csv, summary.csv, "
                             "selection.csv and the figures."),
    data: Path | None = typer.Option(None, "--data", help="Production history; default: "
                                     "the embedded Dynacor dataset."),
    years: list[str] = typer.Option(["2017"], "--years", help="Target years, repeatable "
                                    "or comma-separated (2016,2017)."),
    models: list[str] = typer.Option([], "--models", help="Zoo models, repeatable or "
                                     "comma-separated; default: all."),
    guidance: Path | None = typer.Option(None, "--guidance", help="Guidance file."),
    periods: Path | None = typer.Option(None, "--periods", help="Period totals file."),
    n_paths: int = typer.Option(1000, "--n-paths", min=100, help="Paths per forecast."),
    seed: int = typer.Option(0, "--seed"),
    jobs: int = typer.Option(os.cpu_count() or 1, "--jobs", min=1, help="Worker processes."),
    metric: str = typer.Option("annual_crps", "--metric", help="Selection metric."),
) -> None:
    """Backtest models at every month of --years; write the tables, figures and the pick."""
    names = split_values(models) or model_names()
    target_years = years_option(years)
    for name in names:
        model_class(name)  # unknown names fail here, before any work
    inputs = load_inputs(data, guidance, periods)
    actuals = annual_totals_from_periods(inputs.periods) if inputs.periods is not None else None
    result = run_backtest(inputs.history, names, target_years, periods=inputs.periods,
                          guidance=inputs.guidance, annual_actuals=actuals, n_paths=n_paths,
                          seed=seed, n_jobs=jobs, progress=True)
    selection = select_model(result, metric)

    def write(tmp: Path) -> None:
        result.write(tmp)
        selection.table.to_csv(tmp / "selection.csv", index=False, lineterminator="\n")

    write_dir_atomically(out, write)
    typer.echo(selection.table.to_string(index=False))
    typer.echo(f"selected: {selection.best} (lowest mean {metric} on common origins)")
    typer.echo(f"written to {out.resolve()}")
