"""A publication's alerts, for whoever reads ``annual.json`` and for the scheduler.

Two conditions, each computed from the publication's own forecast and the publications
already on disk (no server): the chance of reaching the guidance low end is under a
threshold; the month just published fell outside the 80% interval (p10-p90) the previous
publication of the same year gave it. ``orecast publish --fail-on-alert`` exits
``ALERT_EXIT_CODE`` after publishing when any fires.
"""

from __future__ import annotations

import logging
from pathlib import Path
from typing import Any

import pandas as pd

from forecast.numbers import oz, pct, usd

log = logging.getLogger(__name__)

#: exit code of ``orecast publish --fail-on-alert`` when an alert fired (after publishing)
ALERT_EXIT_CODE = 10
#: default threshold of P(reaching the guidance low end) below which an alert fires
DEFAULT_ALERT_BELOW = 0.5


def guidance_alert(annual: dict[str, Any], below: float) -> dict[str, Any] | None:
    """The alert when P(year total >= guidance low end) < ``below``; None otherwise or
    without guidance.

    When the guidance in force is in sales (``guidance_metric`` ``sales_usd``), the odds
    are those of the ``sales_usd`` block (USD).

    Args:
        annual: the ``annual.json`` record (``prob_below_low``, ``guidance_low`` in oz).
        below: threshold probability in [0, 1].
    """
    sales = annual.get("sales_usd")
    if annual.get("guidance_metric") == "sales_usd" and sales \
            and sales.get("prob_below_low") is not None:
        reach = round(1.0 - float(sales["prob_below_low"]), 12)
        if reach >= below:
            return None
        return {"kind": "sales_guidance_low_at_risk", "prob_reach_low": reach,
                "threshold": below, "guidance_low_usd": float(sales["guidance_low"]),
                "message": f"the chance of reaching the sales guidance low end of "
                           f"{usd(sales['guidance_low'])} is {pct(reach)}, under "
                           f"{pct(below)}"}
    if annual.get("prob_below_low") is None or annual.get("guidance_low") is None:
        return None
    reach = round(1.0 - float(annual["prob_below_low"]), 12)  # no 0.0224999...96 in JSON
    if reach >= below:
        return None
    return {"kind": "guidance_low_at_risk", "prob_reach_low": reach, "threshold": below,
            "guidance_low_oz": float(annual["guidance_low"]),
            "message": f"the chance of reaching the guidance low end of "
                       f"{oz(annual['guidance_low'])} oz is {pct(reach)}, under "
                       f"{pct(below)}"}


def month_alert(monthly: pd.DataFrame, as_of: str,
                previous: Path | None) -> dict[str, Any] | None:
    """The alert when the as-of month's own figure (oz) lies outside the p10-p90 the previous
    publication of the year forecast for it; None when there is no such publication, the
    month has no figure of its own, or it was inside.

    Args:
        monthly: the publication's ``monthly.csv`` frame (``month, kind, mean, p10, p50,
            p90``, oz).
        as_of: its as-of month, ``YYYY-MM``.
        previous: the previous publication of the year
            (``forecast.publish.track_record.previous_publication``), or None.
    """
    month = as_of
    actual = monthly.loc[(monthly["month"] == month) & (monthly["kind"] == "actual"), "mean"]
    if actual.empty or previous is None:
        return None
    before = pd.read_csv(previous / "monthly.csv", dtype={"month": str})
    row = before.loc[(before["month"] == month) & (before["kind"] == "forecast")]
    if row.empty:
        return None
    value, p10, p90 = float(actual.iloc[0]), float(row["p10"].iloc[0]), float(row["p90"].iloc[0])
    if p10 <= value <= p90:
        return None
    side = "below" if value < p10 else "above"
    return {"kind": "month_outside_previous_80", "month": month, "actual_oz": value,
            "previous_as_of": previous.name, "previous_p10": p10, "previous_p90": p90,
            "message": f"{month} came in at {oz(value)} oz, {side} the 80% interval "
                       f"{oz(p10)}-{oz(p90)} oz published as of {previous.name}"}


def publication_alerts(annual: dict[str, Any], monthly: pd.DataFrame, previous: Path | None,
                       below: float = DEFAULT_ALERT_BELOW) -> list[dict[str, Any]]:
    """Every alert of a publication, in a fixed order (guidance, then the month).

    Args:
        annual: the ``annual.json`` record (oz, probabilities).
        monthly: the publication's ``monthly.csv`` frame.
        previous: the previous publication of the same year, or None.
        below: threshold of P(reaching the guidance low end).
    Returns:
        list of dicts with ``kind``, ``message`` and the figures behind it (oz,
        probabilities); empty when nothing fired.
    """
    return [a for a in (guidance_alert(annual, below), month_alert(monthly, str(annual["as_of"]), previous)) if a]


def log_alerts(alerts: list[dict[str, Any]]) -> None:
    """One WARNING line per alert: called once the publication is in place (or found
    unchanged), so a run that publishes nothing raises none."""
    for alert in alerts:
        log.warning("alert %s: %s", alert["kind"], alert["message"])
