"""A calibrated synthetic gold plant: monthly ore purchases, stockpile, milling and ounces.

Real monthly histories are short, so tests, calibration checks and scale runs use this
simulator. Everything it returns is labelled synthetic (a ``source`` column and
``df.attrs``). The plant follows the material balance of a toll / custom mill buying ore
from artisanal miners:

- purchases (t) are supply-limited: a share of nameplate capacity, lower in the rainy
  season (January-March), with AR(1) log noise and occasional supply shocks (floods, road
  closures, export crackdowns) that cut purchases for one to three months;
- a stockpile buffers purchases; the mill processes
  ``min(stockpile + purchases, capacity_tpd x (days - downtime))`` each month, with about
  two days of maintenance per month and occasional breakdowns;
- head grade (g/t) is a mean-reverting AR(1) process in logs around ~30 g/t and recovery a
  mean-reverting AR(1) in logits around ~94.5 % (92-97 %);
- ``gold_oz = ore_processed_t x head_grade_gpt x recovery_pct / 100 / 31.1035``.

The defaults are calibrated to Dynacor's published figures (models/data/datasets/dynacor/README.md):
annual output 61-80k oz at 250-300 tpd, Q1 share of the year 17.7-26.0 % (mean ~21.9 %),
Dec 2017 8,574 t bought, 8,610 t milled, 8,908 oz at a 300 tpd plant.
``benchmarks/simulator_calibration.py`` prints the simulated distributions next to them.
"""

from __future__ import annotations

import logging
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass

import numpy as np
import pandas as pd

from models.core.columns import GRAMS_PER_TROY_OZ

log = logging.getLogger(__name__)

#: purchases by month of year (Jan..Dec) relative to the annual mean: the rainy season
#: (Jan-Mar) slows artisanal mining and ore transport; buying recovers from April.
PURCHASE_SEASONALITY = np.array([0.85, 0.86, 0.92, 0.99, 1.06, 1.07,
                                 1.07, 1.07, 1.07, 1.08, 1.07, 1.07])
PURCHASE_SEASONALITY = PURCHASE_SEASONALITY / PURCHASE_SEASONALITY.mean()

#: months (1-12) in which supply shocks are more likely (rainy season plus April floods)
FLOOD_MONTHS = (1, 2, 3, 4)

#: portfolio plants draw their nameplate capacity from these values, t/day
PORTFOLIO_CAPACITIES_TPD = (150.0, 200.0, 250.0, 300.0, 350.0, 400.0, 450.0, 500.0)

_N_NORMAL = 3   # purchase noise, grade noise, recovery noise
_N_UNIFORM = 7  # downtime jitter, shock start, shock severity, shock length,
                # breakdown start, breakdown length, initial grade/recovery spare

CapacitySpec = float | Sequence[float] | np.ndarray | Mapping[str, float] | Callable[
    [pd.Period], float]


@dataclass(frozen=True)
class PlantParams:
    """Parameters of the synthetic plant (units in the names; see ``simulate_plant``)."""

    downtime_days: float = 2.0
    grade_mean_gpt: float = 30.0
    grade_phi: float = 0.6
    grade_sd_log: float = 0.08
    recovery_mean_pct: float = 94.5
    recovery_phi: float = 0.5
    recovery_sd_logit: float = 0.15
    supply_ratio: float = 0.82
    purchase_phi: float = 0.5
    purchase_sd_log: float = 0.08
    shock_prob: float = 0.012
    breakdown_prob: float = 0.02
    ramp_months: float = 6.0
    stockpile_max_months: float = 1.0
    initial_stockpile_months: float = 0.25


