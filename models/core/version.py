"""The installed orecast version: one answer for outputs, MLflow tags and served models."""

from __future__ import annotations

from importlib.metadata import PackageNotFoundError, version


def orecast_version() -> str:
    """Version of the installed orecast distribution, ``0+unknown`` when it is not installed
    as a distribution (a bare source tree on ``sys.path``)."""
    try:
        return version("orecast")
    except PackageNotFoundError:
        return "0+unknown"
