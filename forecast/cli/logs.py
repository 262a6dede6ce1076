"""Logging of the command line: one format for orecast's, MLflow's and dask's records.

What MLflow writes around the ``logging`` module goes through it too, or nowhere: its
artifact progress bars (``\\r`` redraws) are drawn only where orecast's own bars are (a
terminal at INFO); its event prints ("Successfully registered model ...", "Created version
...") become INFO records of the ``mlflow`` logger, shown only with ``-v`` (orecast logs
each registration itself); its "View run" links are kept off stdout, which carries only a
command's result lines.
"""

from __future__ import annotations

import importlib.abc
import importlib.machinery
import logging
import os
import sys
from collections.abc import Callable
from types import ModuleType

#: loggers of libraries kept at WARNING unless orecast itself logs at DEBUG
NOISY_LOGGERS = ("matplotlib", "PIL", "urllib3", "alembic", "mlflow", "distributed")

#: level when neither -v nor -q is given and ``ORECAST_LOG_LEVEL`` is unset or not a level
DEFAULT_LEVEL = logging.INFO

#: the names ``ORECAST_LOG_LEVEL`` accepts, most verbose first
LEVEL_NAMES = ("DEBUG", "INFO", "WARNING", "ERROR", "CRITICAL")

#: MLflow's module defining its event prints (``eprint``)
_MLFLOW_PRINTS = "mlflow.utils.logging_utils"


def env_level(value: str | None) -> tuple[int, str | None]:
    """The level named by ``ORECAST_LOG_LEVEL``, and a warning when it names none.

    Any other value (``BASIC_FORMAT``, ``verbose``, ``10``) falls back to INFO with a
    warning instead of stopping the command: a scheduled job keeps publishing, and its log
    says what to fix.

    Args:
        value: the variable's text (None or empty = unset); case and surrounding blanks are
            ignored.
    Returns:
        (a ``logging`` level, None) or (``DEFAULT_LEVEL``, the warning's text).
    """
    name = (value or "").strip().upper()
    if not name:
        return DEFAULT_LEVEL, None
    if name == "WARN":
        name = "WARNING"
    if name in LEVEL_NAMES:
        return getattr(logging, name), None
    return DEFAULT_LEVEL, (f"ORECAST_LOG_LEVEL={value!r} is not a level; expected one of "
                           f"{', '.join(LEVEL_NAMES)}; logging at INFO")


def configure_logging(*, verbose: bool = False, quiet: bool = False) -> None:
    """Log to stderr at DEBUG (``verbose``), WARNING (``quiet``) or ``ORECAST_LOG_LEVEL``
    (default INFO; a value that is no level name is logged as a warning, see
    ``env_level``), in one format; keep MLflow's prints and progress bars out of it."""
    # MLflow's own log format (and level) would otherwise sit beside ours: its records go
    # through the root logger, at the level set here.
    os.environ.setdefault("MLFLOW_CONFIGURE_LOGGING", "false")
    default, problem = env_level(os.environ.get("ORECAST_LOG_LEVEL"))
    level = logging.DEBUG if verbose else logging.WARNING if quiet else default
    logging.basicConfig(level=level, stream=sys.stderr,
                        format="%(asctime)s %(levelname)s %(name)s %(message)s")
    for handler in logging.getLogger().handlers:
        if not any(isinstance(f, OnceForData) for f in handler.filters):
            handler.addFilter(OnceForData())
    for noisy in NOISY_LOGGERS:
        logging.getLogger(noisy).setLevel(max(level, logging.WARNING))
    if problem and not (verbose or quiet):
        logging.getLogger("forecast.cli").warning(problem)
    quiet_mlflow(bars=sys.stderr.isatty() and level <= logging.INFO)


def quiet_mlflow(*, bars: bool) -> None:
    """Keep MLflow's writes that bypass ``logging`` out of stderr and stdout.

    Args:
        bars: allow MLflow's artifact progress bars (a terminal at INFO); otherwise they
            are switched off, unless ``MLFLOW_ENABLE_ARTIFACTS_PROGRESS_BAR`` is set.
    """
    if not bars:
        os.environ.setdefault("MLFLOW_ENABLE_ARTIFACTS_PROGRESS_BAR", "false")
    os.environ.setdefault("MLFLOW_SUPPRESS_PRINTING_URL_TO_STDOUT", "true")
    after_import(_MLFLOW_PRINTS, _silence_prints)


