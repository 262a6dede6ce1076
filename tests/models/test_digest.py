"""One digest of the data: the figures, never the file's bytes."""

from __future__ import annotations

from pathlib import Path

from models.data.datasets import dynacor
from models.data.digest import data_sha256, flat_table
from models.data.tables import load_production
from models.simulator.plant import simulate_plant


def test_digest_follows_the_figures() -> None:
    a = simulate_plant(24, seed=1)
    b = a.copy()
    b.iloc[5, b.columns.get_loc("gold_oz")] += 1.0
    assert data_sha256(a) == data_sha256(a.copy())
    assert data_sha256(a) != data_sha256(b)
    assert len(data_sha256(a)) == 64


def test_the_same_figures_in_other_bytes_give_the_same_digest(tmp_path: Path) -> None:
    history = simulate_plant(24, seed=2)
    flat = flat_table(history)
    flat.to_csv(tmp_path / "a.csv", index=False)
    # Other column order, a notes column, Parquet: other bytes, the same data.
    other = flat[list(reversed(flat.columns))].assign(notes="checked")
    other.to_parquet(tmp_path / "b.parquet", index=False)
    a, b = load_production(tmp_path / "a.csv"), load_production(tmp_path / "b.parquet")
    assert a.attrs["sha256"] != b.attrs["sha256"]  # the files' own bytes differ
    assert data_sha256(a) == data_sha256(b) == data_sha256(history)


def test_period_totals_are_part_of_the_data() -> None:
    ds = dynacor()
    with_totals = data_sha256(ds.monthly, ds.periods)
    assert with_totals != data_sha256(ds.monthly)
    assert with_totals == data_sha256(ds.monthly.copy(), ds.periods.copy())
    revised = ds.periods.copy()
    revised.loc[revised.index[0], "value"] += 1.0
    assert data_sha256(ds.monthly, revised) != with_totals
