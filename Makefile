# Named entry points for every task. From a fresh clone only Python 3.11 and make are needed.
SHELL := /bin/bash
PYTHON ?= python3.11
VENV := .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed
SPARK_STAMP := $(VENV)/.installed-spark
HOST ?= 127.0.0.1
PORT ?= 8000

# No network but the package registries: switch usage telemetry off so nothing waits on a connection.
export DBT_SEND_ANONYMOUS_USAGE_STATS := False
export DO_NOT_TRACK := 1
export GX_ANALYTICS_ENABLED := false
export OVERSIGHT_HOME ?= $(CURDIR)/data

.PHONY: setup setup-spark run dev test test-spark bench bench-quick bench-tools browser simulate clean

setup: $(STAMP)  ## idempotent install into .venv

$(STAMP): pyproject.toml
	@command -v $(PYTHON) >/dev/null || { echo "Python 3.11 is required ($(PYTHON) not found); set PYTHON=/path/to/python3.11"; exit 1; }
	test -x $(BIN)/python || $(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade pip
	$(BIN)/python -m pip install --quiet -e '.[dev]'
	touch $(STAMP)

setup-spark: $(SPARK_STAMP)  ## also dbt-spark and PySpark (Spark needs Java 17)

$(SPARK_STAMP): $(STAMP)
	@command -v java >/dev/null || { echo "Spark needs Java 17 (java not found on the PATH)"; exit 1; }
	$(BIN)/python -m pip install --quiet -e '.[dev,spark]'
	touch $(SPARK_STAMP)

run: setup  ## simulate the national dataset, run every asset, serve the API
	$(BIN)/oversight run
	$(BIN)/oversight serve --host $(HOST) --port $(PORT)

dev: setup  ## the Dagster UI on the same home (http://127.0.0.1:3000)
	$(BIN)/oversight dev

test: setup browser  ## the whole test suite but the Spark build (make test-spark)
	$(BIN)/python -m pytest -q -m "not spark" --durations=15  # the slowest listed: keep the suite well under 15 min

test-spark: setup-spark  ## the pipeline on Spark and on DuckDB: the published snapshots compared table by table
	$(BIN)/python -m pytest -q -m spark

bench: setup bench-tools  ## speed and memory against baselines beside them (bench/results.json, the README's tables), and the heavier reliability runs (BENCH_HOME=dir: resume a bench that stopped there)
	$(BIN)/python -m bench $(if $(BENCH_HOME),--home $(BENCH_HOME))
	OVERSIGHT_RELIABILITY_FULL=1 OVERSIGHT_RELIABILITY_PUBLISHES=20 $(BIN)/python -m pytest -q tests/reliability
	$(BIN)/python -m bench.crash_sweep
	$(BIN)/python -m bench.reliability_table --readme

bench-quick: setup bench-tools  ## the same steps on a small England and a year (minutes; bench/results-quick.json)
	$(BIN)/python -m bench --quick

bench-tools:  ## wrk, the HTTP load generator the API benchmark drives (Debian/Ubuntu package, installed if missing)
	@command -v wrk >/dev/null || { echo "installing wrk with apt-get"; \
		$$( [ "$$(id -u)" = 0 ] || echo sudo ) apt-get install -y wrk >/dev/null 2>&1 || \
		{ $$( [ "$$(id -u)" = 0 ] || echo sudo ) apt-get update >/dev/null && \
		  $$( [ "$$(id -u)" = 0 ] || echo sudo ) apt-get install -y wrk; }; }
	@command -v wrk >/dev/null || { echo "wrk could not be installed: install it with your package manager"; exit 1; }

# The pages' browser tests drive Debian's Chromium (Playwright's own browser download cannot work offline).
# Installed with apt where missing; where apt cannot be used (no apt-get, not root and no sudo) this says so and
# the browser tests skip with that reason. An apt install that fails where apt could be used is an error.
CHROMIUM ?= /usr/bin/chromium
browser:  ## Debian's chromium for the browser tests (apt-get, installed if missing)
	@if [ -x "$(CHROMIUM)" ]; then exit 0; fi; \
	sudo=$$( [ "$$(id -u)" = 0 ] || echo sudo ); \
	if ! command -v apt-get >/dev/null || { [ -n "$$sudo" ] && ! sudo -n true 2>/dev/null; }; then \
		echo "chromium not installed and apt-get cannot be used here: the browser tests (tests/web) will skip"; exit 0; fi; \
	echo "installing chromium with apt-get (for the browser tests)"; \
	$$sudo apt-get install -y --no-install-recommends chromium fonts-dejavu-core >/dev/null 2>&1 || \
		{ $$sudo apt-get update >/dev/null && $$sudo apt-get install -y --no-install-recommends chromium fonts-dejavu-core >/dev/null; } || \
		{ echo "apt-get could not install chromium"; exit 1; }; \
	[ -x "$(CHROMIUM)" ] || { echo "chromium installed but $(CHROMIUM) is missing"; exit 1; }

simulate: setup
	$(BIN)/oversight simulate --scale national --seed 1 --out $(OVERSIGHT_HOME)/feeds

clean:
	rm -rf $(OVERSIGHT_HOME) dbt_project/target dbt_project/logs
