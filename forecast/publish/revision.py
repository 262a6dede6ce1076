"""Why the forecast moved: the change in the annual P50 since the previous publication of
the same year, split into parts that add up to it exactly.

Against the previous publication (ROOT/<year>/<earlier as-of>, read from its own files):

- ``new_actuals``: each month that became known since, its figure minus the P50 the
  previous publication gave it (its monthly.csv);
- ``revisions``: months the previous publication showed as actual whose figure changed in
  the data since (each also logged as a warning naming the month, the old and new value);
- ``model_version``: the P50 of the current model minus that of the previous one, both run
  on today's data at today's as-of with the same paths and seed (0 when the version is
  the same);
- ``re_estimation``: the rest, what re-fitting on the new data moved.

All in oz to 0.1, as annual.json publishes the P50; the rest is computed last, so the
parts add up to the published change exactly. Only the target year's months are compared
(what a publication's monthly.csv holds).
"""

from __future__ import annotations

import json
import logging
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pandas as pd

from forecast.numbers import oz

log = logging.getLogger(__name__)

#: the parts, in the order the waterfall draws them
PARTS = ("new_actuals", "revisions", "model_version", "re_estimation")


def _r(x: float) -> float:
    return round(float(x), 1)


def revision(previous: Path | None, annual: dict[str, Any], monthly: pd.DataFrame,
             model_version: str | None,
             previous_model_p50: Callable[[str], float | None]) -> dict[str, Any] | None:
    """The ``revision`` block of annual.json, or None without a previous publication.

    Args:
        previous: the previous publication folder of the same year, or None.
        annual: the current ``annual.json`` record (``p50`` oz, ``as_of``).
        monthly: the current ``monthly.csv`` frame (``month, kind, mean, p10, p50, p90``).
        model_version: the current model's version (or spec label).
        previous_model_p50: given the previous publication's model URI, the P50 (oz) that
            model gives on today's data and as-of; None when it cannot be loaded.
    Returns:
        dict: ``previous_as_of, previous_p50, p50, change`` and the ``PARTS`` (oz, summing
        to ``change``), ``revised_months`` ([{month, old_oz, new_oz}]), the two model
        versions (``previous_version``, ``version``), and ``model_part`` (``compared`` / ``same version`` / ``previous model
        unavailable``: then its effect is in ``re_estimation``).
    """
    if previous is None:
        return None
    before = json.loads((previous / "annual.json").read_text())
    manifest = json.loads((previous / "manifest.json").read_text())
    old = pd.read_csv(previous / "monthly.csv", dtype={"month": str}).set_index("month")
    new = monthly.set_index("month")
    was_forecast = old.index[old["kind"] == "forecast"]
    was_actual = old.index[old["kind"] == "actual"]
    now_actual = new.index[new["kind"] == "actual"]

    arrived = [m for m in now_actual if m in was_forecast]
    new_actuals = sum(float(new.at[m, "mean"]) - float(old.at[m, "p50"]) for m in arrived)
    revised = [{"month": m, "old_oz": float(old.at[m, "mean"]), "new_oz": float(new.at[m, "mean"])}
               for m in was_actual if m in now_actual
               and float(new.at[m, "mean"]) != float(old.at[m, "mean"])]
    for r in revised:
        log.warning("revised: %s was %s oz in the publication as of %s, now %s oz",
                    r["month"], oz(r["old_oz"]), before["as_of"], oz(r["new_oz"]))
    revisions = sum(r["new_oz"] - r["old_oz"] for r in revised)

    old_version = manifest.get("model", {}).get("version") or manifest.get("model", {}).get("spec")
    model_part, status = 0.0, "same version"
    if str(old_version) != str(model_version):
        p50 = previous_model_p50(manifest["model"]["loaded"])
        if p50 is None:
            status = "previous model unavailable"
        else:
            model_part, status = float(annual["p50"]) - p50, "compared"
    change = _r(float(annual["p50"]) - float(before["p50"]))
    parts = {"new_actuals": _r(new_actuals), "revisions": _r(revisions),
             "model_version": _r(model_part)}
    parts["re_estimation"] = _r(change - sum(parts.values()))
    return {"previous_as_of": before["as_of"], "previous_p50": float(before["p50"]),
            "p50": float(annual["p50"]), "change": change, **parts,
            "revised_months": revised, "previous_version": old_version,
            "version": model_version, "model_part": status}
