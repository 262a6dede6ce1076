"""Model selection from a backtest: lowest mean score on common origins, ties to the simpler.

Models are compared on the same origins only: an origin counts when every candidate is
``ok`` there with a finite score. A model declined at every origin is excluded; when the
remaining models share no origin, the model with the fewest ``ok`` origins is excluded
(logged) and the common set recomputed, until some origin is shared. The guidance rows are
a benchmark, never a candidate. A model ok at fewer than half as many origins as the
best-covered model is excluded first, so that one narrow model cannot shrink the comparison
to a handful of origins.
"""

from __future__ import annotations

import logging
from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np
import pandas as pd

from models.errors import UsageError
from models.zoo import model_class, model_names
from training.backtest import GUIDANCE, BacktestResult

log = logging.getLogger(__name__)

#: scores where lower is better, usable for selection
LOSS_METRICS = ("annual_crps", "annual_ape", "monthly_mae", "monthly_smape", "monthly_mase",
                "monthly_crps", "monthly_pinball")
#: relative tolerance within which two mean scores count as a tie
TIE_RTOL = 1e-9
#: a model must be ok at this share of the best-covered model's origins to be compared
MIN_ORIGIN_SHARE = 0.5

TABLE_COLUMNS = ["model", "complexity", "n_ok", "n_common", "score", "rank", "excluded"]


@dataclass(frozen=True)
class Selection:
    """Outcome of ``select_model``.

    Attributes:
        best: zoo name of the selected model.
        metric: the score compared (lower is better).
        table: one row per candidate: ``model, complexity, n_ok`` (ok origins),
            ``n_common`` (origins compared), ``score`` (mean over the common origins, NaN if
            excluded), ``rank`` (1 = best), ``excluded`` (reason, empty if compared).
    """

    best: str
    metric: str
    table: pd.DataFrame


def _complexity(name: str) -> int:
    try:
        return int(model_class(name).complexity)
    except (UsageError, ImportError, AttributeError):
        return 5  # the base class default, for names outside the zoo


def _zoo_position(name: str) -> int:
    names = model_names()
    return names.index(name) if name in names else len(names)


def _common_scores(result: BacktestResult, metric: str, months_known: Sequence[int] | None
                   ) -> tuple[pd.DataFrame, dict[str, str], pd.Series]:
    """Scores pivoted origin x model on the common origins, excluded models, ok counts."""
    if metric not in LOSS_METRICS:
        raise UsageError(f"--metric: {metric!r} cannot rank models; expected one of "
                         f"{', '.join(LOSS_METRICS)}")
    df = result.per_origin
    df = df.loc[df["model"] != GUIDANCE]
    if months_known is not None:
        df = df.loc[df["months_known"].isin(list(months_known))]
    usable = (df["status"] == "ok") & np.isfinite(df[metric].astype(float))
    candidates = list(dict.fromkeys(result.per_origin["model"]))
    candidates = [m for m in candidates if m != GUIDANCE]
    n_ok = usable.groupby(df["model"]).sum().reindex(candidates, fill_value=0).astype(int)
    scores = (df.loc[usable].pivot_table(index=["year", "as_of"], columns="model",
                                         values=metric, aggfunc="first")
              .reindex(columns=candidates))
    excluded: dict[str, str] = {m: "no ok origin with a finite score"
                                for m in candidates if n_ok[m] == 0}
    # A model that can forecast only a few of the origins would shrink the common set to
    # those few; it is left out instead (its own scores stay in the backtest table).
    most = int(n_ok.max()) if len(n_ok) else 0
    for m in candidates:
        if m not in excluded and n_ok[m] < MIN_ORIGIN_SHARE * most:
            excluded[m] = (f"ok at {n_ok[m]} of {most} origins (< {MIN_ORIGIN_SHARE:.0%} of "
                           f"the best-covered model)")
            log.info("selection: %s excluded: %s", m, excluded[m])
    while True:
        alive = [m for m in candidates if m not in excluded]
        if not alive:
            break
        common = scores[alive].dropna(how="any")
        if len(common):
            if len(common) < 3:
                log.warning("selection: models compared on only %d common origin(s); the "
                            "choice rests on little evidence", len(common))
            return common, excluded, n_ok
        # The model seen at the fewest origins goes first; ties drop the more complex one.
        drop = min(alive, key=lambda m: (n_ok[m], -_complexity(m), -_zoo_position(m)))
        log.info("selection: %s shares no origin with the other models; excluded", drop)
        excluded[drop] = "shares no ok origin with the other models"
    raise UsageError(f"selection: no model has an ok {metric} at any origin of the backtest")


