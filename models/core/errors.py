"""The one exception family of orecast: what went wrong, as facts.

The command line gives each class its exit code (forecast/cli/app.py); nothing here knows it.
"""

from __future__ import annotations


class OrecastError(Exception):
    """Base of every error orecast raises on purpose."""


class DataValidationError(OrecastError):
    """Bad input data. Carries every problem found, each a one-line `file:row: field: expected`.

    Args:
        problems: one string per problem, already formatted as
            ``<file>:<row>: <field>: <what was expected>``.
    """

    def __init__(self, problems: list[str] | str):
        if isinstance(problems, str):
            problems = [problems]
        self.problems: list[str] = list(problems)
        super().__init__(self.problems[0] if len(self.problems) == 1 else
                         f"{self.problems[0]} (+{len(self.problems) - 1} more problems)")


class UsageError(OrecastError):
    """A value given for a parameter that cannot be honoured.

    Args:
        message: what is wrong and what was expected.
        option: the parameter's name (``as_of``, ``model``) when the error is about one; the
            command line shows it as its flag (``--as-of``), the Python API as it is.
    """

    def __init__(self, message: str, option: str | None = None):
        self.message = message
        self.option = option
        super().__init__(f"{option}: {message}" if option else message)


class ModelDeclined(OrecastError):
    """A model cannot be fitted to this history (missing columns, gaps, too short).

    The pipeline catches it, logs the reason and skips the model; it is never silent.
    """


class ModelUnavailableError(OrecastError):
    """A registered model cannot be loaded (missing or corrupted artifact)."""


class TrackingUnavailableError(OrecastError):
    """The MLflow tracking server or artifact store cannot be reached."""


class OutputLockedError(OrecastError):
    """Another process is writing the same output right now; nothing was written (retry
    when it ends)."""


class OutputWriteError(OrecastError):
    """Writing an output failed (disk full, permissions); what was there before is intact."""


class PublishConflictError(OrecastError):
    """A publication exists for this as-of with other inputs, or another publish holds the lock."""
