"""The model contract (``ForecastModel``, docs/conventions.md), checked for every zoo member.

Each test is parametrised over ``model_names()``, so a model added to the zoo is held to the
same rules without a line here: scikit-learn style parameters, ``fit`` returning ``self``,
seeded sample paths of shape (n_paths, horizon) in non-negative finite ounces, fitted models
independent of their clones, declines that say why, and no paths before a fit.

Histories: one synthetic plant (``plant_history``, built on ``series.gold_frame``) that every
member accepts -- gap-free, four years of months (``gbm`` needs 36), the ore columns the
exogenous members require (``sarimax``: purchased tonnes, ``metallurgical``: milled tonnes,
with head grade, recovery and capacity so that it runs its grade x recovery mode on the
rated capacity, as on the simulated plant), an as-of month that is neither December
(``share_runrate`` forecasts before January only from 3 past years) nor a quarter end (no
quarterly fallback in ``fit_model``), and a horizon crossing into the next year. Declines use variants of it built from each model's capabilities, and the embedded
Dynacor months (real figures without ore tonnes) for the exogenous members.
"""

from __future__ import annotations

import inspect

import numpy as np
import pandas as pd
import pytest

from models.core.base import ForecastModel
from models.core.columns import GRAMS_PER_TROY_OZ, TARGET
from models.core.errors import ModelDeclined
from models.core.pipeline import fit_model
from models.zoo import make_model, model_class, model_names
from tests.models.series import gold_frame

NAMES = model_names()
HORIZON = 6
N_PATHS = 50
#: last month of the standard history: not a quarter end, not December
END = "2014-08"
#: zoo members whose paths do not depend on the seed (none so far)
DETERMINISTIC: frozenset[str] = frozenset()


def plant_history(months: int = 48, seed: int = 0, end: str = END,
                  scale: float = 1.0) -> pd.DataFrame:
    """A synthetic plant: ore bought with a rainy-season dip, milled, grade x recovery -> oz.

    Columns ``gold_oz`` (oz), ``ore_purchased_t``, ``ore_processed_t`` (t),
    ``head_grade_gpt`` (g/t), ``recovery_pct`` (%), ``capacity_tpd`` (t/day); ``months``
    months ending at ``end``.
    """
    rng = np.random.default_rng(seed)
    start = pd.Period(end, freq="M") - (months - 1)
    idx = pd.period_range(start, periods=months, freq="M")
    dev = np.zeros(months)
    for i in range(1, months):
        dev[i] = 0.6 * dev[i - 1] + rng.normal(0.0, 0.06)
    rainy = np.isin(idx.month, (1, 2, 3))
    purchased = scale * 8000.0 * np.exp(0.003 * np.arange(months) + dev) * np.where(
        rainy, 0.8, 1.0)
    processed = purchased * np.exp(rng.normal(0.0, 0.02, months))
    grade = 30.0 * np.exp(rng.normal(0.0, 0.08, months))
    recovery = np.clip(94.5 + rng.normal(0.0, 1.0, months), 90.0, 98.0)
    frame = gold_frame(processed * grade * recovery / 100.0 / GRAMS_PER_TROY_OZ,
                       start=str(start))
    frame["ore_purchased_t"] = purchased
    frame["ore_processed_t"] = processed
    frame["head_grade_gpt"] = grade
    frame["recovery_pct"] = recovery
    frame["capacity_tpd"] = scale * 400.0
    return frame


@pytest.fixture(scope="module")
def history() -> pd.DataFrame:
    return plant_history()


@pytest.fixture(scope="module")
def other_history() -> pd.DataFrame:
    """Another plant, twice the size, a different length and as-of."""
    return plant_history(months=60, seed=1, end="2015-05", scale=2.0)


def fresh(history: pd.DataFrame) -> pd.DataFrame:
    """A copy, so that no model can change the shared frame for the next test."""
    return history.copy()


# -- 1. parameters ------------------------------------------------------------------------
@pytest.mark.parametrize("name", NAMES)
def test_the_zoo_name_is_the_model_name(name):
    cls = model_class(name)
    assert issubclass(cls, ForecastModel)
    # Decline messages and logs carry ``name``: it must be the command-line name.
    assert cls.name == name
    assert type(make_model(name)) is cls