def _capacity_array(capacity_tpd: CapacitySpec, index: pd.PeriodIndex) -> np.ndarray:
    """Nameplate capacity per month, shape (len(index),), t/day.

    A number is constant; a mapping ``{"YYYY-MM": tpd}`` is a step schedule (each value in
    force from its month on, months before the first key take the first value); a callable
    is asked month by month; a sequence gives one value per month.
    """
    n = len(index)
    if callable(capacity_tpd):
        cap = np.array([float(capacity_tpd(p)) for p in index])
    elif isinstance(capacity_tpd, Mapping):
        if not capacity_tpd:
            raise ValueError("capacity_tpd: empty schedule; expected {'YYYY-MM': tpd, ...}")
        steps = sorted((pd.Period(k, freq="M"), float(v)) for k, v in capacity_tpd.items())
        starts = pd.PeriodIndex([s for s, _ in steps], freq="M")
        pos = np.searchsorted(starts.asi8, index.asi8, side="right") - 1
        cap = np.array([v for _, v in steps])[np.maximum(pos, 0)]
    elif np.ndim(capacity_tpd) == 0:
        cap = np.full(n, float(capacity_tpd))
    else:
        cap = np.asarray(capacity_tpd, dtype=float)
        if cap.shape != (n,):
            raise ValueError(f"capacity_tpd: expected {n} monthly values, got shape {cap.shape}")
    if not np.all(np.isfinite(cap)) or np.any(cap <= 0):
        raise ValueError("capacity_tpd: expected finite values > 0 t/day in every month")
    return cap


def _draw_noise(rng: np.random.Generator, months: int) -> tuple[np.ndarray, np.ndarray]:
    """All random numbers of one plant, drawn in a fixed order.

    Returns:
        normals (3, months) and uniforms (7, months); drawing them up front makes one plant
        identical whether simulated alone or inside a portfolio.
    """
    return rng.standard_normal((_N_NORMAL, months)), rng.random((_N_UNIFORM, months))


def _run(z: np.ndarray, u: np.ndarray, cap: np.ndarray, days: np.ndarray, moy: np.ndarray,
         p: PlantParams) -> dict[str, np.ndarray]:
    """Simulate n plants month by month, vectorised across plants.

    Args:
        z: standard normals, shape (n, 3, months).
        u: uniforms on [0, 1), shape (n, 7, months).
        cap: nameplate capacity, shape (n, months), t/day.
        days: calendar days of each month, shape (months,).
        moy: month of year 1-12, shape (months,).
        p: plant parameters.
    Returns:
        dict of arrays (n, months): purchased_t, processed_t, stockpile_t, downtime_days,
        grade_gpt, recovery_pct, gold_oz.
    """
    n, months = cap.shape
    out = {k: np.empty((n, months)) for k in ("purchased_t", "processed_t", "stockpile_t",
                                               "downtime_days", "grade_gpt",
                                               "recovery_pct", "gold_oz")}
    season = PURCHASE_SEASONALITY[moy - 1]
    flood_season = np.isin(moy, FLOOD_MONTHS)
    # Stationary starting states, so the first simulated year is not special.
    sd_g = p.grade_sd_log * np.sqrt(1.0 - p.grade_phi ** 2)
    sd_r = p.recovery_sd_logit * np.sqrt(1.0 - p.recovery_phi ** 2)
    sd_a = p.purchase_sd_log * np.sqrt(1.0 - p.purchase_phi ** 2)
    x_g = p.grade_sd_log * z[:, 1, 0]
    x_r = p.recovery_sd_logit * z[:, 2, 0]
    x_a = p.purchase_sd_log * z[:, 0, 0]
    mu_g = np.log(p.grade_mean_gpt) - 0.5 * p.grade_sd_log ** 2
    mu_r = np.log(p.recovery_mean_pct / (100.0 - p.recovery_mean_pct))
    level = cap[:, 0].copy()  # supply the buyers have built up, t/day
    stock = p.initial_stockpile_months * cap[:, 0] * 30.0
    shock_left = np.zeros(n, dtype=np.int64)
    shock_factor = np.ones(n)
    for m in range(months):
        if m > 0:
            x_g = p.grade_phi * x_g + sd_g * z[:, 1, m]
            x_r = p.recovery_phi * x_r + sd_r * z[:, 2, m]
            x_a = p.purchase_phi * x_a + sd_a * z[:, 0, m]
        # Supply follows a capacity increase only gradually (Veta Dorada took ~8 months to
        # ramp from 179 to 300 tpd in 2017); a capacity cut bites at once.
        level = np.where(cap[:, m] > level, level + (cap[:, m] - level) / p.ramp_months,
                         cap[:, m])
        prob = p.shock_prob * (2.5 if flood_season[m] else 1.0)
        start = (shock_left == 0) & (u[:, 1, m] < prob)
        shock_factor = np.where(start, 0.3 + 0.5 * u[:, 2, m], shock_factor)
        shock_left = np.where(start, 1 + (3 * u[:, 3, m]).astype(np.int64), shock_left)
        factor = np.where(shock_left > 0, shock_factor, 1.0)
        shock_left = np.maximum(shock_left - 1, 0)

        downtime = p.downtime_days * (0.5 + u[:, 0, m])
        broken = u[:, 4, m] < p.breakdown_prob
        downtime = downtime + np.where(broken, 3.0 + 9.0 * u[:, 5, m], 0.0)
        mill_t = cap[:, m] * np.maximum(days[m] - downtime, 0.0)

        supply = (p.supply_ratio * level * days[m] * season[m]
                  * np.exp(x_a - 0.5 * p.purchase_sd_log ** 2) * factor)
        # Buyers stop buying when the yard is full rather than pile ore up without end.
        room = np.maximum(mill_t + p.stockpile_max_months * cap[:, m] * 30.0 - stock, 0.0)
        bought = np.minimum(supply, room)
        processed = np.minimum(stock + bought, mill_t)
        stock = stock + bought - processed

        grade = np.exp(mu_g + x_g)
        recovery = 100.0 / (1.0 + np.exp(-(mu_r + x_r)))
        out["purchased_t"][:, m] = bought
        out["processed_t"][:, m] = processed
        out["stockpile_t"][:, m] = stock
        out["downtime_days"][:, m] = downtime
        out["grade_gpt"][:, m] = grade
        out["recovery_pct"][:, m] = recovery
        out["gold_oz"][:, m] = processed * grade * recovery / 100.0 / GRAMS_PER_TROY_OZ
    return out


