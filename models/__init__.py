"""orecast's models: ``core`` (the contract and pipeline), ``data`` (reading and validating
inputs), ``kernels`` (numerical building blocks), ``zoo`` (every model by its command-line
name) and ``simulator`` (simulated plants). Nothing here imports MLflow, typer or the
``training``/``forecast`` packages."""
