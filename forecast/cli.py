"""The ``orecast`` command line: one typer app, commands registered from their own modules.

Errors of the OrecastError family become one line on stderr and an exit code (2 bad input,
3 model or tracking unavailable); anything else is a bug and keeps its traceback (exit 1).
"""

from __future__ import annotations

import logging
import os
import sys

import typer

from models.core.errors import DataValidationError, OrecastError

#: problems printed for one bad file before the rest are counted
MAX_PROBLEMS_SHOWN = 50

app = typer.Typer(
    name="orecast",
    help="Forecast gold production: the rest of the year, its total and the odds of guidance.",
    no_args_is_help=True,
    add_completion=False,
    pretty_exceptions_enable=False,
)


def _version(show: bool) -> None:
    if show:
        from forecast.outputs import orecast_version

        typer.echo(f"orecast {orecast_version()}")
        raise typer.Exit(0)


@app.callback()
def _root(verbose: bool = typer.Option(False, "--verbose", "-v", help="Debug logging."),
          quiet: bool = typer.Option(False, "--quiet", "-q", help="Warnings and errors only."),
          version: bool = typer.Option(False, "--version", callback=_version, is_eager=True,
                                       help="Print the version and exit.")) -> None:
    # MLflow's own log format (and level) would otherwise sit beside ours: its records go
    # through the root logger, at the level set here.
    os.environ.setdefault("MLFLOW_CONFIGURE_LOGGING", "false")
    default = os.environ.get("ORECAST_LOG_LEVEL", "INFO").upper()
    level = (logging.DEBUG if verbose else logging.WARNING if quiet
             else getattr(logging, default, logging.INFO))
    logging.basicConfig(level=level, stream=sys.stderr,
                        format="%(asctime)s %(levelname)s %(name)s %(message)s")
    for noisy in ("matplotlib", "PIL", "urllib3", "alembic", "mlflow", "distributed"):
        logging.getLogger(noisy).setLevel(max(level, logging.WARNING))


def show_progress() -> bool:
    """Progress bars at the INFO level and below, off with ``-q`` or a quieter
    ``ORECAST_LOG_LEVEL``."""
    return logging.getLogger().getEffectiveLevel() <= logging.INFO


def _register_commands() -> None:
    # Each command lives in its own module; importing it registers it on ``app``.
    import importlib

    for module in ("forecast.cmd_forecast", "forecast.cmd_validate", "forecast.cmd_backtest",
                   "forecast.cmd_train", "forecast.cmd_publish", "forecast.cmd_bulk"):
        try:
            importlib.import_module(module)
        except ModuleNotFoundError as exc:
            if exc.name != module:
                raise


_register_commands()


def report_error(exc: OrecastError) -> int:
    """Print an OrecastError as one line per problem on stderr; return its exit code."""
    problems = exc.problems if isinstance(exc, DataValidationError) else [str(exc)]
    for p in problems[:MAX_PROBLEMS_SHOWN]:
        print(f"error: {p}", file=sys.stderr)
    if len(problems) > MAX_PROBLEMS_SHOWN:
        # A file with a million bad rows must not print a million lines.
        print(f"error: ... and {len(problems) - MAX_PROBLEMS_SHOWN} more problems "
              f"({len(problems)} in all)", file=sys.stderr)
    return exc.exit_code


def main(argv: list[str] | None = None) -> int:
    """Entry point of the ``orecast`` console script; returns the process exit code."""
    try:
        # In non-standalone mode click returns typer.Exit codes instead of raising them.
        rv = app(args=argv, standalone_mode=False)
    except OrecastError as exc:
        return report_error(exc)
    except typer.Exit as exc:
        return exc.exit_code
    except typer.Abort:
        print("error: aborted", file=sys.stderr)
        return 130
    except typer.TyperException as exc:
        # Usage errors (unknown option, missing value, out of range): one line, exit 2.
        message = getattr(exc, "format_message", None)
        if message is None:
            raise
        command = getattr(getattr(exc, "ctx", None), "command_path", "orecast")
        print(f"error: {' '.join(message().split())} (see {command} --help)", file=sys.stderr)
        return int(getattr(exc, "exit_code", 2))
    return rv if isinstance(rv, int) else 0


def run() -> None:
    """Console-script entry point: run ``main`` and exit with its code."""
    sys.exit(main())


if __name__ == "__main__":
    # Run as a script the module is ``__main__``: commands are registered on the imported
    # ``forecast.cli``, so use that one.
    from forecast.cli import run as _run

    _run()
