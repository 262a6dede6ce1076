"""What a publication is asked for (``PublishRequest``), what it ends as (``PublishResult``),
and the checks on its inputs made before anything is written (staleness)."""

from __future__ import annotations

import os
from dataclasses import dataclass, field
from datetime import date
from pathlib import Path
from typing import Any

from forecast.publish.alerts import DEFAULT_ALERT_BELOW
from models.core.errors import DataValidationError, OutputWriteError, UsageError

DEFAULT_MODEL_URI = "models:/orecast@champion"
DEFAULT_EXPERIMENT = "orecast-publish"
FORMAT = "orecast-publication/1"


class StaleDataError(DataValidationError):
    """The last month with a figure is older than the allowed staleness (exit 2)."""


class PublishIOError(OutputWriteError):
    """Writing the publication failed (disk full, permissions); the previous one is intact."""


@dataclass(frozen=True)
class PublishRequest:
    """What to publish and where.

    Attributes:
        out: ROOT folder of the publications.
        data: production history file (None = the embedded Dynacor dataset).
        guidance: guidance file (None = the dataset's own guidance, if any).
        periods: period totals file (None = the embedded dataset's own with the embedded
            data, none with a data file).
        model_uri: ``models:/<name>@<alias>``, ``models:/<name>/<version>`` or any URI
            ``mlflow.pyfunc.load_model`` reads.
        as_of: ``YYYY-MM`` or None (the last month with a figure).
        force: replace a publication of this as-of made from other inputs.
        dry_run: compute and report what would happen; write nothing, log no run.
        max_staleness_days: refuse data whose last month ended more than this many days
            before ``today`` (None = no check).
        today: the date staleness is measured against (None = today, or ``ORECAST_TODAY``).
        n_paths, seed: simulation size and seed (part of the idempotency key).
        tracking_uri: MLflow tracking URI (None = ``MLFLOW_TRACKING_URI`` or the default).
        alert_below: an alert fires when P(reaching the guidance low end) is under this
            (``forecast.publish.alerts``).
        experiment: MLflow experiment of the publication runs (None = orecast-publish, or
            the `mlflow run` project run's own experiment unless it is "Default").
        prices: gold price history file (None = the embedded World Bank series).
        price_deck: planning price for the months after as-of (USD/oz or a file), or None.
    """

    out: Path
    data: Path | None = None
    guidance: Path | None = None
    periods: Path | None = None
    model_uri: str = DEFAULT_MODEL_URI
    as_of: str | None = None
    force: bool = False
    dry_run: bool = False
    max_staleness_days: int | None = None
    today: date | None = None
    n_paths: int = 4000
    seed: int = 0
    tracking_uri: str | None = None
    experiment: str | None = None
    alert_below: float = DEFAULT_ALERT_BELOW
    prices: Path | None = None
    price_deck: str | None = None


@dataclass
class PublishResult:
    """Outcome of ``publish``.

    Attributes:
        status: ``published``, ``unchanged`` (same key already published), ``dry-run``.
        path: the publication folder ``ROOT/<year>/<as_of>``.
        as_of, year: the month and target year.
        annual: the ``annual.json`` record (oz, probabilities).
        sentence: the report's opening sentence.
        key_sha256: digest of the idempotency key.
        run_id: the MLflow publication run (None unless published).
        superseded: where the replaced publication was kept (force only).
        would: for a dry run, what a real run would do (``publish``, ``unchanged``,
            ``refuse``, ``supersede``).
    """

    status: str
    path: Path
    as_of: str
    year: int
    annual: dict[str, Any]
    sentence: str
    key_sha256: str
    run_id: str | None = None
    superseded: Path | None = None
    would: str | None = None
    notes: list[str] = field(default_factory=list)


def resolve_today(today: date | None = None) -> date:
    """``today``, else ``ORECAST_TODAY`` (YYYY-MM-DD), else the local date."""
    if today is not None:
        return today
    env = os.environ.get("ORECAST_TODAY")
    if env:
        try:
            return date.fromisoformat(env)
        except ValueError:
            raise UsageError(f"ORECAST_TODAY: expected YYYY-MM-DD, got {env!r}") from None
    return date.today()


def check_staleness(history: Any, max_days: int | None, today: date,
                    periods: Any = None) -> int:
    """Days from the end of the last month with a figure to ``today``; raise if over ``max_days``.

    A month's figure is taken as known at the end of that month (its last day); for a
    quarterly reporter, the last month its published totals cover.

    Raises:
        StaleDataError: ``(today - last day of last month).days > max_days``, or the last
            month starts after ``today`` (exit 2).
    """
    from models.data.inputs import last_reported_month

    last = last_reported_month(history, periods)
    age = (today - last.end_time.date()).days
    if last.start_time.date() > today:
        # a figure for a month that has not begun is a typo (a year) or a clock gone wrong:
        # publishing it would forecast a year from output that cannot exist yet
        raise StaleDataError(
            f"{history.attrs.get('source', '<data>')}: month: {last} has a figure but starts "
            f"after today ({today}); expected no month after the current one")
    if max_days is not None and age > max_days:
        raise StaleDataError(
            f"{history.attrs.get('source', '<data>')}: gold_oz: last month with a figure is "
            f"{last} ({age} days old on {today}); expected at most {max_days} days "
            f"(--max-staleness-days)")
    return age
