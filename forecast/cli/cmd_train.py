"""``orecast train`` and ``orecast promote``: the tracked training job and manual promotion."""

from __future__ import annotations

from pathlib import Path

import typer

from forecast.cli.logs import show_progress
from forecast.cli.options import MAX_PATHS, MAX_SEED, MIN_PATHS, PricesFile
from forecast.cli.options import split_values as _split
from forecast.cli.options import years_option as _years
from forecast.numbers import count
from training.selection import LOSS_METRICS


def _given(path: Path | None) -> Path | None:
    """The path, or None when absent: MLproject passes "" for "use the default"."""
    return path if path is not None and str(path) not in ("", ".") else None


def train_command(
    data: Path | None = typer.Option(None, "--data", help="Production CSV/Parquet (default: "
                                     "the embedded Dynacor data with its periods and guidance)."),
    experiment: str | None = typer.Option(None, "--experiment", help="MLflow experiment name "
                                          "(default orecast; under mlflow run, the project "
                                          "run's experiment unless it is Default)."),
    register: str = typer.Option("orecast", "--register", help="Registered model name."),
    no_register: bool = typer.Option(False, "--no-register", help="Log the model only."),
    years: list[str] | None = typer.Option(None, "--years", help="Backtest target years "
                                           "(YYYY, a range 2011-2017, repeat or "
                                           "comma-separate); default every year of the data "
                                           "after its first."),
    periods: Path | None = typer.Option(None, "--periods", help="Period totals file "
                                        "(quarters, halves, year-to-date, years)."),
    guidance: Path | None = typer.Option(None, "--guidance", help="Guidance file."),
    prices: PricesFile = None,
    models: list[str] | None = typer.Option(None, "--models", help="Zoo models to backtest "
                                            "(repeat or comma-separate); default all."),
    metric: str = typer.Option("annual_crps", "--metric", help="Selection loss, lower is "
                               f"better: {', '.join(LOSS_METRICS)}."),
    n_paths: int = typer.Option(1000, "--n-paths", min=MIN_PATHS,
                                max=MAX_PATHS, help="Paths per backtest forecast."),
    seed: int = typer.Option(0, "--seed", min=0, max=MAX_SEED, help="Random seed."),
    n_jobs: int = typer.Option(1, "--n-jobs", "--jobs", min=1,
                                help="Backtest worker processes."),
    no_figures: bool = typer.Option(False, "--no-figures", help="Skip the backtest figures."),
    tracking_uri: str | None = typer.Option(None, "--tracking-uri", help="MLflow tracking URI "
                                            "(default MLFLOW_TRACKING_URI or sqlite:///mlflow.db)."),
) -> None:
    """Backtest the zoo, select a model, log it to MLflow and register it (champion/challenger)."""
    from models.data.tables import load_guidance, load_periods
    from training.train import TrainConfig, train

    periods, guidance = _given(periods), _given(guidance)
    result = train(_given(data), models=_split(models) or None, prices=_given(prices),
                   periods=load_periods(periods) if periods else None,
                   guidance=load_guidance(guidance) if guidance else None,
                   years=_years(years) or None, tracking=tracking_uri or None,
                   config=TrainConfig(experiment=experiment or None,
                                      register_as=None if no_register or not register else register,
                                      n_paths=n_paths, seed=seed, metric=metric, n_jobs=n_jobs,
                                      figures=not no_figures, progress=show_progress()))
    typer.echo(f"run: {result.parent_run_id} (experiment {result.experiment_id}, "
               f"{result.tracking_uri})")
    sel = result.selection
    typer.echo(f"selected: {sel.best} -> {result.spec.label}; evidence: "
               f"{count(len(sel.years), 'year')} ({', '.join(map(str, sel.years))}); "
               f"rule: {sel.rule}")
    if result.expectation is not None and len(result.expectation):
        row = result.expectation.iloc[0]
        typer.echo(f"expected (leave-one-year-out, {int(row['n_origins'])} origins): annual "
                   f"error {row['procedure_ape']:.1f}%, CRPS {row['crps']:,.0f} oz, 80% "
                   f"intervals covering {row['cover80']:.0f}%")
    typer.echo(f"model: {result.model_uri}")
    if result.unchanged:
        typer.echo(f"unchanged: version {result.version} is this model "
                   f"({result.registered_name}@champion: same procedure, figures and seed); "
                   f"no new version registered")
    elif result.version:
        typer.echo(f"registered: {result.registered_name} version {result.version} -> "
                   f"{result.alias} ({result.decision.reason})")


def promote_command(
    version: int = typer.Argument(..., help="Registered version to make champion."),
    name: str = typer.Option("orecast", "--name", help="Registered model name."),
    tracking_uri: str | None = typer.Option(None, "--tracking-uri", help="MLflow tracking URI."),
) -> None:
    """Move the ``champion`` alias to VERSION by hand."""
    from training.registry import champion_version, promote
    from training.tracking import bound_http_retries, check_tracking, resolve_tracking_uri
    from training.tracking import tracking_uri as using

    uri = resolve_tracking_uri(tracking_uri)
    bound_http_retries()
    check_tracking(uri)
    with using(uri):
        before = champion_version(name)
        mv = promote(name, version)
    if before is not None and str(before.version) == str(mv.version):
        typer.echo(f"unchanged: {name} version {mv.version} already is champion")
    else:
        typer.echo(f"promoted: {name} version {mv.version} -> champion")
