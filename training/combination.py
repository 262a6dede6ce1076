"""Combinations scored from the members' own backtest paths: the equal and the skill mixture.

A mixture of members (``models.zoo.ensemble``, method ``weighted``) draws each path from one
member, members in proportion to their weights, and leaves out the members that decline at
an origin (the others' weights renormalised). Its backtest row at an origin is therefore
formed from the members' paths at that origin, as they were scored, instead of refitting
every member a second time: the same distribution the served ``ensemble`` draws from, with
other random draws.

Skill weights (``skill_weights``) measure each member against the equal mixture at the
origins it forecast (the ratio of its score to the mixture's, averaged over its origins)
and shrink that skill toward equal weight by the evidence behind it: a member seen in ``y``
years keeps ``y / (y + PRIOR_YEARS)`` of its measured skill. With the thin evidence of a
plant's few years the weights stay close to equal, which is what out-of-sample studies of
combinations recommend (Smith & Wallis 2009; Claeskens et al. 2016).
"""

from __future__ import annotations

import logging
from collections.abc import Mapping, Sequence

import numpy as np
import pandas as pd

from models.core.year import YearForecast
from models.zoo.ensemble import SPREAD, mixture_counts, spread_paths
from training.backtest import BacktestResult
from training.scoring import GUIDANCE, origin_row, per_origin_frame, score_paths, summarise

log = logging.getLogger(__name__)

#: name of the equal-weight mixture's rows (what ``make_model("ensemble")`` serves)
EQUAL = "ensemble"
#: name of the skill-weighted mixture's rows
SKILL = "ensemble_skill"
#: names that are combinations, never members of one
COMBINERS = (EQUAL, SKILL, "auto", "procedure")
#: years of evidence that count as much as the prior of equal weights
PRIOR_YEARS = 4.0


def mixture_forecast(members: Sequence[YearForecast], weights: Sequence[float],
                     name: str, spread: float = SPREAD) -> YearForecast:
    """The mixture of members' year forecasts (same origin, same path count).

    Args:
        members: YearForecasts of one origin, each with month_paths (n_paths, 12) oz.
        weights: one weight >= 0 per member (renormalised).
        name: model name of the result.
        spread: factor on the deviations from the mean path, as ``models.zoo.ensemble``.
    Returns:
        YearForecast whose paths are the first ``count`` paths of each member
        (``models.zoo.ensemble.mixture_counts``), moved by ``spread``; ``members`` names those
        with a share.
    """
    w = np.asarray(weights, dtype=float)
    w = w / w.sum()
    n_paths = members[0].month_paths.shape[0]
    counts = mixture_counts(w, n_paths)
    paths = spread_paths(np.concatenate([yf.month_paths[:c] for yf, c
                                         in zip(members, counts, strict=True) if c > 0],
                                        axis=0), spread)
    first = members[0]
    return YearForecast(year=first.year, as_of=first.as_of, model=name, months=first.months,
                        is_actual=first.is_actual, month_paths=paths,
                        is_monthly=first.is_monthly, ytd_source=first.ytd_source,
                        members=tuple(yf.model for yf, c in zip(members, counts, strict=True)
                                      if c > 0))


def member_names(result: BacktestResult) -> list[str]:
    """Models of a backtest that can be members of a mixture (no guidance, no combiners)."""
    names = dict.fromkeys(result.per_origin["model"])
    return [m for m in names if m != GUIDANCE and m not in COMBINERS]


