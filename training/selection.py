"""Choosing the procedure to serve: the equal mixture unless a candidate wins across years.

Origins of one year share that year's surprises, so they are not independent evidence:
candidates are compared with the default combination year by year, and a one-sided sign
test over the years decides whether a candidate's wins could be luck
(``choose_procedure``). The guidance rows of a backtest are a benchmark, never a candidate.
"""

from __future__ import annotations

import logging
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

import numpy as np
import pandas as pd

from models.core.errors import UsageError
from training.backtest import BacktestResult
from training.scoring import GUIDANCE

log = logging.getLogger(__name__)

#: scores where lower is better, usable for selection
LOSS_METRICS = ("annual_crps", "annual_ape", "monthly_mae", "monthly_smape", "monthly_mase",
                "monthly_crps", "monthly_pinball")

#: fewest target years a candidate must share with the combination to replace it
MIN_YEARS = 4
#: one-sided sign-test level at which a candidate's wins over years replace the combination
SIGN_LEVEL = 0.10

PROCEDURE_COLUMNS = ["model", "n_years", "wins", "p_value", "mean_score", "default_score",
                     "replaces_default", "years"]


@dataclass(frozen=True)
class ProcedureChoice:
    """Outcome of ``choose_procedure``.

    Attributes:
        best: the chosen candidate (the default combination unless a rule-passing one).
        default: the default combination's name.
        metric: the score compared (lower is better).
        rule: the rule, in words.
        table: one row per challenger: years shared with the default, years won, the
            sign test's p-value, mean scores over the shared origins, whether it passes,
            and its per-year mean scores (``year:score`` pairs).
        years: target years with at least one scored origin.
    """

    best: str
    default: str
    metric: str
    rule: str
    table: pd.DataFrame
    years: tuple[int, ...]


def _sign_test_p(wins: int, n: int) -> float:
    """One-sided sign test: P(at least ``wins`` of ``n`` fair coin flips)."""
    from scipy.stats import binom

    return float(binom.sf(wins - 1, n, 0.5)) if n else 1.0


def choose_procedure(result: BacktestResult, default: str, metric: str = "annual_crps",
                     candidates: Sequence[str] | None = None) -> ProcedureChoice:
    """The procedure to serve: ``default`` unless a candidate wins across years.

    Origins within one year are not independent (one year's surprise moves them all), so
    candidates are compared year by year: for each target year, the mean ``metric`` of the
    candidate and of the default over the origins of that year where both forecast. A
    candidate replaces the default only when they share at least ``MIN_YEARS`` years, the
    candidate is better in enough of them that a one-sided sign test rejects "no better"
    at ``SIGN_LEVEL`` (4 of 4 years, 5 of 5, 6 of 7, ...) and its mean over the shared
    origins is lower. Of several that pass, the one with the most wins, then the lowest
    mean, is chosen.

    Args:
        result: a backtest holding the default's rows and the candidates'.
        default: the combination served unless the rule says otherwise.
        metric: a loss column (``LOSS_METRICS``).
        candidates: challengers (default: every other model of the backtest but guidance).
    Returns:
        ProcedureChoice.
    """
    if metric not in LOSS_METRICS:
        raise UsageError(f"{metric!r} cannot rank models; expected one of "
                         f"{', '.join(LOSS_METRICS)}", option="metric")
    po = result.per_origin
    ok = po.loc[(po["status"] == "ok") & np.isfinite(po[metric].astype(float))]
    names = [m for m in dict.fromkeys(po["model"]) if m not in (GUIDANCE, default)]
    if candidates is not None:
        names = [m for m in names if m in set(candidates)]
    base = ok.loc[ok["model"] == default].set_index("as_of")
    rows = []
    for m in names:
        mine = ok.loc[ok["model"] == m].set_index("as_of")
        common = mine.index.intersection(base.index)
        paired = pd.DataFrame({"year": base.loc[common, "year"],
                               "mine": mine.loc[common, metric].astype(float),
                               "base": base.loc[common, metric].astype(float)})
        by_year = paired.groupby("year")[["mine", "base"]].mean()
        n = len(by_year)
        wins = int((by_year["mine"] < by_year["base"]).sum())
        p = _sign_test_p(wins, n)
        mean_m = float(paired["mine"].mean()) if len(paired) else np.nan
        mean_b = float(paired["base"].mean()) if len(paired) else np.nan
        passes = bool(n >= MIN_YEARS and p <= SIGN_LEVEL and mean_m < mean_b)
        rows.append({"model": m, "n_years": n, "wins": wins, "p_value": round(p, 4),
                     "mean_score": mean_m, "default_score": mean_b,
                     "replaces_default": passes,
                     "years": " ".join(f"{int(y)}:{v:.6g}" for y, v in by_year["mine"].items())})
    table = pd.DataFrame(rows, columns=PROCEDURE_COLUMNS)
    passing = table.loc[table["replaces_default"]]
    best = default
    if len(passing):
        best = str(passing.sort_values(["wins", "mean_score"], ascending=[False, True],
                                       kind="stable").iloc[0]["model"])
    rule = (f"{default} unless a candidate has a lower mean {metric} in enough of at least "
            f"{MIN_YEARS} shared years for a one-sided sign test at {SIGN_LEVEL:.0%}")
    years = tuple(sorted(int(y) for y in ok["year"].unique()))
    if best == default:
        log.debug("selection: %s kept (%d years of evidence; no candidate passes the rule)",
                 default, len(years))
    else:
        row = passing.set_index("model").loc[best]
        log.debug("selection: %s replaces %s: better in %d of %d years (sign test p=%.3f)",
                 best, default, row["wins"], row["n_years"], row["p_value"])
    return ProcedureChoice(best=best, default=default, metric=metric, rule=rule, table=table,
                           years=years)


def evidence_record(result: BacktestResult, selection: ProcedureChoice, best: str,
                    metric: str) -> dict[str, Any]:
    """What the choice rested on: years, origins by evidence, per-year scores, the rule."""
    po = result.per_origin
    origins = po.drop_duplicates("as_of")
    ok = po.loc[(po["status"] == "ok") & po["model"].isin([best, selection.default])]
    per_year = (ok.groupby(["model", "year"])[metric].mean().unstack("year")
                .round(3).to_dict(orient="index"))
    return {"years": list(selection.years), "n_origins": int(len(origins)),
            "origins_by_evidence": {str(k): int(v) for k, v in
                                    origins["evidence"].value_counts().sort_index().items()},
            "metric": metric, "rule": selection.rule, "decision": best,
            "default": selection.default,
            "per_year": {m: {str(y): v for y, v in d.items()} for m, d in per_year.items()}}
