"""``orecast forecast``: forecast the rest of a year from an as-of month, write its files."""

from __future__ import annotations

import logging
from pathlib import Path

import pandas as pd
import typer

from forecast.charts import fan_chart, save_png
from forecast.cli.options import (
    MAX_PATHS,
    MAX_SEED,
    MIN_PATHS,
    parse_guidance_range,
    parse_scenario,
)
from forecast.files import write_csv, write_dir_atomically, write_json
from forecast.numbers import oz, pct
from models.core.calendar import MAX_YEAR, MIN_YEAR, month_from_text, target_year
from models.core.errors import UsageError
from models.core.summary import annual_summary, monthly_frame, quarterly_frame
from models.core.version import orecast_version
from models.core.year import forecast_year, guidance_in_force
from models.data.digest import data_sha256
from models.data.inputs import load_inputs
from models.zoo import make_model

log = logging.getLogger(__name__)


def forecast_cmd(
    as_of: str = typer.Option(..., "--as-of", help="Last known month, YYYY-MM."),
    out: Path = typer.Option(..., "--out", help="Folder for annual.json, monthly.csv, "
                             "quarterly.csv, fan_chart.png."),
    data: Path | None = typer.Option(None, "--data", help="Production history (CSV or "
                                     "Parquet); default: the embedded Dynacor dataset, or "
                                     "with --periods alone, none (a quarterly reporter)."),
    year: int | None = typer.Option(None, "--year", min=MIN_YEAR, max=MAX_YEAR,
                                    help="Target year (default: as-of's)."),
    guidance: Path | None = typer.Option(None, "--guidance", help="Guidance file "
                                         "(year, low_oz, high_oz, announced)."),
    guidance_range: str | None = typer.Option(None, "--guidance-range",
                                              help="Guidance as LOW:HIGH oz."),
    periods: Path | None = typer.Option(None, "--periods", help="Period totals file "
                                        "(quarters, halves, year-to-date, years)."),
    model: str = typer.Option("ensemble", "--model", help="Zoo model name; default the "
                              "procedure `orecast train` serves unless a single model wins "
                              "across years: the equal-weight mixture of every model that "
                              "can forecast this history."),
    n_paths: int = typer.Option(4000, "--n-paths", min=MIN_PATHS,
                                max=MAX_PATHS, help="Simulated paths."),
    seed: int = typer.Option(0, "--seed", min=0, max=MAX_SEED, help="Random seed."),
    scenario: list[str] = typer.Option([], "--scenario", help="Exogenous scenario for every "
                                       "future month, COLUMN=VALUE (e.g. ore_purchased_t=8500;"
                                       " repeatable). Without it, models that use ore tonnes "
                                       "simulate them jointly with the ounces."),
) -> None:
    """Forecast the months after --as-of up to December of the target year."""
    if guidance is not None and guidance_range is not None:
        raise UsageError("--guidance and --guidance-range: give one or the other")
    as_of_p = month_from_text(as_of)
    inputs = load_inputs(data, guidance, periods)
    mdl = make_model(model)
    last = inputs.history.index[-1] if as_of_p > inputs.history.index[-1] else as_of_p
    target = year or target_year(as_of_p)
    future = parse_scenario(scenario, pd.period_range(last + 1, f"{target}-12", freq="M",
                                                      name="month"))
    if future is not None and not (mdl.uses_exog or set(future.columns)
                                   & set(mdl.optional_columns)):
        raise UsageError(f"--scenario: model {model!r} does not use exogenous columns")
    yf = forecast_year(mdl, inputs.history, as_of_p, year, n_paths=n_paths, seed=seed,
                       periods=inputs.periods, future=future)
    g = (parse_guidance_range(guidance_range) if guidance_range is not None
         else guidance_in_force(inputs.guidance, yf.year, as_of_p))
    annual = annual_summary(yf, g, model_version=None,
                            data_sha256=data_sha256(inputs.history, inputs.periods),
                            orecast_version=orecast_version())

    def write(tmp: Path) -> None:
        write_json(annual, tmp / "annual.json")
        write_csv(monthly_frame(yf), tmp / "monthly.csv")
        write_csv(quarterly_frame(yf), tmp / "quarterly.csv")
        save_png(fan_chart(yf, g), tmp / "fan_chart.png")

    write_dir_atomically(out, write)
    if yf.declined:
        log.info("%s: %d of %d members forecast (%s); declined: %s", yf.model,
                 len(yf.members), len(yf.members) + len(yf.declined), ", ".join(yf.members),
                 "; ".join(yf.declined.values())[:1000])
    line = (f"{yf.year} forecast as of {yf.as_of} ({yf.months_actual} months actual, "
            f"{oz(annual['ytd_oz'])} oz): median {oz(annual['p50'])} oz, "
            f"80% range {oz(annual['p10'])}-{oz(annual['p90'])}")
    if g is not None:
        line += (f"; P(>= guidance low {oz(g[0])}) = "
                 f"{pct(1 - annual['prob_below_low'])}")
    typer.echo(line)
    typer.echo(f"written to {out.resolve()}")
