"""``python -m forecast.cli``: the orecast command line."""

from forecast.cli import run

run()
