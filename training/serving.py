"""Serving the registered model: the request (a flat production table and params), the
forecast frame it answers with, its signature and how it is logged.

The logged model is the models-from-code file ``training/pyfunc_model.py``, a thin wrapper
that calls ``forecast_frame`` of the installed package; this module holds everything else
(importing it sets no model). The model's state is one small artifact, ``spec.json`` (zoo name + params, see ``training.spec``): the
procedure, never the data it was trained on. Period totals and guidance come with each
request (the ``periods`` param), so a model trained on one plant forecasts another from that
plant's own figures. Nothing is pickled.

Input: the production history as a flat table, one row per month: ``month`` (``YYYY-MM``),
``gold_oz`` (troy oz, empty = not published) and optional contract columns
(``ore_purchased_t``, ``ore_processed_t`` in t, ``head_grade_gpt`` g/t, ``recovery_pct`` %,
``capacity_tpd`` t/day). It is validated like a production file.

Params: ``as_of`` (``YYYY-MM``; default the last month with a figure), ``year`` (0 = the
as-of month's year, or the next when as-of is December), ``n_paths``, ``seed``,
``quantiles`` (extra monthly and annual quantile levels beyond p10/p50/p90),
``guidance_low`` / ``guidance_high`` (oz, both or neither), ``model_version`` (copied into
the output), ``periods`` (the period totals file's text, CSV with ``period, metric, value,
unit`` as ``orecast forecast --periods`` reads; empty = none), ``guidance_metric`` (``oz``,
``aueq_oz`` or ``sales_usd``: the unit of ``guidance_low``/``guidance_high``), ``prices``
(a gold price history's text, CSV ``month, usd_per_oz``; empty = the embedded World Bank
series) and ``price_deck`` (a flat planning price, USD/oz, for the months after as-of).
Sales (USD) are forecast whenever the prices reach the as-of month: the annual row then
carries the ``sales_usd`` block as ``sales_<key>`` columns and month rows the sales columns
of monthly.csv.

Output: one frame: a ``section == "month"`` row per month with a figure of its own or a
forecast (12 for a plant that publishes every month; ``period`` YYYY-MM, ``kind``
actual|forecast, ``mean, p10, p50, p90`` oz, exactly ``models.core.summary.monthly_frame``) and
one ``section == "annual"`` row (``period`` YYYY) carrying every field of
``models.core.summary.annual_summary`` as columns. Annual-only fields are NaN / None on month
rows; provenance columns (``year, as_of, model, model_version, data_sha256,
orecast_version``) are repeated on every row.

At predict time the spec is fitted on the history given, cut at ``as_of``, exactly as the
backtest fitted it at each origin (``models.core.year.forecast_year``).
"""

from __future__ import annotations

import math
import warnings
from collections.abc import Mapping
from importlib import metadata
from pathlib import Path
from typing import Any

import mlflow
import numpy as np
import pandas as pd

from models.core.calendar import month_from_text
from models.core.errors import DataValidationError, UsageError
from models.core.outlook import GuidanceInForce, Outlook, Prices, guidance_at, year_outlook
from models.core.paths import quantiles as path_quantiles
from models.core.summary import ANNUAL_KEYS
from models.core.version import orecast_version
from models.core.year import YearForecast, forecast_year
from models.data.digest import data_sha256, flat_table
from models.data.inputs import load_prices_or_embedded
from models.data.periods import check_consistency, months_frame
from training.spec import ModelSpec

#: the models-from-code file MLflow copies into every logged model
PYFUNC_FILE = Path(__file__).resolve().with_name("pyfunc_model.py")
#: artifact key of the logged model
SPEC_ARTIFACT = "spec"
#: default predict params (same defaults as ``orecast forecast``)
DEFAULT_PARAMS: dict[str, Any] = {
    "as_of": "", "year": 0, "n_paths": 4000, "seed": 0, "quantiles": [0.1, 0.5, 0.9],
    "guidance_low": None, "guidance_high": None, "model_version": "", "periods": "",
    "guidance_metric": "oz", "prices": "", "price_deck": None,
}
_BASE_LEVELS = (0.1, 0.5, 0.9)
#: the request's columns as the signature shows them (MLflow types): the production table
INPUT_COLUMNS = (("month", "string"), ("gold_oz", "double"), ("ore_purchased_t", "double"),
                 ("ore_processed_t", "double"), ("head_grade_gpt", "double"),
                 ("recovery_pct", "double"), ("capacity_tpd", "double"), ("unit", "string"))
