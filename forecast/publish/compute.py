"""Everything a publication is made of, computed before ROOT is touched: the data, the
model, the forecast, the idempotency key and the backtest accuracy to quote."""

from __future__ import annotations

import hashlib
from dataclasses import dataclass
from typing import Any

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
from models.core.calendar import target_year
from models.core.errors import ModelUnavailableError
from models.core.version import orecast_version


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


def served_agrees(served: Any, monthly: Any, annual: dict[str, Any]) -> str | None:
    """None when the pyfunc's output equals the in-process forecast, else what differs."""
    import numpy as np

    months = served.loc[served["section"] == "month"]
    for col in ("mean", "p10", "p50", "p90"):
        if not np.array_equal(months[col].to_numpy(float), monthly[col].to_numpy(float)):
            return f"monthly {col}"
    row = served.loc[served["section"] == "annual"].iloc[0]
    for k in ("ytd_oz", "mean", "p05", "p10", "p50", "p90", "p95", "prob_below_low",
              "prob_within", "prob_above_high"):
        a, b = annual[k], row[k]
        if not ((a is None and b != b) or (a is not None and float(a) == float(b))):
            return f"annual {k}"
    return None


def compute(req: PublishRequest, job: JobLog) -> Computed:
    from forecast.inputs import last_reported_month, load_inputs
    from forecast.report import lead_sentence
    from models.core.calendar import month_from_text
    from models.core.summary import annual_summary, monthly_frame
    from models.core.year import forecast_year, guidance_in_force
    from training.pyfunc_model import history_from_input, periods_to_text
    from training.tracking import data_digest, history_to_input

    with job.step("load_data") as f:
        inputs = load_inputs(req.data, req.guidance, req.periods)
        periods_text = periods_to_text(inputs.periods)
        history = inputs.history
        digest = data_digest(history)
        as_of = (month_from_text(req.as_of) if req.as_of
                 else last_reported_month(history, inputs.periods))
        year = target_year(as_of)
        today = resolve_today(req.today)
        age = check_staleness(history, req.max_staleness_days, today, inputs.periods)
        guidance = guidance_in_force(inputs.guidance, year, as_of)
        job.bind(as_of=str(as_of))
        f.update(data=inputs.label, data_sha256=digest[:12], year=year, age_days=age,
                 guidance=None if guidance is None else f"{guidance[0]:.0f}-{guidance[1]:.0f}")
    with job.step("load_model", model_uri=req.model_uri) as f:
        ref = resolve_model(req.model_uri)
        loaded = load_model(ref)
        job.bind(model_version=ref.version or loaded.spec.label)
        f.update(model=loaded.spec.label, run_id=loaded.run_id)
    with job.step("forecast", n_paths=req.n_paths, seed=req.seed) as f:
        flat = history_to_input(history)
        params: dict[str, Any] = {"as_of": str(as_of), "year": year, "n_paths": req.n_paths,
                                  "seed": req.seed, "model_version": ref.version or "",
                                  "periods": periods_text}
        if guidance is not None:
            params.update(guidance_low=guidance[0], guidance_high=guidance[1])
        served = loaded.pyfunc.predict(flat, params=params)
        # The served output has no paths; quarters and charts need them. The same procedure
        # on the same validated history and seed gives the same paths, checked below.
        same_history, _ = history_from_input(flat)
        yf = forecast_year(loaded.spec.build(), same_history, as_of, year, n_paths=req.n_paths,
                           seed=req.seed, periods=inputs.periods)
        annual = annual_summary(yf, guidance, model_version=ref.version or loaded.spec.label,
                                data_sha256=digest, orecast_version=orecast_version())
        diff = served_agrees(served, monthly_frame(yf), annual)
        if diff is not None:
            raise ModelUnavailableError(f"{ref.uri}: the served model's {diff} differs from its "
                                        f"spec {loaded.spec.label} run in process; expected "
                                        f"the same numbers (orecast versions differ?)")
        f.update(p50=annual["p50"], p10=annual["p10"], p90=annual["p90"])
    backtest = backtest_accuracy(ref, ref.tags.get("candidate") or loaded.spec.name,
                                 yf.months_actual)
    if backtest is not None and ref.tags.get("data_sha256") != digest:
        # The accuracy of a model trained on another plant's figures is not this plant's.
        backtest["other_data"] = ref.tags.get("data_name") or "other data"
    key = {"data_sha256": digest, "model_uri": ref.load_uri, "model_name": ref.name,
           "periods_sha256": hashlib.sha256(periods_text.encode()).hexdigest(),
           "model_version": ref.version, "model_run_id": loaded.run_id, "as_of": str(as_of),
           "year": year, "guidance_low": None if guidance is None else guidance[0],
           "guidance_high": None if guidance is None else guidance[1], "seed": req.seed,
           "n_paths": req.n_paths}
    return Computed(as_of=as_of, year=year, guidance=guidance, yf=yf, annual=annual, key=key,
                     key_sha256=key_digest(key), ref=ref, loaded=loaded,
                     data_label=inputs.label, data_sha256=digest, backtest=backtest,
                     sentence=lead_sentence(annual))