def _months(start: str, months: int) -> pd.PeriodIndex:
    if months < 1:
        raise ValueError(f"months: expected >= 1, got {months}")
    return pd.period_range(pd.Period(start, freq="M"), periods=months, freq="M", name="month")


def simulate_plant(months: int, seed: int | np.random.SeedSequence, *, start: str = "2010-01",
                   capacity_tpd: CapacitySpec = 300.0, downtime_days: float = 2.0,
                   grade_mean_gpt: float = 30.0, recovery_mean_pct: float = 94.5,
                   supply_ratio: float = 0.82, shock_prob: float = 0.012,
                   breakdown_prob: float = 0.02, **more: float) -> pd.DataFrame:
    """Simulate the monthly production of one synthetic plant.

    Args:
        months: number of months to simulate (>= 1).
        seed: seed (or ``SeedSequence``) of ``np.random.default_rng``; same seed, same frame.
        start: first month, ``YYYY-MM``.
        capacity_tpd: nameplate capacity, t/day: a number, one value per month, a step
            schedule ``{"YYYY-MM": tpd}`` or a callable ``f(pd.Period) -> tpd``.
        downtime_days: mean maintenance downtime per month, days.
        grade_mean_gpt: long-run mean head grade, g/t.
        recovery_mean_pct: long-run mean recovery, % (0-100).
        supply_ratio: mean purchases as a share of nameplate capacity x calendar days.
        shock_prob: monthly probability of a supply shock (x2.5 in January-April).
        breakdown_prob: monthly probability of a breakdown (3-12 extra days down).
        **more: any other ``PlantParams`` field (e.g. ``grade_sd_log``, ``ramp_months``).
    Returns:
        Production frame indexed by a monthly ``PeriodIndex`` named ``month``, float columns
        ``gold_oz`` (oz), ``ore_purchased_t``, ``ore_processed_t`` (t), ``head_grade_gpt``
        (g/t), ``recovery_pct`` (%), ``capacity_tpd`` (t/day), ``stockpile_t`` (t, end of
        month), ``downtime_days`` (days), and ``source`` = ``synthetic (orecast.simulate,
        seed=N)``; ``attrs["source"]`` = ``synthetic seed=N``, ``attrs["synthetic"]`` = True.
    """
    params = PlantParams(downtime_days=downtime_days, grade_mean_gpt=grade_mean_gpt,
                         recovery_mean_pct=recovery_mean_pct, supply_ratio=supply_ratio,
                         shock_prob=shock_prob, breakdown_prob=breakdown_prob, **more)
    index = _months(start, months)
    cap = _capacity_array(capacity_tpd, index)
    z, u = _draw_noise(np.random.default_rng(seed), months)
    sim = _run(z[None], u[None], cap[None], index.days_in_month.to_numpy(dtype=float),
               index.month.to_numpy(), params)
    label = _seed_label(seed)
    df = pd.DataFrame({
        "gold_oz": sim["gold_oz"][0],
        "ore_purchased_t": sim["purchased_t"][0],
        "ore_processed_t": sim["processed_t"][0],
        "head_grade_gpt": sim["grade_gpt"][0],
        "recovery_pct": sim["recovery_pct"][0],
        "capacity_tpd": cap,
        "stockpile_t": sim["stockpile_t"][0],
        "downtime_days": sim["downtime_days"][0],
    }, index=index)
    df["source"] = f"synthetic (orecast.simulate, seed={label})"
    df.attrs["source"] = f"synthetic seed={label}"
    df.attrs["synthetic"] = True
    return df


