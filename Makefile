# RevOps Lab: every target bootstraps .venv from the pinned lock on first use.
# Python: the first of python3.11, python3.12, python3.13 that runs, else python3 if it is one
# of them; `make PYTHON=/path/to/python3.x ...` picks another (the .venv keeps the first one used).
SUPPORTED_PYTHONS := 3.11 3.12 3.13
PYTHON ?= $(or $(firstword $(foreach v,$(SUPPORTED_PYTHONS),$(shell python$(v) -c "" >/dev/null 2>&1 \
	&& echo python$(v)))),$(shell python3 -c "import sys; print('python3' * ('%d.%d' % \
	sys.version_info[:2] in '$(SUPPORTED_PYTHONS)'.split()))" 2>/dev/null),python3.11)
VENV := .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed
UV_VERSION := 0.13.8
NBVAL_FLAGS := --nbval --nbval-current-env --nbval-cell-timeout=600 --nbval-kernel-startup-timeout=120 \
	--nbval-sanitize-with tests/nbval_sanitize.cfg

NOTEBOOKS := $(sort $(wildcard notebooks/*.ipynb)) $(sort $(wildcard notebooks/ja/*.ipynb))
# '=' (not ':='): `make solutions` may write new files before the recipe that lists them runs.
SOLUTIONS = $(sort $(wildcard notebooks/solutions/*.ipynb))

# What-if cells run once with their default values (no widgets) in tests and executions,
# so committed outputs hold no widget state; `make lab` leaves them interactive.
test unit notebooks execute solutions: export REVOPSLAB_STATIC = 1
# Simulated companies are cached, bounded, in .cache/ (revopslab._cache; `make clean` empties it).
export REVOPSLAB_CACHE_DIR ?= $(CURDIR)/.cache/companies

.PHONY: install lab test unit notebooks execute solutions site bench data scorecard lint lock clean spark-check

$(STAMP): requirements.lock pyproject.toml
	@test -x $(BIN)/python || $(PYTHON) -c "import sys; sys.exit('%d.%d' % sys.version_info[:2] \
		not in '$(SUPPORTED_PYTHONS)'.split())" 2>/dev/null || { echo "error: $(PYTHON) is not \
		Python $(SUPPORTED_PYTHONS) (or is missing): install one, or run make PYTHON=python3.x"; exit 1; }
	test -x $(BIN)/python || $(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --disable-pip-version-check uv==$(UV_VERSION)
	$(BIN)/uv pip sync --quiet --python $(BIN)/python requirements.lock
	$(BIN)/uv pip install --quiet --python $(BIN)/python --no-deps -e .
	$(BIN)/python -m ipykernel install --sys-prefix --name python3 --display-name "Python 3 (RevOps Lab)" >/dev/null
	$(BIN)/python -m revopslab._kernel >/dev/null
	touch $(STAMP)

## install: set up .venv from the pinned lock and register the kernel, without starting anything
install: $(STAMP)
	@echo "RevOps Lab is installed in $(VENV) ($$($(BIN)/python --version)); run 'make lab' to start."

## lab: start JupyterLab on notebooks/
lab: $(STAMP)
	$(BIN)/jupyter lab --notebook-dir=notebooks

## test: unit tests, doctests and every notebook under nbval (the CI command)
# The Spark tests belong to `make spark-check` (CI runs it after this target): here they are
# left out even where pyspark is installed, so `make test` takes the same time on every machine.
test: $(STAMP)
	$(BIN)/python -m pytest -n 2 --dist loadscope --no-loadscope-reorder tests helpers/revopslab \
		$(NOTEBOOKS) $(SOLUTIONS) --ignore=tests/test_ssot_spark.py \
		$(NBVAL_FLAGS) -q

unit: $(STAMP)
	$(BIN)/python -m pytest tests helpers/revopslab -q

notebooks: $(STAMP)
	$(BIN)/python -m pytest $(NOTEBOOKS) $(SOLUTIONS) $(NBVAL_FLAGS) -q

## solutions: regenerate notebooks/solutions from the chapter modules, then execute them
solutions: $(STAMP)
	$(BIN)/python -m revopslab.solutions notebooks/solutions
	$(BIN)/jupyter nbconvert --to notebook --execute --inplace --ExecutePreprocessor.timeout=1200 \
		--ExecutePreprocessor.kernel_name=python3 notebooks/solutions/*.ipynb
	$(BIN)/python -m revopslab._notebooks notebooks/solutions/*.ipynb

## execute: re-run every notebook in place so committed outputs match the package
execute: $(STAMP) solutions
	$(BIN)/python -m revopslab._editions sync
	$(BIN)/jupyter nbconvert --to notebook --execute --inplace --ExecutePreprocessor.timeout=1200 \
		--ExecutePreprocessor.kernel_name=python3 $(NOTEBOOKS)
	$(BIN)/python -m revopslab._notebooks $(NOTEBOOKS)

## site: a static HTML site of the executed notebooks, solutions, guides and glossary in _site/
site: $(STAMP)
	$(BIN)/python -m revopslab.site _site

## bench: speed and memory benchmarks (not part of `make test`)
bench: $(STAMP)
	$(BIN)/python -m pytest tests/benchmarks -q -s --benchmarks

## scorecard: recompute the book's claims into data/claims_scorecard.csv (several minutes)
scorecard: $(STAMP)
	$(BIN)/revopslab claims --output data/claims_scorecard.csv

## spark-check: the SSOT tests on Spark; installs the spark extra, and Java if missing (CI runs it)
spark-check: $(STAMP)
	@command -v java >/dev/null || { echo "spark-check: no java on the PATH; installing default-jre-headless"; \
		apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends \
		default-jre-headless >/dev/null || { echo "error: install a Java runtime (17 or 21) first"; exit 1; }; }
	$(BIN)/uv pip install --quiet --python $(BIN)/python -r requirements-spark.lock
	REVOPSLAB_REQUIRE_SPARK=1 $(BIN)/python -m pytest tests/test_ssot_spark.py -q -rs

## data: regenerate the committed default company in data/
data: $(STAMP)
	$(BIN)/revopslab data regenerate

lint: $(STAMP)
	$(BIN)/ruff check helpers tests

## lock: re-pin every dependency (then run `make test`)
lock: $(STAMP)
	$(BIN)/uv pip compile pyproject.toml --extra dev --universal \
		--python-version $(firstword $(SUPPORTED_PYTHONS)) -o requirements.lock
	$(BIN)/python -m revopslab._lock

clean:
	rm -rf $(VENV) .cache
