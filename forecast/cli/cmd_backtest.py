"""``orecast backtest``: rolling-origin backtest of zoo models, tables and figures."""

from __future__ import annotations

import os
from pathlib import Path

import typer

from forecast.cli.logs import show_progress
from forecast.cli.options import MAX_PATHS, MAX_SEED, MIN_PATHS, split_values, years_option
from forecast.files import write_dir_atomically
from models.data.inputs import load_inputs
from models.zoo import model_class
from training.backtest import BacktestConfig, run_backtest
from training.candidates import candidate_names, evidence_years
from training.combination import EQUAL, add_combinations
from training.loyo import expectation_table, leave_one_year_out
from training.selection import LOSS_METRICS, choose_procedure


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
    names = candidate_names(split_values(models))
    for name in names:
        model_class(name)  # unknown names fail here, before any work
    inputs = load_inputs(data, guidance, periods)
    target_years = years_option(years) or evidence_years(inputs.history, inputs.periods)
    monthly_h = 3
    result = run_backtest(inputs.history, names, target_years, periods=inputs.periods,
                          guidance=inputs.guidance,
                          config=BacktestConfig(n_paths=n_paths, seed=seed, n_jobs=jobs,
                                                monthly_h=monthly_h, progress=show_progress()))
    result, _ = add_combinations(result, inputs.history, monthly_h, metric)
    choice = choose_procedure(result, EQUAL, metric)
    held, folds = leave_one_year_out(result, inputs.history, monthly_h, metric)
    expectation = expectation_table(result, held)

    def write(tmp: Path) -> None:
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
    typer.echo(f"written to {out.resolve()}")
