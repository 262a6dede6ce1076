"""orecast: production forecasting for gold ore processors.

The notebook entry points, with the command line's defaults (the same numbers as
``orecast forecast`` and ``orecast backtest`` for the same inputs)::

    import orecast

    result = orecast.forecast(as_of="2017-06", guidance=(88_000, 92_000))
    result.annual["p50"], result.annual["prob_within"]   # oz, probability
    result.monthly                                       # monthly.csv as a DataFrame
    result.plot()                                        # the fan chart
    result.to_dir("out/2017-06")                         # the files orecast forecast writes

    bt = orecast.backtest(years=[2016, 2017], models=["share_runrate", "ets"])
    bt.summary, bt.selected
"""

from forecast.api import BacktestRun, ForecastResult, backtest, forecast
from models.core.version import orecast_version

__all__ = ["BacktestRun", "ForecastResult", "backtest", "forecast", "__version__"]

__version__ = orecast_version()
