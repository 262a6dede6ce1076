"""Gold price data and price paths: the embedded history, validation, the log walk, decks."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from models.core.errors import DataValidationError
from models.core.price_paths import (
    PriceDeck,
    price_volatility,
    simulate_log_walk,
    year_price_paths,
)
from models.data.datasets import GOLD_PRICE_SOURCE, gold_price
from models.data.tables import load_prices


def write(tmp_path, text: str, name: str = "prices.csv"):
    path = tmp_path / name
    path.write_text(text, encoding="utf-8")
    return path


def test_embedded_price_history_is_the_world_bank_series():
    p = gold_price()
    assert (str(p.index[0]), str(p.index[-1])) == ("1990-01", "2017-12")
    assert p.index.is_monotonic_increasing and (p > 0).all()
    assert p.attrs["source"] == GOLD_PRICE_SOURCE and len(p.attrs["sha256"]) == 64
    # 2016's average, as the World Bank publishes it (about $1,250)
    assert 1240 < p.loc["2016-01":"2016-12"].mean() < 1260


@pytest.mark.parametrize(("row", "field", "expected"), [
    ("2017-02,-5", "usd_per_oz", "a price > 0 USD/oz"),
    ("2017-02,abc", "usd_per_oz", "expected a number"),
    ("2017-02,", "usd_per_oz", "expected a price in USD/oz, found an empty cell"),
    ("2017-02,40000000", "usd_per_oz", "unit error"),
    ("2017-13,1200", "month", "expected a month"),
])
def test_a_bad_price_row_is_one_line_naming_row_and_field(tmp_path, row, field, expected):
    path = write(tmp_path, f"month,usd_per_oz\n2017-01,1200\n{row}\n2017-03,1210\n")
    with pytest.raises(DataValidationError) as err:
        load_prices(path)
    # an unreadable month also leaves a gap after 2017-01: said on the next line
    assert len(err.value.problems) == (2 if field == "month" else 1)
    line = err.value.problems[0]
    assert line.startswith(f"{path}:3: {field}: ") and expected in line


def test_a_gap_in_the_price_months_is_refused(tmp_path):
    path = write(tmp_path, "month,usd_per_oz\n2017-01,1200\n2017-03,1210\n")
    with pytest.raises(DataValidationError, match=r":3: month: expected 2017-02 after 2017-01"):
        load_prices(path)


def test_known_months_take_the_history_price_and_later_ones_walk_from_as_of():
    p = gold_price()
    pp = year_price_paths(p, 2016, pd.Period("2016-06", "M"), 4000, seed=1)
    assert pp.paths.shape == (4000, 12) and pp.n_known == 6
    np.testing.assert_array_equal(pp.paths[:, :6],
                                  np.broadcast_to(p.loc["2016-01":"2016-06"].to_numpy(), (4000, 6)))
    # no drift in the price: the mean path stays near the as-of price (4,000 paths: the
    # standard error of the December mean is about 0.2%)
    assert abs(pp.paths[:, -1].mean() / p.loc["2016-06"] - 1) < 0.01
    assert pp.sigma == pytest.approx(price_volatility(p, pd.Period("2016-06", "M")))
    assert "random walk in log price" in pp.model


def test_the_walk_recovers_the_volatility_of_averaged_monthly_prices():
    # monthly averages of a walk with 5% a month underlying: the averages' own changes
    # have 2/3 of its variance; the model scales back up, so a 12-month horizon is as wide
    # as the underlying's
    rng = np.random.default_rng(0)
    sims = simulate_log_walk(1000.0, 0.05 * np.sqrt(2 / 3), 12, 20000, rng)
    spread = np.std(np.log(sims[:, -1]))
    assert 0.05 * np.sqrt(11.5) * 0.95 < spread < 0.05 * np.sqrt(12.5) * 1.05


def test_a_deck_gives_every_path_the_same_price_after_as_of(tmp_path):
    p = gold_price()
    pp = year_price_paths(p, 2017, pd.Period("2017-03", "M"), 50, seed=0,
                          deck=PriceDeck(flat=1850.0, label="deck 1,850 USD/oz"))
    assert (pp.paths[:, 3:] == 1850.0).all() and pp.sigma is None
    deck = load_prices(write(tmp_path, "month,usd_per_oz\n2017-04,1300\n2017-05,1310\n"))
    with pytest.raises(DataValidationError, match=r"no deck price for 2017-06|none for 2017-06"):
        year_price_paths(p, 2017, pd.Period("2017-03", "M"), 50, seed=0,
                         deck=PriceDeck(monthly=deck, label="deck"))


def test_a_year_beyond_the_price_history_is_refused_never_invented():
    with pytest.raises(DataValidationError) as err:
        year_price_paths(gold_price(), 2018, pd.Period("2018-03", "M"), 10, seed=0)
    message = str(err.value)
    assert "2018-01..2018-03" in message and "--prices" in message and "--price-deck" in message
    assert "ends at 2017-12" in message
