"""The one exception family of orecast, with the exit codes the CLI maps them to."""

from __future__ import annotations


class OrecastError(Exception):
    """Base of every error orecast raises on purpose. Exit code 1 unless a subclass says."""

    exit_code: int = 1


class DataValidationError(OrecastError):
    """Bad input data. Carries every problem found, each a one-line `file:row: field: expected`.

    Args:
        problems: one string per problem, already formatted as
            ``<file>:<row>: <field>: <what was expected>``.
    """

    exit_code = 2

    def __init__(self, problems: list[str] | str):
        if isinstance(problems, str):
            problems = [problems]
        self.problems: list[str] = list(problems)
        super().__init__(self.problems[0] if len(self.problems) == 1 else
                         f"{self.problems[0]} (+{len(self.problems) - 1} more problems)")


class UsageError(OrecastError):
    """A command-line argument that cannot be honoured (exit 2)."""

    exit_code = 2


class ModelDeclined(OrecastError):
    """A model cannot be fitted to this history (missing columns, gaps, too short).

    The pipeline catches it, logs the reason and skips the model; it is never silent.
    """

    exit_code = 2


class ModelUnavailableError(OrecastError):
    """A registered model cannot be loaded (missing or corrupted artifact) (exit 3)."""

    exit_code = 3


class TrackingUnavailableError(OrecastError):
    """The MLflow tracking server or artifact store cannot be reached (exit 3)."""

    exit_code = 3


class OutputWriteError(OrecastError):
    """Writing an output failed (disk full, permissions); what was there before is intact.

    Exit 74 (``EX_IOERR``): worth a retry once space is freed.
    """

    exit_code = 74


class PublishConflictError(OrecastError):
    """A publication exists for this as-of with other inputs, or another publish holds the lock."""

    exit_code = 2
