"""``orecast publish``: the monthly publishing job (see ``forecast.publish``).

Exit codes: 0 published, unchanged (already published with the same inputs) or dry run;
2 invalid or stale data, bad option, or other inputs already published for this as-of
without ``--force``; 3 model or tracking store unavailable (nothing written); 74 writing
failed (previous publication intact); 75 another publish is running in ROOT (retry).
"""

from __future__ import annotations

from datetime import date
from pathlib import Path

import typer

from forecast.cli.options import (
    MAX_PATHS,
    MAX_SEED,
    MIN_PATHS,
    DataFile,
    ModelUri,
    PeriodsFile,
    PriceDeckText,
    PricesFile,
)
from forecast.publish import DEFAULT_EXPERIMENT, DEFAULT_MODEL_URI, PublishRequest, publish
from forecast.publish.alerts import ALERT_EXIT_CODE, DEFAULT_ALERT_BELOW
from models.core.errors import UsageError


def _today(text: str | None) -> date | None:
    if not text:
        return None
    try:
        return date.fromisoformat(text)
    except ValueError:
        raise UsageError(f"--today: expected YYYY-MM-DD, got {text!r}") from None


def publish_command(
    out: Path = typer.Option(..., "--out", help="ROOT folder: writes ROOT/<year>/<as_of>/ and "
                             "the ROOT/latest link."),
    data: DataFile = None,
    guidance: Path | None = typer.Option(None, "--guidance", help="Guidance file (year, "
                                         "low, high, announced, metric: oz, aueq_oz or "
                                         "sales_usd)."),
    periods: PeriodsFile = None,
    model: ModelUri = DEFAULT_MODEL_URI,
    as_of: str | None = typer.Option(None, "--as-of", help="Last known month, YYYY-MM "
                                     "(default: the last month with a figure)."),
    force: bool = typer.Option(False, "--force", help="Supersede a publication of this as-of "
                               "made from other inputs (the old folder is kept, renamed .superseded-TIME)."),
    dry_run: bool = typer.Option(False, "--dry-run", help="Forecast and say what would be "
                                 "published; write nothing."),
    max_staleness_days: int | None = typer.Option(
        None, "--max-staleness-days", min=0, help="Refuse data whose last month ended more "
        "than N days ago (default: no check)."),
    n_paths: int = typer.Option(4000, "--n-paths", min=MIN_PATHS,
                                max=MAX_PATHS, help="Simulated paths."),
    seed: int = typer.Option(0, "--seed", min=0, max=MAX_SEED, help="Random seed."),
    tracking_uri: str | None = typer.Option(None, "--tracking-uri", help="MLflow tracking URI "
                                            "(default MLFLOW_TRACKING_URI or sqlite:///mlflow.db)."),
    experiment: str | None = typer.Option(None, "--experiment",
                                          help=f"MLflow experiment of the publication runs "
                                          f"(default {DEFAULT_EXPERIMENT}; under mlflow run, "
                                          f"the project run's experiment unless it is "
                                          f"Default)."),
    alert_below: float = typer.Option(DEFAULT_ALERT_BELOW, "--alert-below", min=0.0, max=1.0,
                                      help="Alert when the chance of reaching the guidance "
                                      "low end is under this."),
    fail_on_alert: bool = typer.Option(False, "--fail-on-alert", help=f"Exit "
                                       f"{ALERT_EXIT_CODE} after publishing when an alert "
                                       f"fired (annual.json alerts)."),
    prices: PricesFile = None,
    price_deck: PriceDeckText = None,
    today: str | None = typer.Option(None, "--today", hidden=True,
                                     help="Date staleness is measured against (YYYY-MM-DD)."),
) -> None:
    """Publish the forecast of an as-of month atomically, once, with a report and an MLflow run.

    Exit codes:

    0 published, unchanged (same inputs already published) or dry run
    2 bad or stale data, a bad option, or other inputs published (no --force)
    3 model or tracking store unavailable; nothing written
    74 writing failed; the previous publication is intact
    75 another publish is running in ROOT; retry
    10 published (or unchanged), and an alert fired (with --fail-on-alert)
    """
    req = PublishRequest(out=out, data=data if data is not None and str(data) not in ("", ".")
                         else None, guidance=guidance, periods=periods, model_uri=model,
                         as_of=as_of or None,
                         force=force, dry_run=dry_run, max_staleness_days=max_staleness_days,
                         today=_today(today), n_paths=n_paths, seed=seed,
                         tracking_uri=tracking_uri or None, experiment=experiment,
                         alert_below=alert_below, prices=prices, price_deck=price_deck)
    result = publish(req)
    typer.echo(result.sentence)
    if result.status == "unchanged":
        typer.echo(f"unchanged: {result.path} already holds this publication (same data, "
                   f"model and as-of); nothing written")
    elif result.status == "dry-run":
        doing = {"publish": f"publish {result.path}",
                 "unchanged": f"leave {result.path} unchanged (it holds this publication)",
                 "supersede": f"supersede {result.path} (--force)",
                 "refuse": f"refuse: {'; '.join(result.notes)}"}[result.would or "publish"]
        typer.echo(f"dry run: would {doing}; nothing written")
    else:
        typer.echo(f"published: {result.path} (run {result.run_id})")
        if result.superseded is not None:
            typer.echo(f"superseded: previous publication kept as {result.superseded}")
    alerts = result.annual.get("alerts") or []
    for alert in alerts:
        typer.echo(f"alert: {alert['message']}")
    if fail_on_alert and alerts and result.status != "dry-run":
        raise typer.Exit(code=ALERT_EXIT_CODE)
