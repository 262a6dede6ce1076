"""``orecast guidance``: advise a guidance range for a year from the registered model.

The year's annual totals are simulated by the registered model's procedure, exactly as
``orecast publish`` runs it (``training.serving.year_forecast``), and summarised by
``forecast.advice``. Exit codes: 0 written; 2 bad data or option (nothing written); 3 model
or tracking store unavailable (nothing written); 74 the folder cannot be written.
"""

from __future__ import annotations

import logging
import os
import time
from pathlib import Path

import pandas as pd
import typer

from forecast.advice import (
    DEFAULT_COVERAGE,
    GUIDANCE_JSON,
    GUIDANCE_PNG,
    advice_chart,
    advice_record,
    advice_sentence,
    advise,
    check_coverage,
)
from forecast.cli.options import (
    MAX_PATHS,
    MAX_SEED,
    MIN_PATHS,
    DataFile,
    ModelUri,
    PeriodsFile,
    PriceDeckText,
    PricesFile,
    parse_guidance_range,
    parse_price_deck,
)
from forecast.publish import DEFAULT_MODEL_URI
from forecast.publish.model_source import LoadedModel, ModelRef
from models.core.calendar import MAX_YEAR, MIN_YEAR, month_from_text
from models.core.errors import UsageError

log = logging.getLogger(__name__)


def _as_of(text: str | None, year: int) -> pd.Period:
    """The as-of month for ``year``: ``text``, or December of the year before (nothing of
    the year known); it must fall from December of the year before to November."""
    first = pd.Period(year=year - 1, month=12, freq="M")
    if text is None:
        return first
    as_of = month_from_text(text, "as_of")
    if not first <= as_of <= first + 11:
        raise UsageError(f"expected a month from {first} (nothing of {year} known) to "
                         f"{first + 11} for --year {year}, got {text!r}", option="as_of")
    return as_of


def _proposed(text: str | None, old: str | None, metric: str = "oz"
              ) -> tuple[float, float] | None:
    """The proposed range: ``--guidance-range`` (the name forecast and publish use), or its
    older spelling ``--range``, kept hidden for scripts that use it."""
    if text is not None and old is not None:
        raise UsageError("--guidance-range and --range (its older name): give one")
    if text is None and old is None:
        return None
    try:
        return parse_guidance_range(text if text is not None else old, metric)
    except UsageError as exc:
        if text is not None:
            raise
        raise UsageError(exc.message.replace("--guidance-range", "--range", 1)) from None


def _load(model_uri: str, tracking: str | None) -> tuple[ModelRef, LoadedModel]:
    """Resolve and load the registered model as ``orecast publish`` does.

    Raises:
        TrackingUnavailableError, ModelUnavailableError: exit 3.
    """
    from forecast.publish.model_source import load_model, resolve_model
    from forecast.publish.run import unavailable
    from training.tracking import bound_http_retries, check_tracking, resolve_tracking_uri
    from training.tracking import tracking_uri as using

    # Progress bars of artifact downloads would interleave with the log on stderr.
    os.environ.setdefault("MLFLOW_ENABLE_ARTIFACTS_PROGRESS_BAR", "false")
    uri = resolve_tracking_uri(tracking)
    bound_http_retries()
    check_tracking(uri)
    with using(uri):
        from mlflow.exceptions import MlflowException

        from training.tracking import store_failure

        try:
            ref = resolve_model(model_uri)
            return ref, load_model(ref)
        except (MlflowException, OSError) as exc:
            raise unavailable(uri, exc, model_uri) from exc
        except Exception as exc:
            # the store failing under the query (a database error, not an MlflowException)
            if store_failure(exc) is None:
                raise
            raise unavailable(uri, exc, model_uri) from exc


