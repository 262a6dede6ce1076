# Two commands do all setup on a fresh machine: `make demo` and `make test`.
PYTHON ?= python3
VENV   ?= .venv
PY     := $(VENV)/bin/python
BIN    := $(VENV)/bin
DEMO   ?= demo-out
DEMO_DIR = $(DEMO)

.PHONY: demo test lint venv clean

$(VENV)/.installed: pyproject.toml
	$(PYTHON) -m venv $(VENV)
	$(PY) -m pip install --quiet --upgrade pip
	$(PY) -m pip install --quiet -e '.[test]'
	touch $@

venv: $(VENV)/.installed

demo: venv
	# Train on the embedded Dynacor data: backtest the zoo on every year 2011-2017, register
	# the chosen procedure as models:/orecast@champion in a local MLflow store, then publish
	# June 2017 with it.
	mkdir -p $(DEMO)
	cd $(DEMO_DIR) && MLFLOW_TRACKING_URI=sqlite:///$(abspath $(DEMO))/mlflow.db \
	  $(abspath $(BIN))/orecast train --experiment orecast-demo
	cd $(DEMO_DIR) && MLFLOW_TRACKING_URI=sqlite:///$(abspath $(DEMO))/mlflow.db \
	  $(abspath $(BIN))/orecast publish --as-of 2017-06 --out publications
	@echo
	@echo "published: $(abspath $(DEMO))/publications/latest/ (report.html, annual.json, monthly.csv, ...)"
	@echo "MLflow UI: $(BIN)/mlflow ui --backend-store-uri sqlite:///$(abspath $(DEMO))/mlflow.db"

lint: venv
	$(BIN)/ruff check .

# One OpenMP thread per test worker: two workers on two cores each spinning two OpenMP
# threads (gradient boosting) oversubscribe the machine; results do not depend on it.
# --dist loadscope: a module (a class in tests/test_readme.py) runs whole on one worker, so
# its started server or trained job is built once; --no-loadscope-reorder keeps the order of
# tests/conftest.py, slowest modules first (BENCHMARKS.md, "Test suite").
test: lint
	OMP_NUM_THREADS=1 $(BIN)/python -m pytest -n 2 --dist loadscope --no-loadscope-reorder \
	  --durations=15 -q

clean:
	rm -rf $(VENV) $(DEMO) mlruns mlartifacts mlflow.db .pytest_cache .ruff_cache
