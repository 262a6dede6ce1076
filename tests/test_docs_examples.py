"""The example files of docs/data_formats.md are valid inputs of the formats they show."""

from __future__ import annotations

from pathlib import Path

import pandas as pd

from models.data.tables import load_guidance, load_periods, load_prices, load_production

EXAMPLES = Path(__file__).resolve().parents[1] / "docs" / "examples"


def test_every_example_file_reads_as_its_format():
    history = load_production(EXAMPLES / "production.csv")
    assert history["gold_oz"].isna().sum() == 1
    periods = load_periods(EXAMPLES / "periods.csv")
    assert set(periods["period"]) >= {"2017Q1", "2017H1", "2017-01..2017-09"}
    assert len(load_guidance(EXAMPLES / "guidance.csv")) == 2
    assert sorted(set(periods["metric"])) == ["gold_produced", "q1_share_of_annual", "sales"]
    metrics = load_guidance(EXAMPLES / "guidance_metrics.csv")
    assert list(metrics["metric"]) == ["oz", "oz", "sales_usd"]
    prices = load_prices(EXAMPLES / "prices.csv")
    assert (str(prices.index[0]), str(prices.index[-1])) == ("2016-01", "2017-12")
    bulk = pd.read_csv(EXAMPLES / "bulk.csv")
    assert list(bulk.columns[:3]) == ["series_id", "timestamp", "value"]
