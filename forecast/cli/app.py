"""The ``orecast`` typer app: its commands, registered here one by one, and how errors end.

Errors of the OrecastError family become one line on stderr and the exit code
``EXIT_CODES`` gives their class (2 bad input, 3 model or tracking unavailable, 74 an output
that cannot be written, 75 another publish holds the lock); anything else is a bug and
keeps its traceback (exit 1). Two outcomes that are not errors have codes of their own,
set by their command after everything is written: 4 (bulk: some series fell back) and 10
(publish --fail-on-alert: an alert fired).
"""

from __future__ import annotations

import functools
import sys
from collections.abc import Callable
from typing import Any

import typer

from forecast.cli import (
    cmd_backtest,
    cmd_bulk,
    cmd_forecast,
    cmd_guidance,
    cmd_publish,
    cmd_train,
    cmd_validate,
)
from forecast.cli.logs import configure_logging
from forecast.files import check_output_target
from forecast.publish.placing import PublishLockedError
from models.core.errors import (
    DataValidationError,
    ModelDeclined,
    ModelUnavailableError,
    OrecastError,
    OutputLockedError,
    OutputWriteError,
    PublishConflictError,
    TrackingUnavailableError,
    UsageError,
)
from models.core.version import orecast_version
from models.data.input_file import forget_inputs

#: problems printed for one bad file before the rest are counted
MAX_PROBLEMS_SHOWN = 50

#: exit code of each error class; an error takes the code of its nearest listed class
EXIT_CODES: dict[type[OrecastError], int] = {
    DataValidationError: 2,
    UsageError: 2,
    ModelDeclined: 2,
    PublishConflictError: 2,
    ModelUnavailableError: 3,
    TrackingUnavailableError: 3,
    OutputWriteError: 74,   # EX_IOERR: worth a retry once space is freed
    PublishLockedError: 75,  # EX_TEMPFAIL: another publish is running; retry
    OutputLockedError: 75,  # another job writes the same output folder; retry
}

app = typer.Typer(
    name="orecast",
    help="Forecast gold production: the rest of the year, its total and the odds of guidance.",
    no_args_is_help=True,
    add_completion=False,
    pretty_exceptions_enable=False,
)


def _version(show: bool) -> None:
    if show:
        typer.echo(f"orecast {orecast_version()}")
        raise typer.Exit(0)


@app.callback()
def _root(verbose: bool = typer.Option(False, "--verbose", "-v", help="Debug logging."),
          quiet: bool = typer.Option(False, "--quiet", "-q", help="Warnings and errors only."),
          version: bool = typer.Option(False, "--version", callback=_version, is_eager=True,
                                       help="Print the version and exit.")) -> None:
    configure_logging(verbose=verbose, quiet=quiet)
    # A new command: the files an earlier one read (in this process) are not its inputs.
    forget_inputs()


def _output_checked_first(command: Callable[..., Any], option: str, *,
                          folder: bool = True) -> Callable[..., Any]:
    """``command`` with its output ``option`` checked before it reads or computes anything
    (``forecast.files.check_output_target``): a name the system could never create is one
    line and exit 2 at once, not an error after minutes of work."""

    @functools.wraps(command)  # typer reads the options from the wrapped signature
    def checked(**kwargs: Any) -> Any:
        check_output_target(kwargs[option], option, folder=folder)
        return command(**kwargs)

    return checked


app.command("forecast")(_output_checked_first(cmd_forecast.forecast_cmd, "out"))
app.command("validate")(cmd_validate.validate_cmd)
app.command("backtest")(_output_checked_first(cmd_backtest.backtest_cmd, "out"))
app.command("train")(cmd_train.train_command)
app.command("promote")(cmd_train.promote_command)
app.command("publish")(_output_checked_first(cmd_publish.publish_command, "out",
                                             folder=False))
app.command("bulk")(_output_checked_first(cmd_bulk.bulk, "output", folder=False))
app.command("guidance")(_output_checked_first(cmd_guidance.guidance_command, "out"))


def exit_code(exc: OrecastError) -> int:
    """The exit code of an orecast error: that of its nearest class in ``EXIT_CODES``, else 1."""
    for cls in type(exc).__mro__:
        if cls in EXIT_CODES:
            return EXIT_CODES[cls]
    return 1


def report_error(exc: OrecastError) -> int:
    """Print an OrecastError as one line per problem on stderr; return its exit code."""
    problems = exc.problems if isinstance(exc, DataValidationError) else [str(exc)]
    if isinstance(exc, UsageError) and exc.option:
        # The library names the parameter; the command line names its flag.
        problems = [f"--{exc.option.replace('_', '-')}: {exc.message}"]
    for p in problems[:MAX_PROBLEMS_SHOWN]:
        print(f"error: {p}", file=sys.stderr)
    if len(problems) > MAX_PROBLEMS_SHOWN:
        # A file with a million bad rows must not print a million lines.
        print(f"error: ... and {len(problems) - MAX_PROBLEMS_SHOWN} more problems "
              f"({len(problems)} in all)", file=sys.stderr)
    return exit_code(exc)


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