INPUT_SOURCE = "<model input>"
OUTPUT_COLUMNS = ["section", "period", "kind", "mean", "p05", "p10", "p50", "p90", "p95",
                  *[k for k in ANNUAL_KEYS if k not in {"mean", "p05", "p10", "p50", "p90",
                                                         "p95"}]]


def history_from_input(frame: pd.DataFrame, source: str = INPUT_SOURCE
                       ) -> tuple[pd.DataFrame, str]:
    """Validate a flat production table into the production frame, and its digest.

    The table is written as CSV and validated like a production file
    (``models.data.tables.production_from_table``), so a bad row reads
    ``<model input>:<row>: ...``.

    Args:
        frame: ``month`` (YYYY-MM strings or Periods, or the index of the package's own
            frame) + ``gold_oz`` (oz) + optional contract columns.
        source: name used in problems.
    Returns:
        (history indexed by a monthly PeriodIndex, its ``models.data.digest.data_sha256``).
    Raises:
        DataValidationError: missing columns, bad months, negative ounces, gaps, ...
    """
    from models.data.tables import production_from_table, table_from_bytes

    if not isinstance(frame, pd.DataFrame):
        raise DataValidationError(f"{source}:0: input: expected a table with columns month, "
                                  f"gold_oz, found {type(frame).__name__}")
    flat = frame.copy()
    if "month" not in flat.columns and flat.index.name == "month":
        # The package's own production frame: months as its index.
        flat = flat.reset_index()
    if "month" in flat.columns:
        flat["month"] = [m if isinstance(m, str) or m is None
                         or (isinstance(m, float) and math.isnan(m)) else str(m)
                         for m in flat["month"]]
    data = flat.to_csv(index=False, lineterminator="\n").encode()
    raw = table_from_bytes(data, source, "csv")
    history = production_from_table(raw)
    return history, data_sha256(history)


def _level_name(q: float) -> str:
    pct = round(q * 100, 6)
    return f"p{int(pct):02d}" if float(pct).is_integer() else "p" + f"{pct:g}".replace(".", "_")


def _check_params(params: Mapping[str, Any]) -> dict[str, Any]:
    p = {**DEFAULT_PARAMS, **{k: v for k, v in params.items() if v is not None
                              or k.startswith("guidance")}}
    unknown = sorted(set(params) - set(DEFAULT_PARAMS))
    if unknown:
        raise UsageError(f"params: unknown {', '.join(unknown)}; expected "
                         f"{', '.join(DEFAULT_PARAMS)}")
    if int(p["n_paths"]) < 1:
        raise UsageError(f"params: n_paths: expected >= 1, got {p['n_paths']}")
    levels = [float(q) for q in (p["quantiles"] if p["quantiles"] is not None else [])]
    if any(not 0.0 < q < 1.0 for q in levels):
        raise UsageError(f"params: quantiles: expected levels in (0, 1), got {levels}")
    p["quantiles"] = levels
    low, high = p.get("guidance_low"), p.get("guidance_high")
    if (low is None) != (high is None):
        raise UsageError("params: guidance_low/guidance_high: expected both or neither")
    if low is not None and not float(low) <= float(high):
        raise UsageError(f"params: guidance: expected low <= high, got {low} > {high}")
    return p


def periods_from_text(text: str, source: str = "<periods param>") -> pd.DataFrame | None:
    """The ``periods`` param (a period totals CSV's text) as a validated frame, None if empty.

    Raises:
        DataValidationError: not a valid period totals table (one line naming the row).
    """
    if not text or not str(text).strip():
        return None
    from models.data.tables import periods_from_table, table_from_bytes

    return periods_from_table(table_from_bytes(str(text).encode(), source, "csv"))