def guidance_command(
    year: int = typer.Option(..., "--year", min=MIN_YEAR, max=MAX_YEAR,
                             help="Year to advise guidance for."),
    out: Path = typer.Option(..., "--out", help=f"Folder for {GUIDANCE_JSON} and "
                             f"{GUIDANCE_PNG}."),
    as_of: str | None = typer.Option(None, "--as-of", help="Last known month, YYYY-MM, "
                                     "December of the year before to November (default: "
                                     "December of the year before)."),
    coverage: float = typer.Option(DEFAULT_COVERAGE, "--coverage", help="Central "
                                   "probability of the advised range, between 0 and 1."),
    proposed: str | None = typer.Option(None, "--guidance-range", help="A proposed range "
                                        "LOW:HIGH in the --metric's unit (e.g. 78000:82000 "
                                        "oz) to give the odds of."),
    proposed_old: str | None = typer.Option(None, "--range", hidden=True,
                                            help="Older name of --guidance-range."),
    metric: str = typer.Option("oz", "--metric", help="What the guidance is in: oz, "
                               "aueq_oz (gold-equivalent oz) or sales_usd (US dollars of "
                               "sales, with the price model or a --price-deck)."),
    prices: PricesFile = None,
    price_deck: PriceDeckText = None,
    data: DataFile = None,
    periods: PeriodsFile = None,
    model: ModelUri = DEFAULT_MODEL_URI,
    n_paths: int = typer.Option(4000, "--n-paths", min=MIN_PATHS, max=MAX_PATHS,
                                help="Simulated paths."),
    seed: int = typer.Option(0, "--seed", min=0, max=MAX_SEED, help="Random seed."),
    tracking_uri: str | None = typer.Option(None, "--tracking-uri", help="MLflow tracking "
                                            "URI (default MLFLOW_TRACKING_URI or "
                                            "sqlite:///mlflow.db)."),
) -> None:
    """Advise a guidance range for a year: the range the forecast gives --coverage, the
    chance of reaching its low end, and the odds of a proposed --guidance-range.

    Exit codes:

    0 written
    2 bad data or a bad option; nothing written
    3 model or tracking store unavailable; nothing written
    74 the folder cannot be written; what was there is intact
    """
    from forecast.advice import write_advice
    from models.core.version import orecast_version
    from models.core.year import data_span
    from models.data.inputs import load_inputs
    from training.serving import year_forecast

    t0 = time.perf_counter()
    # Every option and the data are checked before the model store is touched.
    check_coverage(coverage)
    as_of_p = _as_of(as_of, year)
    from models.core.outlook import Prices
    from models.data.schema import GUIDANCE_METRICS

    if metric not in GUIDANCE_METRICS:
        raise UsageError(f"--metric: expected {', '.join(GUIDANCE_METRICS)}, got {metric!r}")
    rng = _proposed(proposed, proposed_old, metric)
    deck = parse_price_deck(price_deck)
    inputs = load_inputs(data, None, periods, prices)
    last = data_span(inputs.history, inputs.periods)[1]
    if as_of_p > last:
        # Said before the model store is touched, naming the default when it was not given.
        default = "" if as_of else f" (the default: December before --year {year})"
        raise UsageError(f"{as_of_p}{default} is after the last month of the data "
                         f"({last})", option="as_of")
    ref, loaded = _load(model, tracking_uri)
    params = {"as_of": str(as_of_p), "year": year, "n_paths": n_paths, "seed": seed,
              "model_version": ref.version or ""}
    sales = metric == "sales_usd"
    yf, outlook = year_forecast(
        loaded.spec, inputs.history, inputs.periods, params,
        prices=Prices(inputs.prices, deck,
                      required=sales or prices is not None or deck is not None))
    if metric == "aueq_oz" and outlook.measure != "oz AuEq":
        log.warning("--metric aueq_oz: the output figures of %d are in %s", yf.year,
                    outlook.measure)
    totals = outlook.sales.annual_paths if sales else yf.annual_paths
    advice = advise(totals, coverage, rng)
    record = advice_record(advice, year=yf.year, as_of=yf.as_of, seed=seed,
                           model={"uri": ref.uri, "name": ref.name, "version": ref.version,
                                  "run_id": loaded.run_id, "spec": loaded.spec.label},
                           data_sha256=outlook.annual["data_sha256"],
                           orecast_version=orecast_version(), metric=metric)
    if sales:
        record["price_model"] = outlook.annual["sales_usd"]["price_model"]
        record["price_deck"] = outlook.annual["sales_usd"]["price_deck"]
    write_advice(out, record, advice_chart(totals, advice, yf.year, yf.as_of, metric))
    log.info("guidance: year=%d as_of=%s model=%s version=%s members=%s n_paths=%d "
             "seed=%d ms=%d", yf.year, yf.as_of, loaded.spec.label, ref.version,
             ",".join(yf.members), n_paths, seed, round((time.perf_counter() - t0) * 1000))
    typer.echo(advice_sentence(advice, yf.year, yf.as_of, metric))
    typer.echo(f"written: {out.resolve()}")
