"""Everything a publication is made of, computed before ROOT is touched: the data, the
model, the forecast, the idempotency key and the backtest accuracy to quote."""

from __future__ import annotations

import logging
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pandas as pd

from forecast.publish.alerts import DEFAULT_ALERT_BELOW, publication_alerts
from forecast.publish.joblog import JobLog
from forecast.publish.model_source import (
    LoadedModel,
    ModelRef,
    backtest_accuracy,
    load_model,
    resolve_model,
)
from forecast.publish.placing import key_digest
from forecast.publish.request import PublishRequest, check_staleness, resolve_today
from forecast.publish.revision import revision
from forecast.publish.track_record import previous_publication, track_record
from models.core.calendar import target_year
from models.core.errors import ModelUnavailableError

log = logging.getLogger(__name__)


@dataclass
class Computed:
    """Everything a publication is made of, computed before ROOT is touched."""

    as_of: Any
    year: int
    guidance: tuple[float, float] | None
    yf: Any
    annual: dict[str, Any]
    key: dict[str, Any]
    key_sha256: str
    ref: ModelRef
    loaded: LoadedModel
    data_label: str
    data_sha256: str
    backtest: dict[str, Any] | None
    sentence: str
    monthly: pd.DataFrame
    track: pd.DataFrame
    outlook: Any = None


def compute(req: PublishRequest, job: JobLog) -> Computed:
    """Load and check the data, load the model, forecast once: everything a publication
    needs, before ROOT is touched.

    The registered model's procedure (its ``spec.json``) is run in process on the history
    validated here, through the function its pyfunc wrapper serves
    (``training.serving.year_forecast``), so the paths for quarters and charts are those of
    the published numbers.
    """
    from forecast.cli.options import parse_price_deck
    from forecast.report import lead_sentence
    from models.core.calendar import month_from_text
    from models.core.outlook import Prices, guidance_at
    from models.data.digest import data_sha256
    from models.data.inputs import last_reported_month, load_inputs
    from training.serving import year_forecast

    with job.step("load_data") as f:
        deck = parse_price_deck(req.price_deck)
        inputs = load_inputs(req.data, req.guidance, req.periods, req.prices)
        history = inputs.history
        digest = data_sha256(history, inputs.periods)
        as_of = (month_from_text(req.as_of) if req.as_of
                 else last_reported_month(history, inputs.periods))
        year = target_year(as_of)
        today = resolve_today(req.today)
        age = check_staleness(history, req.max_staleness_days, today, inputs.periods)
        gif = guidance_at(inputs.guidance, year, as_of)
        guidance = gif.output
        prices = Prices(inputs.prices, deck,
                        required=req.prices is not None or deck is not None)
        job.bind(as_of=str(as_of))
        f.update(data=inputs.label, data_sha256=digest[:12], year=year, age_days=age,
                 guidance=None if guidance is None else f"{guidance[0]:.0f}-{guidance[1]:.0f}")
    with job.step("load_model", model_uri=req.model_uri) as f:
        ref = resolve_model(req.model_uri)
        loaded = load_model(ref)
        job.bind(model_version=ref.version or loaded.spec.label)
        f.update(model=loaded.spec.label, run_id=loaded.run_id)
    with job.step("forecast", n_paths=req.n_paths, seed=req.seed) as f:
        params: dict[str, Any] = {"as_of": str(as_of), "year": year, "n_paths": req.n_paths,
                                  "seed": req.seed, "model_version": ref.version or ""}
        if guidance is not None:
            params.update(guidance_low=guidance[0], guidance_high=guidance[1])
        yf, outlook = year_forecast(loaded.spec, history, inputs.periods, params,
                                    guidance=gif, prices=prices)
        annual = outlook.annual
        f.update(p50=annual["p50"], p10=annual["p10"], p90=annual["p90"])
    root = Path(req.out).absolute()
    monthly = outlook.monthly
    previous = previous_publication(root, year, as_of)

    def previous_model_p50(uri: str) -> float | None:
        # The previous publication's model on today's data, as-of, paths and seed.
        from mlflow.exceptions import MlflowException

        try:
            spec = load_model(resolve_model(uri)).spec
        except (MlflowException, OSError, ModelUnavailableError) as exc:
            log.warning("revision: the previous model %s cannot be loaded (%s): its part is "
                        "left in re_estimation", uri, exc)
            return None
        return float(year_forecast(spec, history, inputs.periods, params, guidance=gif,
                                   prices=prices)[1].annual["p50"])

    annual["revision"] = revision(previous, annual, monthly, ref.version or loaded.spec.label,
                                  previous_model_p50)
    annual["alerts"] = publication_alerts(annual, monthly, previous, req.alert_below)
    track = track_record(root, (annual, monthly), history, inputs.periods)
    backtest = backtest_accuracy(ref, ref.tags.get("candidate") or loaded.spec.name,
                                 yf.months_actual)
    if backtest is not None and ref.tags.get("data_sha256") != digest:
        # The accuracy of a model trained on another plant's figures is not this plant's.
        backtest["other_data"] = ref.tags.get("data_name") or "other data"
    key = {"data_sha256": digest, "model_uri": ref.load_uri, "model_name": ref.name,
           "model_version": ref.version, "model_run_id": loaded.run_id, "as_of": str(as_of),
           "year": year, "guidance_low": None if guidance is None else guidance[0],
           "guidance_high": None if guidance is None else guidance[1], "seed": req.seed,
           "n_paths": req.n_paths}
    if req.alert_below != DEFAULT_ALERT_BELOW:
        # only when set: the keys of publications made before the option existed still match
        key["alert_below"] = req.alert_below
    # likewise only when given: what the sales figures were computed from
    if gif.sales is not None:
        key["sales_guidance"] = list(gif.sales)
    if req.prices is not None:
        key["prices_sha256"] = inputs.prices.attrs.get("sha256")
    if deck is not None:
        key["price_deck"] = deck.label if deck.flat is not None else \
            deck.monthly.attrs.get("sha256")
    return Computed(as_of=as_of, year=year, guidance=guidance, yf=yf, annual=annual, key=key,
                     key_sha256=key_digest(key), ref=ref, loaded=loaded,
                     data_label=inputs.label, data_sha256=digest, backtest=backtest,
                     sentence=lead_sentence(annual), monthly=monthly, track=track,
                     outlook=outlook)
