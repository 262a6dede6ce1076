"""``python -m forecast``: the orecast command line."""

from forecast.cli import run

run()