def _seed_label(seed: int | np.random.SeedSequence) -> str:
    if isinstance(seed, np.random.SeedSequence):
        key = "/".join(str(k) for k in seed.spawn_key)
        return f"{seed.entropy}" + (f"/{key}" if key else "")
    return str(seed)


def portfolio_seeds(n_plants: int, seed: int) -> tuple[np.ndarray, list[np.random.SeedSequence]]:
    """Capacities and per-plant seeds of a portfolio, derived from one seed.

    Returns:
        capacities, shape (n_plants,), t/day, drawn from ``PORTFOLIO_CAPACITIES_TPD``; and
        one ``SeedSequence`` per plant (``SeedSequence(seed)`` spawned), so plant i equals
        ``simulate_plant(months, seeds[i], capacity_tpd=capacities[i])``.
    """
    cap_seq, plant_seq = np.random.SeedSequence(seed).spawn(2)
    caps = np.random.default_rng(cap_seq).choice(np.array(PORTFOLIO_CAPACITIES_TPD), n_plants)
    return caps, plant_seq.spawn(n_plants)


def simulate_portfolio(n_plants: int, months: int, seed: int, *,
                       start: str = "2010-01", **plant_kwargs: float) -> pd.DataFrame:
    """Simulate many independent plants in the long many-series format, vectorised.

    Args:
        n_plants: number of plants (>= 1).
        months: months per plant (>= 1).
        seed: root seed; capacities and plant seeds follow ``portfolio_seeds``.
        start: first month, ``YYYY-MM``.
        **plant_kwargs: ``PlantParams`` fields shared by every plant.
    Returns:
        Long frame of n_plants x months rows: ``series_id`` (``plant-00000`` ...),
        ``timestamp`` (``YYYY-MM``), ``value`` (gold, oz), ``ore_purchased_t``,
        ``ore_processed_t`` (t), ``capacity_tpd`` (t/day); ``attrs["synthetic"]`` = True.
    """
    if n_plants < 1:
        raise ValueError(f"n_plants: expected >= 1, got {n_plants}")
    index = _months(start, months)
    params = PlantParams(**plant_kwargs)
    caps, seeds = portfolio_seeds(n_plants, seed)
    z = np.empty((n_plants, _N_NORMAL, months))
    u = np.empty((n_plants, _N_UNIFORM, months))
    for i, s in enumerate(seeds):
        z[i], u[i] = _draw_noise(np.random.default_rng(s), months)
    cap = np.repeat(caps[:, None], months, axis=1)
    sim = _run(z, u, cap, index.days_in_month.to_numpy(dtype=float), index.month.to_numpy(),
               params)
    width = max(5, len(str(n_plants - 1)))
    ids = np.array([f"plant-{i:0{width}d}" for i in range(n_plants)], dtype=object)
    stamps = index.strftime("%Y-%m").to_numpy(dtype=object)
    df = pd.DataFrame({
        "series_id": np.repeat(ids, months),
        "timestamp": np.tile(stamps, n_plants),
        "value": sim["gold_oz"].ravel(),
        "ore_purchased_t": sim["purchased_t"].ravel(),
        "ore_processed_t": sim["processed_t"].ravel(),
        "capacity_tpd": cap.ravel(),
    })
    df.attrs["source"] = f"synthetic portfolio seed={seed}"
    df.attrs["synthetic"] = True
    log.debug("simulated %d plants x %d months", n_plants, months)
    return df