def year_forecast(spec: ModelSpec, history: pd.DataFrame, periods: pd.DataFrame | None,
                  params: Mapping[str, Any] | None = None, *,
                  guidance: GuidanceInForce | None = None,
                  prices: Prices | None = None) -> tuple[YearForecast, Outlook]:
    """Forecast one year of a validated history with the spec's procedure.

    Args:
        spec: the procedure (zoo name + params).
        history: validated production frame (monthly PeriodIndex, ``gold_oz`` oz).
        periods: validated period totals, or None (cut at as-of before use).
        params: predict params (``DEFAULT_PARAMS`` keys; ``periods`` is not read here).
        guidance: the guidance in force (every metric), replacing the params' range.
        prices: the price history and deck, replacing the params' ``prices``/``price_deck``.
    Returns:
        (the YearForecast with its paths, its ``models.core.outlook.Outlook``: the
        ``annual_summary`` record in oz with its ``sales_usd`` block, the tables).
    Raises:
        DataValidationError, UsageError, ModelDeclined: bad history, params or as-of.
    """
    p = _check_params(params or {})
    if p["as_of"]:
        as_of = month_from_text(str(p["as_of"]), "as_of")
    else:
        last = history["gold_oz"].last_valid_index()
        as_of = last if last is not None else history.index[-1]
    given = (None if p["guidance_low"] is None
             else (float(p["guidance_low"]), float(p["guidance_high"])))
    check_consistency(history, periods)
    yf = forecast_year(spec.build(), history, as_of, int(p["year"]) or None,
                       n_paths=int(p["n_paths"]), seed=int(p["seed"]), periods=periods)
    if guidance is None:
        guidance = guidance_at(None, yf.year, as_of, given, str(p["guidance_metric"] or "oz"))
    outlook = year_outlook(yf, history, periods, guidance,
                           prices if prices is not None else prices_from_params(p),
                           seed=int(p["seed"]),
                           model_version=p["model_version"] or spec.label,
                           data_sha256=data_sha256(history, periods),
                           orecast_version=orecast_version())
    return yf, outlook


def prices_from_params(p: Mapping[str, Any]) -> Prices:
    """The ``prices`` and ``price_deck`` params as the forecast's ``Prices`` (the embedded
    history when ``prices`` is empty; required when either is given).

    Raises:
        DataValidationError: ``prices`` is not a valid price table.
        UsageError: ``price_deck`` is not a price above 0.
    """
    from models.core.price_paths import PriceDeck
    from models.data.tables import PRICES_HINT, prices_from_table, table_from_bytes

    text = str(p.get("prices") or "")
    history = (prices_from_table(table_from_bytes(text.encode(), "<prices param>", "csv",
                                                  PRICES_HINT))
               if text.strip() else load_prices_or_embedded(None))
    deck = None
    if p.get("price_deck") is not None:
        try:
            deck = PriceDeck.flat_price(p["price_deck"])
        except ValueError as exc:
            raise UsageError(f"params: price_deck: {exc}, got {p['price_deck']!r}") from None
    return Prices(history, deck, required=bool(text.strip()) or deck is not None)


def forecast_frame(spec: ModelSpec, model_input: pd.DataFrame,
                   params: Mapping[str, Any] | None = None) -> pd.DataFrame:
    """Forecast one year with the spec's procedure: the pyfunc's output, computed in process.

    Args:
        spec: the procedure (zoo name + params).
        model_input: flat production table (see ``history_from_input``).
        params: predict params (``DEFAULT_PARAMS`` keys); missing ones take the defaults;
            ``periods`` carries the period totals (cut at as-of before use).
    Returns:
        The frame of ``OUTPUT_COLUMNS`` (a row per month shown, one annual row; plus one
        ``p<level>`` column per extra quantile level): ounces for every statistic,
        probabilities in [0, 1].
    Raises:
        DataValidationError, UsageError, ModelDeclined: bad input, params or history.
    """
    p = _check_params(params or {})
    periods = periods_from_text(p["periods"])
    if isinstance(model_input, pd.DataFrame) and model_input.empty and periods is not None:
        # A quarterly reporter: no monthly figure, the period totals are the plant.
        history = months_frame(periods)
    else:
        history, _ = history_from_input(model_input)
    yf, outlook = year_forecast(spec, history, periods, p)
    annual = dict(outlook.annual)
    sales = annual.pop("sales_usd", None) or {}
    annual.update({f"sales_{k}": v for k, v in sales.items() if not isinstance(v, dict)})

    months = outlook.monthly.rename(columns={"month": "period"})
    months.insert(0, "section", "month")
    for key in ("year", "as_of", "model", "model_version", "data_sha256", "orecast_version"):
        months[key] = annual[key]
    total = {"section": "annual", "period": str(yf.year), "kind": "total", **annual}
    extra = [q for q in p["quantiles"] if not any(abs(q - b) < 1e-12 for b in _BASE_LEVELS)]
    if extra:
        mq = path_quantiles(yf.month_paths, tuple(extra))
        aq = path_quantiles(yf.annual_paths, tuple(extra))
        for i, q in enumerate(extra):
            months[_level_name(q)] = np.round(mq[i], 1)
            total[_level_name(q)] = float(np.round(aq[i], 1))
    out = pd.concat([months, pd.DataFrame([total])], ignore_index=True)
    columns = OUTPUT_COLUMNS + [c for c in out.columns if c not in OUTPUT_COLUMNS]
    out = out.reindex(columns=columns)
    for c in ("mean", "p05", "p10", "p50", "p90", "p95", "ytd_oz", "guidance_low",
              "guidance_high", "prob_below_low", "prob_within", "prob_above_high"):
        out[c] = out[c].astype(float)
    out["year"] = out["year"].astype("int64")
    out["months_actual"] = out["months_actual"].astype(float)
    return out


