"""The ``orecast`` command line: the typer ``app`` (forecast/cli/app.py), one thin module
per command (``cmd_*.py``), logging (logs.py). ``main`` returns an exit code, ``run`` exits
with it (the console script)."""

from forecast.cli.app import EXIT_CODES, MAX_PROBLEMS_SHOWN, app, exit_code, main, run

__all__ = ["EXIT_CODES", "MAX_PROBLEMS_SHOWN", "app", "exit_code", "main", "run"]
