"""Fitting a statsmodels model through a ladder of fallbacks, with every step logged."""

from __future__ import annotations

import logging
from collections.abc import Callable, Sequence
from typing import Any, TypeVar

import numpy as np

from models.core.errors import ModelDeclined

log = logging.getLogger(__name__)

A = TypeVar("A")


def first_converged(model: str, attempts: Sequence[A], fit: Callable[[A], Any],
                    label: Callable[[A], str]) -> tuple[Any, A]:
    """Fit ``attempts`` in order; return the first converged fit (or the last usable one).

    A fit that raises, or gives non-finite parameters, is skipped; a non-converged one is
    kept only if no later attempt converges. Each outcome is logged under ``model``.

    Args:
        model: zoo name, for log lines and the decline message.
        attempts: specifications to try, best first (e.g. L-BFGS, then Powell, then simpler).
        fit: fits one attempt, returns a statsmodels results object.
        label: readable name of an attempt.
    Returns:
        (results, attempt).
    Raises:
        ModelDeclined: no attempt gave a usable fit.
    """
    chosen = None
    for attempt in attempts:
        name = label(attempt)
        try:
            res = fit(attempt)
        except (np.linalg.LinAlgError, ValueError) as exc:
            log.warning("%s: %s failed (%s)", model, name, exc)
            continue
        if not np.all(np.isfinite(res.params)):
            log.info("%s: %s gave non-finite parameters", model, name)
            continue
        chosen = (res, attempt)
        if res.mle_retvals.get("converged", True):
            break
        log.info("%s: %s did not converge", model, name)
    if chosen is None:
        raise ModelDeclined(f"{model}: no specification could be fitted to this history")
    res, attempt = chosen
    if not res.mle_retvals.get("converged", True):
        log.warning("%s: keeping the non-converged %s fit", model, label(attempt))
    return chosen
