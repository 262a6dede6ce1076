# Two commands do all setup on a fresh machine: `make demo` and `make test`.
PYTHON ?= python3
VENV   ?= .venv
PY     := $(VENV)/bin/python
BIN    := $(VENV)/bin
DEMO   ?= demo-out

.PHONY: demo test lint venv clean

$(VENV)/.installed: pyproject.toml
	$(PYTHON) -m venv $(VENV)
	$(PY) -m pip install --quiet --upgrade pip
	$(PY) -m pip install --quiet -e '.[test]'
	touch $@

venv: $(VENV)/.installed

demo: venv
	$(BIN)/orecast forecast --as-of 2017-06 --guidance-range 88000:92000 --out $(DEMO)/forecast-2017-06
	@echo "results: $(abspath $(DEMO))/forecast-2017-06 (annual.json, monthly.csv, quarterly.csv, fan_chart.png)"

lint: venv
	$(BIN)/ruff check .

test: lint
	$(BIN)/python -m pytest -n 2 --durations=15 -q

clean:
	rm -rf $(VENV) $(DEMO) mlruns mlartifacts mlflow.db .pytest_cache .ruff_cache