@pytest.mark.parametrize("name", NAMES)
def test_params_round_trip_through_get_params_clone_and_repr(name):
    model = make_model(name)
    params = model.get_params()
    assert list(params) == type(model)._param_names()
    copy = model.clone()
    assert copy is not model
    assert type(copy) is type(model)
    assert copy.get_params() == params
    text = repr(model)
    assert text.startswith(f"{type(model).__name__}(") and text.endswith(")")
    for key in params:
        assert f"{key}=" in text
    assert repr(copy) == text


def _another_value(value):
    """A value of the same kind as a default, different from it; None when there is none."""
    if isinstance(value, bool):
        return not value
    if isinstance(value, int):
        return value + 1
    if isinstance(value, float):
        return value / 2.0 if value else 1.0
    if isinstance(value, str):
        return f"{value}-changed"
    if isinstance(value, tuple) and len(value) > 1:
        return tuple(reversed(value))
    return None


@pytest.mark.parametrize("name", NAMES)
def test_init_only_stores_params_and_clone_keeps_them(name):
    cls = model_class(name)
    signature = inspect.signature(cls.__init__).parameters
    defaults = {k: signature[k].default for k in cls._param_names()}
    # scikit-learn's rule: the very objects passed in (or defaulted), never converted or
    # validated copies -- validation belongs to fit.
    stored = cls().get_params()
    for key, value in defaults.items():
        assert stored[key] is value, key
    changed = {k: _another_value(v) for k, v in defaults.items()}
    changed = {k: v for k, v in changed.items() if v is not None and v != defaults[k]}
    if not changed:
        pytest.skip(f"{name} has no parameter to change")
    stored = make_model(name, **changed).get_params()
    for key, value in changed.items():
        assert stored[key] is value, key
    assert make_model(name, **changed).clone().get_params() == stored


# -- 2. fit ---------------------------------------------------------------------------------
@pytest.mark.parametrize("name", NAMES)
def test_fit_returns_self(name, history):
    model = make_model(name)
    assert type(model).decline_reason(history) is None
    assert model.fit(fresh(history), periods=None) is model
    # Through the pipeline, a history the model accepts by the month gives the model back.
    other = make_model(name)
    assert fit_model(other, fresh(history)) is other


# -- 3. sample paths ------------------------------------------------------------------------
@pytest.mark.parametrize("name", NAMES)
def test_sample_paths_are_seeded_finite_non_negative_ounces(name, history):
    model = fit_model(make_model(name), fresh(history))
    paths = model.sample_paths(HORIZON, N_PATHS, seed=0)
    assert isinstance(paths, np.ndarray)
    assert paths.shape == (N_PATHS, HORIZON)
    assert paths.dtype == np.float64
    assert np.all(np.isfinite(paths))
    assert np.all(paths >= 0.0)
    assert model.sample_paths(1, 1, seed=0).shape == (1, 1)
    # Ounces of this plant, not zeros floored from an exploded simulation.
    recent = float(history[TARGET].iloc[-12:].mean())
    assert 0.25 * recent < float(np.median(paths)) < 4.0 * recent
    # Same seed, same paths bit for bit; another seed, other paths.
    again = model.sample_paths(HORIZON, N_PATHS, seed=0)
    assert again.tobytes() == paths.tobytes()
    if name not in DETERMINISTIC:
        assert not np.array_equal(model.sample_paths(HORIZON, N_PATHS, seed=1), paths)


@pytest.mark.parametrize("name", NAMES)
def test_a_fitted_model_is_independent_of_its_clones(name, history, other_history):
    model = fit_model(make_model(name), fresh(history))
    before = model.sample_paths(HORIZON, N_PATHS, seed=3)
    # A clone is unfitted ...
    with pytest.raises(RuntimeError, match="not fitted"):
        model.clone().sample_paths(HORIZON, N_PATHS, seed=3)
    # ... fitted on the same history it gives the same paths (fitting is deterministic) ...
    same = fit_model(model.clone(), fresh(history))
    assert same.sample_paths(HORIZON, N_PATHS, seed=3).tobytes() == before.tobytes()
    # ... and fitted on another plant it learns that plant, leaving the original alone.
    other = fit_model(model.clone(), fresh(other_history))
    assert other.future_index(1)[0] == other_history.index[-1] + 1
    assert not np.array_equal(other.sample_paths(HORIZON, N_PATHS, seed=3), before)
    assert model.future_index(1)[0] == history.index[-1] + 1
    assert model.sample_paths(HORIZON, N_PATHS, seed=3).tobytes() == before.tobytes()


