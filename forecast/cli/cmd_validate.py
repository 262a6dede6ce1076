"""``orecast validate``: check a production history and print its coverage."""

from __future__ import annotations

from pathlib import Path

import typer

from forecast.validate import validate_any, validate_file


def validate_cmd(
    file: Path | None = typer.Argument(None, help="A production history, period totals, "
                                       "guidance or gold price file (CSV or Parquet), told "
                                       "apart by its header; default: the embedded Dynacor "
                                       "dataset."),
    periods: Path | None = typer.Option(None, "--periods", help="Also a period totals "
                                        "file."),
    guidance: Path | None = typer.Option(None, "--guidance", help="Also a guidance file."),
    prices: Path | None = typer.Option(None, "--prices", help="Also a gold price file."),
) -> None:
    """Validate files; print what each covers (exit 0) or the errors (exit 2)."""
    given = [(p, k) for p, k in ((periods, "periods"), (guidance, "guidance"),
                                  (prices, "prices")) if p is not None]
    if file is not None or not given:
        typer.echo(validate_file(None) if file is None else validate_any(str(file)))
    for path, kind in given:
        typer.echo(validate_any(str(path), kind))