def select_model(result: BacktestResult, metric: str = "annual_crps",
                 months_known: Sequence[int] | None = None) -> Selection:
    """Pick the model with the lowest mean ``metric`` over the origins all candidates share.

    Ties (within ``TIE_RTOL`` relative) go to the lower class attribute ``complexity``, then
    to the earlier name in the zoo's listing (simplest first), then alphabetical order.

    Args:
        result: a backtest result.
        metric: a loss column of ``per_origin`` (``LOSS_METRICS``), e.g. annual CRPS in oz.
        months_known: restrict to origins with these months known (0..11); all by default.
    Returns:
        Selection with the best model and the comparison table.
    Raises:
        UsageError: unknown metric, or no model was ok anywhere.
    """
    common, excluded, n_ok = _common_scores(result, metric, months_known)
    means = common.mean(axis=0)
    best_value = float(means.min())
    tol = TIE_RTOL * max(abs(best_value), np.finfo(float).tiny)

    def key(m: str) -> tuple:
        # Scores inside the tie band compare as equal, so complexity decides among them.
        v = float(means[m])
        band = best_value if abs(v - best_value) <= tol else v
        return (band, _complexity(m), _zoo_position(m), m)

    ranked = sorted(means.index, key=key)
    rank = {m: i + 1 for i, m in enumerate(ranked)}
    rows = []
    for m in n_ok.index:
        rows.append({"model": m, "complexity": _complexity(m), "n_ok": int(n_ok[m]),
                     "n_common": len(common) if m in rank else 0,
                     "score": float(means[m]) if m in rank else np.nan,
                     "rank": rank.get(m, pd.NA), "excluded": excluded.get(m, "")})
    table = pd.DataFrame(rows, columns=TABLE_COLUMNS)
    table["rank"] = table["rank"].astype("Int64")
    table = table.sort_values("rank", kind="stable", na_position="last").reset_index(drop=True)
    log.info("selection: %s has the lowest mean %s (%.6g) over %d common origins",
             ranked[0], metric, float(means[ranked[0]]), len(common))
    return Selection(best=ranked[0], metric=metric, table=table)


def skill_weights(result: BacktestResult, metric: str = "annual_crps",
                  months_known: Sequence[int] | None = None) -> dict[str, float]:
    """Inverse-score weights of the compared models, normalised to sum to 1 (for an ensemble).

    w_m = (1 / s_m) / sum_k (1 / s_k), with s_m the mean ``metric`` over the common origins
    (as in ``select_model``). Excluded models get no weight. If some model scored exactly 0,
    the weight is shared equally among those models.

    Args:
        result: a backtest result.
        metric: a loss column of ``per_origin``.
        months_known: restrict to origins with these months known.
    Returns:
        {model: weight}, weights in [0, 1] summing to 1, models in ranking order.
    """
    sel = select_model(result, metric, months_known)
    compared = sel.table.loc[sel.table["excluded"] == ""]
    scores = compared.set_index("model")["score"].astype(float)
    if (scores <= 0).any():
        zero = scores.index[scores <= 0]
        return {m: (1.0 / len(zero) if m in zero else 0.0) for m in scores.index}
    inv = 1.0 / scores
    return {m: float(v) for m, v in (inv / inv.sum()).items()}


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
        raise UsageError(f"--metric: {metric!r} cannot rank models; expected one of "
                         f"{', '.join(LOSS_METRICS)}")
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