def mixture_rows(result: BacktestResult, name: str, history: pd.DataFrame, monthly_h: int,
                 weights: Mapping[str, float] | None = None,
                 years: Sequence[int] | None = None
                 ) -> tuple[list[dict], dict[tuple[str, str], YearForecast]]:
    """Per-origin rows of the mixture of ``result``'s members (equal weights when None).

    Args:
        result: a backtest with its forecasts.
        name: model name of the rows.
        history: the production frame the backtest scored against.
        monthly_h: months scored month by month after each origin.
        weights: {member: weight}; members absent from it get no share.
        years: only origins of these target years (all by default).
    Returns:
        (rows in ``PER_ORIGIN_COLUMNS`` form, {(name, as_of): YearForecast}).
    """
    members = member_names(result)
    po = result.per_origin
    origins = po.loc[po["model"] == GUIDANCE] if (po["model"] == GUIDANCE).any() else \
        po.drop_duplicates("as_of")
    rows, forecasts = [], {}
    for o in origins.itertuples():
        if years is not None and int(o.year) not in years:
            continue
        ok = [(m, result.forecasts[(m, o.as_of)]) for m in members
              if (m, o.as_of) in result.forecasts
              and (weights is None or weights.get(m, 0.0) > 0)]
        as_of = pd.Period(o.as_of, freq="M")
        row = origin_row(name, as_of, float(o.annual_actual_oz), str(o.evidence))
        if not ok:
            row.update(status="declined", reason=f"{name}: no member forecast this origin")
            rows.append(row)
            continue
        w = [1.0 if weights is None else float(weights[m]) for m, _ in ok]
        yf = mixture_forecast([f for _, f in ok], w, name)
        score_paths(row, yf, history, monthly_h)
        rows.append(row)
        forecasts[(name, o.as_of)] = yf
    return rows, forecasts


def with_rows(result: BacktestResult, rows: list[dict],
              forecasts: Mapping[tuple[str, str], YearForecast]) -> BacktestResult:
    """A backtest result with ``rows`` (and their forecasts) added; summary recomputed."""
    per_origin = pd.concat([result.per_origin, per_origin_frame(rows)], ignore_index=True)
    return BacktestResult(per_origin=per_origin, summary=summarise(per_origin),
                          skipped=result.skipped,
                          forecasts={**result.forecasts, **forecasts})


def skill_weights(result: BacktestResult, metric: str = "annual_crps",
                  prior_years: float = PRIOR_YEARS) -> dict[str, float]:
    """Members' weights: skill against the equal mixture, shrunk toward equal by evidence.

    ``skill_m = 1 / mean_o(score_m,o / score_equal,o)`` over the origins where member m
    forecast (the equal mixture's rows ``EQUAL`` must be in ``result``); with ``y_m`` the
    number of target years among those origins, ``w_m ∝ 1 + y_m / (y_m + prior_years) *
    (skill_m - 1)``. A member that never forecast keeps weight 1 (it takes a share only
    where it forecasts).

    Returns:
        {member: weight}, summing to 1.
    """
    po = result.per_origin
    ok = po.loc[po["status"] == "ok"]
    base = ok.loc[ok["model"] == EQUAL].set_index("as_of")[metric].astype(float)
    raw = {}
    for m in member_names(result):
        rows = ok.loc[ok["model"] == m]
        s = rows.set_index("as_of")[metric].astype(float)
        common = s.index.intersection(base.index[base > 0])
        if not len(common):
            raw[m] = 1.0
            continue
        skill = 1.0 / float(np.mean(s.loc[common] / base.loc[common]))
        n_years = rows.loc[rows["as_of"].isin(common), "year"].nunique()
        lam = n_years / (n_years + prior_years)
        raw[m] = max(1.0 + lam * (skill - 1.0), 0.0)
    total = sum(raw.values())
    return {m: v / total for m, v in raw.items()}


def add_combinations(result: BacktestResult, history: pd.DataFrame, monthly_h: int,
                     metric: str = "annual_crps") -> tuple[BacktestResult, dict[str, float]]:
    """``result`` with the equal mixture's and the skill mixture's rows, and the weights.

    Returns:
        (the backtest with ``EQUAL`` and ``SKILL`` rows, the skill weights used).
    """
    rows, fc = mixture_rows(result, EQUAL, history, monthly_h)
    out = with_rows(result, rows, fc)
    weights = skill_weights(out, metric)
    rows, fc = mixture_rows(out, SKILL, history, monthly_h, weights)
    return with_rows(out, rows, fc), weights