def signature(example_input: pd.DataFrame, example_output: pd.DataFrame) -> Any:
    """The model signature: output columns and the predict params with their defaults.

    The input schema names the production table's columns (``INPUT_COLUMNS``), every one
    optional to MLflow: ``month`` may be the index of the package's own frame (a
    PeriodIndex, which MLflow's type check would refuse as a column) and a quarterly
    reporter's request has no month at all. The request is then validated by orecast
    itself (``history_from_input``, one line naming the row and field).

    Args:
        example_input: a flat production table (``month`` + numeric columns).
        example_output: the frame ``forecast_frame`` returned for it.
    Returns:
        mlflow.models.ModelSignature with outputs and params.
    """
    from mlflow.models import ModelSignature
    from mlflow.models.signature import infer_signature
    from mlflow.types.schema import ParamSchema, ParamSpec

    with warnings.catch_warnings():
        # ``year`` is an integer column that is never missing; MLflow's hint does not apply.
        warnings.simplefilter("ignore", UserWarning)
        outputs = infer_signature(example_input, example_output).outputs
    params = ParamSchema([
        ParamSpec("as_of", "string", ""),
        ParamSpec("year", "long", 0),
        ParamSpec("n_paths", "long", DEFAULT_PARAMS["n_paths"]),
        ParamSpec("seed", "long", 0),
        ParamSpec("quantiles", "double", list(DEFAULT_PARAMS["quantiles"]), (-1,)),
        ParamSpec("guidance_low", "double", None),
        ParamSpec("guidance_high", "double", None),
        ParamSpec("model_version", "string", ""),
        ParamSpec("periods", "string", ""),
        ParamSpec("guidance_metric", "string", "oz"),
        ParamSpec("prices", "string", ""),
        ParamSpec("price_deck", "double", None),
    ])
    from mlflow.types.schema import ColSpec, Schema

    inputs = Schema([ColSpec(kind, name, required=False) for name, kind in INPUT_COLUMNS])
    return ModelSignature(inputs=inputs, outputs=outputs, params=params)


def pip_requirements() -> list[str]:
    """Pinned requirements of the served model: this package's runtime dependencies."""
    reqs = []
    for dist in ("mlflow", "numpy", "pandas", "scipy", "statsmodels", "scikit-learn",
                 "pandera", "pyarrow", "joblib"):
        try:
            reqs.append(f"{dist}=={metadata.version(dist)}")
        except metadata.PackageNotFoundError:
            reqs.append(dist)
    return reqs


def log_forecast_model(spec: ModelSpec, history: pd.DataFrame, workdir: Path, *,
                       name: str = "model",
                       example_params: Mapping[str, Any] | None = None) -> Any:
    """Log the spec as a models-from-code pyfunc to the active run.

    Args:
        spec: the selected procedure.
        history: the production frame it was selected on (its flat form is the input
            example).
        workdir: directory for the artifact file (``spec.json``).
        name: the logged model's name.
        example_params: params of the input example (small ``n_paths`` keeps logging quick).
    Returns:
        mlflow.models.model.ModelInfo of the logged model (``model_uri`` = ``models:/<id>``).
    """
    workdir.mkdir(parents=True, exist_ok=True)
    artifacts = {SPEC_ARTIFACT: str(spec.save(workdir / "spec.json"))}
    example = flat_table(history)
    ex_params = dict(example_params or {"n_paths": 200})
    example_out = forecast_frame(spec, example, ex_params)
    return mlflow.pyfunc.log_model(
        name=name,
        python_model=str(PYFUNC_FILE),
        artifacts=artifacts,
        signature=signature(example, example_out),
        input_example=(example, ex_params),
        pip_requirements=pip_requirements(),
    )

