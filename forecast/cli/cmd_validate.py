"""``orecast validate``: check a production history and print its coverage."""

from __future__ import annotations

from pathlib import Path

import typer

from forecast.validate import validate_file


def validate_cmd(
    file: Path | None = typer.Argument(None, help="Production history (CSV or Parquet); "
                                       "default: the embedded Dynacor dataset."),
) -> None:
    """Validate FILE; print months, gaps and complete years (exit 0) or the errors (exit 2)."""
    typer.echo(validate_file(None if file is None else str(file)))
