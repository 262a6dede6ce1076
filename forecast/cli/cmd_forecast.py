"""``orecast forecast``: forecast the rest of a year from an as-of month, write its files."""

from __future__ import annotations

import logging
from pathlib import Path

import typer

from forecast import api
from forecast.cli.options import (
    MAX_PATHS,
    MAX_SEED,
    MIN_PATHS,
    GuidanceMetric,
    PriceDeckText,
    PricesFile,
    parse_guidance_range,
    parse_price_deck,
    scenario_values,
)
from forecast.numbers import oz, pct, unit_of, usd
from models.core.calendar import MAX_YEAR, MIN_YEAR, month_from_text
from models.core.errors import UsageError

log = logging.getLogger(__name__)


def forecast_cmd(
    as_of: str | None = typer.Option(None, "--as-of", help="Last known month, YYYY-MM "
                                     "(default: the last month with a figure)."),
    out: Path = typer.Option(..., "--out", help="Folder for annual.json, monthly.csv, "
                             "quarterly.csv, fan_chart.png (and sales_chart.png when the "
                             "guidance is in sales)."),
    data: Path | None = typer.Option(None, "--data", help="Production history (CSV or "
                                     "Parquet); default: the embedded Dynacor dataset, or "
                                     "with --periods alone, none (a quarterly reporter)."),
    year: int | None = typer.Option(None, "--year", min=MIN_YEAR, max=MAX_YEAR,
                                    help="Target year (default: as-of's)."),
    guidance: Path | None = typer.Option(None, "--guidance", help="Guidance file "
                                         "(year, low_oz, high_oz, announced)."),
    guidance_range: str | None = typer.Option(None, "--guidance-range",
                                              help="Guidance as LOW:HIGH (oz, or the "
                                              "--guidance-metric's unit)."),
    guidance_metric: GuidanceMetric = "oz",
    prices: PricesFile = None,
    price_deck: PriceDeckText = None,
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
    as_of_p = month_from_text(as_of) if as_of is not None else None
    given = (parse_guidance_range(guidance_range, guidance_metric)
             if guidance_range is not None else None)
    values = scenario_values(scenario)
    result = api.forecast(data, as_of=as_of_p, year=year, guidance=given or guidance,
                          guidance_metric=guidance_metric, periods=periods, prices=prices,
                          price_deck=parse_price_deck(price_deck), model=model,
                          n_paths=n_paths, seed=seed, scenario=values)
    result.to_dir(out)
    outlook, yf, annual = result.outlook, result.outlook.yf, result.annual
    g = outlook.guidance.output
    unit = unit_of(outlook.measure)
    line = (f"{yf.year} forecast as of {yf.as_of} ({yf.months_actual} months actual, "
            f"{oz(annual['ytd_oz'])} {unit}): median {oz(annual['p50'])} {unit}, "
            f"80% range {oz(annual['p10'])}-{oz(annual['p90'])}")
    if g is not None:
        line += (f"; P(>= guidance low {oz(g[0])}) = "
                 f"{pct(1 - annual['prob_below_low'])}")
    sales = annual["sales_usd"]
    if sales is not None:
        line += (f"; sales median {usd(sales['p50'])}, 80% range {usd(sales['p10'])}-"
                 f"{usd(sales['p90'])}")
        if sales["prob_within"] is not None:
            line += (f"; P(sales within guidance {usd(sales['guidance_low'])}-"
                     f"{usd(sales['guidance_high'])}) = {pct(sales['prob_within'])}")
    typer.echo(line)
    typer.echo(f"written to {out.resolve()}")