def _silence_prints(module: ModuleType) -> None:
    # eprint is MLflow's print to stderr around logging; its stream's own off switch
    # (disable_logging) is turned back on by MLflow's autologging guards, so the function
    # is replaced before any MLflow module imports it: its text becomes a record of the
    # ``mlflow`` logger (shown with -v, in orecast's format).
    log = logging.getLogger("mlflow")

    def eprint(*args: object, sep: str = " ", **_: object) -> None:
        log.info("%s", sep.join(map(str, args)).rstrip())

    original = module.eprint
    module.eprint = eprint
    # Modules that imported it before (when MLflow was loaded before the command line set
    # up its logging, as in a notebook or a test) hold their own reference.
    for name, loaded in list(sys.modules.items()):
        if name.startswith("mlflow.") and getattr(loaded, "eprint", None) is original:
            loaded.eprint = eprint


def after_import(name: str, then: Callable[[ModuleType], None]) -> None:
    """Call ``then(module)`` once module ``name`` is imported: now if it already is, else
    right after its first import. Importing MLflow costs over a second, which commands
    that never use it (``validate``, ``forecast``) should not pay."""
    module = sys.modules.get(name)
    if module is not None:
        then(module)
        return
    if not any(isinstance(f, _AfterImport) and f.name == name for f in sys.meta_path):
        sys.meta_path.insert(0, _AfterImport(name, then))


class _AfterImport(importlib.abc.MetaPathFinder):
    """Finds module ``name`` as the path finder does, and runs ``then`` after loading it."""

    def __init__(self, name: str, then: Callable[[ModuleType], None]) -> None:
        self.name, self.then = name, then

    def find_spec(self, fullname: str, path: object = None, target: object = None):  # noqa: ANN201
        if fullname != self.name:
            return None
        spec = importlib.machinery.PathFinder.find_spec(fullname, path)  # type: ignore[arg-type]
        if spec is None or spec.loader is None:
            return spec
        spec.loader = _ThenLoader(spec.loader, self.then)
        return spec


class _ThenLoader(importlib.abc.Loader):
    """A loader that runs the real one, then a callback on the loaded module."""

    def __init__(self, loader: importlib.abc.Loader, then: Callable[[ModuleType], None]) -> None:
        self.loader, self.then = loader, then

    def create_module(self, spec):  # noqa: ANN001, ANN201
        return self.loader.create_module(spec)

    def exec_module(self, module: ModuleType) -> None:
        self.loader.exec_module(module)
        self.then(module)

    def __getattr__(self, attr: str) -> object:
        # get_source, get_data, ...: tracebacks and resource readers ask the real loader.
        return getattr(self.loader, attr)


class OnceForData(logging.Filter):
    """Let each note about the data (``models.data`` INFO records) through once per process.

    A command reads the same figures more than once (the file, then the served model's
    ``periods`` param): a note says the same of each copy, only its ``<source>:`` prefix
    differs, so the prefix is left out of what makes two notes the same.
    """

    def __init__(self) -> None:
        super().__init__()
        self._seen: set[tuple[str, str]] = set()

    def filter(self, record: logging.LogRecord) -> bool:
        if record.levelno != logging.INFO or not record.name.startswith("models.data"):
            return True
        key = (record.name, record.getMessage().split(": ", 1)[-1])
        if key in self._seen:
            return False
        self._seen.add(key)
        return True


def show_progress() -> bool:
    """Progress bars when stderr is a terminal and the level is INFO or below (off with
    ``-q`` or a quieter ``ORECAST_LOG_LEVEL``): a log file or a scheduler's capture gets
    no carriage-return redraws."""
    return sys.stderr.isatty() and logging.getLogger().getEffectiveLevel() <= logging.INFO
