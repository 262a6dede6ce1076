"""Leave-one-year-out: what the whole selection procedure can be expected to score.

The winner of a backtest is scored on the years it was chosen on, so its score flatters it.
Here the whole procedure is run once per target year Y with Y held out: the skill weights
and the choice (``training.selection.choose_procedure``) are made on the other years only,
and the pick is scored on Y's origins (a skill mixture with the weights learned without Y).
The rows of every held-out year together are the procedure's honest record, next to every
single model, the equal mixture and the guidance at the same origins.
"""

from __future__ import annotations

import logging

import pandas as pd

from training.backtest import BacktestResult
from training.combination import EQUAL, SKILL, mixture_rows, skill_weights, with_rows
from training.scoring import GUIDANCE, per_origin_frame, summarise
from training.selection import choose_procedure

log = logging.getLogger(__name__)

#: model name of the held-out procedure's rows
PROCEDURE = "procedure"


def _subset(result: BacktestResult, keep: pd.Series) -> BacktestResult:
    per_origin = result.per_origin.loc[keep].reset_index(drop=True)
    as_of = set(per_origin["as_of"])
    return BacktestResult(per_origin=per_origin, summary=summarise(per_origin),
                          skipped=result.skipped,
                          forecasts={k: v for k, v in result.forecasts.items()
                                     if k[1] in as_of})


def leave_one_year_out(result: BacktestResult, history: pd.DataFrame, monthly_h: int,
                       metric: str = "annual_crps") -> tuple[pd.DataFrame, pd.DataFrame]:
    """The procedure's held-out rows, and the pick of every fold.

    Args:
        result: a backtest with the equal mixture's rows (``training.combination``) and the
            members' forecasts.
        history: the production frame scored against.
        monthly_h: months scored month by month after each origin.
        metric: selection loss.
    Returns:
        (per-origin rows of model ``procedure`` with a ``pick`` column, one per origin of
        every held-out year; the folds: ``year, pick, n_years, weights``).
    """
    po = result.per_origin
    base = result.per_origin["model"] != SKILL
    rows, folds = [], []
    for year in sorted(int(y) for y in po["year"].unique()):
        train = _subset(result, base & (po["year"] != year))
        weights = skill_weights(train, metric)
        srows, sfc = mixture_rows(train, SKILL, history, monthly_h, weights)
        train = with_rows(train, srows, sfc)
        choice = choose_procedure(train, EQUAL, metric)
        pick = choice.best
        if pick == SKILL:
            held, _ = mixture_rows(_subset(result, base & (po["year"] == year)), SKILL,
                                   history, monthly_h, weights)
            held = per_origin_frame(held)
        else:
            held = po.loc[(po["model"] == pick) & (po["year"] == year)].copy()
        held["model"] = PROCEDURE
        held["pick"] = pick
        rows.append(held)
        folds.append({"year": year, "pick": pick, "n_years": len(choice.years),
                      "weights": " ".join(f"{m}:{w:.3f}" for m, w in weights.items())})
        log.debug("leave-one-year-out: %d held out, %s chosen on %d other years", year, pick,
                 len(choice.years))
    held_rows = pd.concat(rows, ignore_index=True) if rows else pd.DataFrame()
    return held_rows, pd.DataFrame(folds, columns=["year", "pick", "n_years", "weights"])


def expectation_table(result: BacktestResult, held: pd.DataFrame,
                      months_known: tuple[int, ...] | None = None) -> pd.DataFrame:
    """Mean annual APE (%), CRPS (oz) and 80% coverage (%) of the procedure and the others.

    Every model is scored on the origins where the procedure and it both forecast, so the
    columns compare like with like.

    Args:
        result: the backtest (singles, mixtures, guidance).
        held: the procedure's held-out rows (``leave_one_year_out``).
        months_known: restrict to origins with these months known (all by default).
    Returns:
        One row per model: ``model, n_origins, procedure_ape, ape, ape_ratio, crps, cover80``
        where ``procedure_ape`` is the procedure's mean APE on the same origins.
    """
    po = pd.concat([result.per_origin, held.drop(columns="pick")], ignore_index=True)
    ok = po.loc[po["status"] == "ok"]
    if months_known is not None:
        ok = ok.loc[ok["months_known"].isin(list(months_known))]
    proc = ok.loc[ok["model"] == PROCEDURE].set_index("as_of")
    out = []
    for m in dict.fromkeys(ok["model"]):
        mine = ok.loc[ok["model"] == m].set_index("as_of")
        common = mine.index.intersection(proc.index)
        if not len(common):
            continue
        ape = float(mine.loc[common, "annual_ape"].mean())
        p_ape = float(proc.loc[common, "annual_ape"].mean())
        out.append({"model": m, "n_origins": len(common), "procedure_ape": p_ape, "ape": ape,
                    "ape_ratio": p_ape / ape if ape else float("nan"),
                    "crps": float(mine.loc[common, "annual_crps"].mean()),
                    "cover80": 100 * float(mine.loc[common, "annual_cover80"].astype(float)
                                           .mean())})
    table = pd.DataFrame(out)
    order = {PROCEDURE: 0, EQUAL: 1, SKILL: 2, GUIDANCE: 3}
    return table.sort_values(["model"], key=lambda s: s.map(lambda m: order.get(m, 9)),
                             kind="stable").reset_index(drop=True)