# -- 4. declines ----------------------------------------------------------------------------
def _decline_cases() -> list[tuple[str, str]]:
    """(model, case) pairs: every history a model says it cannot use, by its capabilities."""
    cases = []
    for name in NAMES:
        cls = model_class(name)
        cases.append((name, "no_gold_column"))
        if cls.min_history >= 2 or (cls.min_history == 1 and cls.handles_missing):
            cases.append((name, "too_short"))
        if cls.needs_production:
            cases.append((name, "all_zero"))
        for col in cls.required_columns:
            if col != TARGET:
                cases += [(name, f"without_{col}"), (name, f"gap_in_{col}")]
        if cls.uses_exog:
            cases.append((name, "dynacor_without_ore"))
    return cases


def _declined_history(name: str, case: str, history: pd.DataFrame,
                      dynacor) -> tuple[pd.DataFrame, str]:
    """The history of a decline case and a word its reason must contain."""
    cls = model_class(name)
    frame = fresh(history)
    if case == "no_gold_column":
        return frame.drop(columns=TARGET), TARGET
    if case == "too_short":
        if cls.min_history >= 2:
            return frame.iloc[-(cls.min_history - 1):], f"at least {cls.min_history} observed"
        # A model that needs one month gets months that are all unpublished.
        short = frame.iloc[-3:].copy()
        short[TARGET] = np.nan
        return short, "at least 1 observed"
    if case == "all_zero":
        frame[TARGET] = 0.0
        return frame, "zero"
    if case.startswith("without_"):
        col = case.removeprefix("without_")
        return frame.drop(columns=col), col
    if case.startswith("gap_in_"):
        col = case.removeprefix("gap_in_")
        frame.iloc[10, frame.columns.get_loc(col)] = np.nan
        return frame, col
    if case == "dynacor_without_ore":
        # Real months (Jul-Oct 2016 unpublished) with ore tonnes for December 2017 only.
        exog = [c for c in cls.required_columns if c != TARGET]
        return dynacor.monthly.copy(), exog[0]
    raise AssertionError(case)


@pytest.mark.parametrize(("name", "case"), _decline_cases(),
                         ids=[f"{n}-{c}" for n, c in _decline_cases()])
def test_declines_with_a_reason(name, case, history, dynacor):
    declined, word = _declined_history(name, case, history, dynacor)
    reason = model_class(name).decline_reason(declined)
    assert isinstance(reason, str) and reason.strip()
    assert word in reason
    model = make_model(name)
    with pytest.raises(ModelDeclined) as declined_fit:
        model.fit(declined)
    message = str(declined_fit.value)
    assert message.startswith(f"{name}: ")
    assert message.removeprefix(f"{name}: ").strip()
    assert word in message
    # A declined fit leaves nothing half-fitted behind.
    with pytest.raises(RuntimeError, match="not fitted"):
        model.sample_paths(HORIZON, N_PATHS, seed=0)
    if case == "no_gold_column":
        # fit_model reads the gold column before asking the model (KeyError for members
        # that cannot handle missing months): a history always has one after validation.
        return
    with pytest.raises(ModelDeclined) as declined_pipeline:
        fit_model(make_model(name), declined)
    message = str(declined_pipeline.value)
    assert message.startswith(f"{name}: ")
    assert word in message.removeprefix(f"{name}: ")


@pytest.mark.parametrize("name", NAMES)
def test_only_the_required_columns_are_required(name, history):
    cls = model_class(name)
    # uses_exog says the same as required_columns (gbm reads ore only when present).
    assert cls.uses_exog == any(c != TARGET for c in cls.required_columns)
    assert TARGET in cls.required_columns
    bare = fresh(history)[list(cls.required_columns)]
    assert cls.decline_reason(bare) is None
    paths = fit_model(make_model(name), bare).sample_paths(HORIZON, N_PATHS, seed=0)
    assert paths.shape == (N_PATHS, HORIZON) and np.all(np.isfinite(paths))


# -- 5. no paths before a fit ---------------------------------------------------------------
@pytest.mark.parametrize("name", NAMES)
def test_sample_paths_before_fit_raises(name):
    with pytest.raises(RuntimeError, match="not fitted"):
        make_model(name).sample_paths(HORIZON, N_PATHS, seed=0)
