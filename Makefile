# The two README commands: `make demo` and `make test`. Both set up from nothing.
PYTHON ?= python3
VENV   := .venv
BIN    := $(VENV)/bin
STAMP  := $(VENV)/.installed
KERNEL := pcs-analysis
AS_OF  ?= 2026-11-21

.PHONY: setup browser demo test test-fast lint bench bench-reports sample-data golden notebook-outputs readings screenshots lab app clean

setup: $(STAMP)

# The report tests open reports in Debian's Chromium (never a downloaded browser).
browser:
	@if ! command -v chromium >/dev/null || ! command -v chromedriver >/dev/null; then \
	  SUDO=$$( [ "$$(id -u)" = 0 ] || echo sudo ); \
	  $$SUDO apt-get update -qq && \
	  DEBIAN_FRONTEND=noninteractive $$SUDO apt-get install -y -qq --no-install-recommends chromium chromium-driver; \
	fi

$(STAMP): pyproject.toml
	$(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade pip
	$(BIN)/python -m pip install --quiet -e ".[dev]"
	# rfc3987-syntax builds ~35 parsers on import and adds ~1 s to every papermill/altair
	# import; jsonschema only loses `iri` format checks without it.
	-$(BIN)/python -m pip uninstall --quiet --yes rfc3987-syntax
	$(BIN)/python -m ipykernel install --sys-prefix --name $(KERNEL) --display-name "Python (pcs-analysis)"
	touch $(STAMP)

demo: setup
	$(BIN)/pcs score data/sample --as-of $(AS_OF) --out reports/demo
	$(BIN)/pcs reports data/sample --as-of $(AS_OF) --out reports/demo --workers 2

test: setup browser
	$(BIN)/python -m pytest -n 2 --dist loadscope

# The suite without the tests marked slow (kernels, browsers, clusters, many scoring passes).
test-fast: setup
	$(BIN)/python -m pytest -n 2 --dist loadscope -m "not slow"

lint: setup
	$(BIN)/ruff check pcs_analysis tests bench notebooks docs/screenshots.py

bench: setup
	$(BIN)/python bench/run.py --out bench/results.md
	$(BIN)/python bench/reports.py --out bench/results.md

# Only the bulk-reports section of bench/results.md (reports/min with 1, 2 and 4 workers).
bench-reports: setup
	$(BIN)/python bench/reports.py --out bench/results.md

# Regenerate the committed sample data and its golden results (never edit them by hand).
sample-data: setup
	$(BIN)/pcs sample-data data/sample --partners 50 --seed 11

golden: setup
	$(BIN)/python -m tests.golden --write

# docs/readings.md from the rulebooks' readings.toml (a test keeps it up to date).
readings: setup
	$(BIN)/pcs rules readings --out docs/readings.md

# docs/report.png, docs/index.png and docs/jupyterlab.png, taken by headless Chromium.
screenshots: setup browser
	$(BIN)/python docs/screenshots.py

notebook-outputs: setup
	$(BIN)/python -m tests.notebook_outputs --write

# JupyterLab on the notebooks; as root (containers, cloud notebooks) with --allow-root, which
# Jupyter otherwise refuses. LAB_ARGS passes more options (e.g. LAB_ARGS=--no-browser).
LAB_ARGS ?=
lab: setup
	$(BIN)/jupyter lab --notebook-dir=notebooks $$( [ "$$(id -u)" = 0 ] && echo --allow-root ) $(LAB_ARGS)

# The scenario planner as a web page (Voilà) for one partner of the sample; Ctrl-C stops it.
PARTNER ?= P005
app: setup
	$(BIN)/pcs app data/sample --partner $(PARTNER) --as-of $(AS_OF)

clean:
	rm -rf $(VENV) .pytest_cache .hypothesis reports/demo bench/data bench/out
