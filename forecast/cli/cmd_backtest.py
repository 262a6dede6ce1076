"""``orecast backtest``: rolling-origin backtest of zoo models, tables and figures."""

from __future__ import annotations

import os
from pathlib import Path

import typer

from forecast import api
from forecast.cli.logs import show_progress
from forecast.cli.options import (
    MAX_PATHS,
    MAX_SEED,
    MIN_PATHS,
    PricesFile,
    split_values,
    years_option,
)
from forecast.files import write_dir_atomically
from training.sales_backtest import sales_scores
from training.selection import LOSS_METRICS


def backtest_cmd(
    out: Path = typer.Option(..., "--out", help="Folder for per_origin.csv, summary.csv, "
                             "procedure.csv, leave_one_year_out.csv and the figures."),
    data: Path | None = typer.Option(None, "--data", help="Production history; default: "
                                     "the embedded Dynacor dataset."),
    years: list[str] = typer.Option([], "--years", help="Target years: YYYY, a range "
                                    "2011-2017, repeatable or comma-separated; default every "
                                    "year of the data after its first."),
    models: list[str] = typer.Option([], "--models", help="Zoo models, repeatable or "
                                     "comma-separated; default: every single model and auto."),
    guidance: Path | None = typer.Option(None, "--guidance", help="Guidance file."),
    prices: PricesFile = None,
    periods: Path | None = typer.Option(None, "--periods", help="Period totals file."),
    n_paths: int = typer.Option(1000, "--n-paths", min=MIN_PATHS,
                                max=MAX_PATHS, help="Paths per forecast."),
    seed: int = typer.Option(0, "--seed", min=0, max=MAX_SEED),
    jobs: int = typer.Option(os.cpu_count() or 1, "--jobs", "--n-jobs", min=1,
                             help="Worker processes."),
    metric: str = typer.Option("annual_crps", "--metric", help="Selection loss, lower is "
                               f"better: {', '.join(LOSS_METRICS)}."),
) -> None:
    """Backtest models at every origin of --years with evidence; write the tables and the pick."""
    run = api.backtest(data, years=years_option(years) or None,
                       models=split_values(models) or None, guidance=guidance,
                       periods=periods, prices=prices, n_paths=n_paths, seed=seed, jobs=jobs,
                       metric=metric, progress=show_progress())
    result, choice, held, folds = run.result, run.choice, run.held, run.folds
    expectation, sales = run.expectation, run.sales

    def write(tmp: Path) -> None:
        if len(sales):
            sales.to_csv(tmp / "sales.csv", index=False, lineterminator="\n")
        result.write(tmp, selected=choice.best)
        choice.table.to_csv(tmp / "procedure.csv", index=False, lineterminator="\n")
        held.to_csv(tmp / "leave_one_year_out_rows.csv", index=False, lineterminator="\n")
        expectation.to_csv(tmp / "leave_one_year_out.csv", index=False, lineterminator="\n")
        folds.to_csv(tmp / "folds.csv", index=False, lineterminator="\n")

    write_dir_atomically(out, write)
    po = result.per_origin.drop_duplicates("as_of")
    evidence = ", ".join(f"{n} {k}" for k, n in po["evidence"].value_counts().items())
    typer.echo(f"{len(po)} origins in {len(choice.years)} years ({evidence})")
    typer.echo(expectation.round({"procedure_ape": 2, "ape": 2, "ape_ratio": 2, "crps": 0,
                                  "cover80": 0}).to_string(index=False))
    typer.echo("ape: mean annual absolute % error of the P50; crps: oz; cover80: % of 80% "
               "intervals covering the actual; each model on the origins it shares with the "
               "leave-one-year-out procedure (procedure_ape)")
    typer.echo(f"selected: {choice.best} ({choice.rule})")
    scores = sales_scores(sales)
    if scores:
        typer.echo(f"sales of {choice.best} at {int(scores['sales_n_origins'])} quarter-end "
                   f"origins (sales.csv): APE {scores['sales_ape']:.1f}%, run-rate "
                   f"{scores['sales_runrate_ape']:.1f}%, 80% range held "
                   f"{scores['sales_cover80']:.0f}%")
    typer.echo(f"written to {out.resolve()}")
