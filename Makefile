# Every target does its own set-up: a fresh machine needs only Python 3.11+.
PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin

.PHONY: demo test lint bench example clean

$(BIN)/python:
	$(PYTHON) -c 'import sys; sys.exit(sys.version_info < (3, 11))' || \
		{ echo "portfolio needs Python 3.11 or newer"; exit 1; }
	$(PYTHON) -m venv $(VENV)

$(VENV)/.installed: pyproject.toml | $(BIN)/python
	$(BIN)/python -m pip install --quiet --disable-pip-version-check -e .
	touch $@

$(VENV)/.installed-dev: pyproject.toml | $(BIN)/python
	$(BIN)/python -m pip install --quiet --disable-pip-version-check -e ".[test,lint]"
	touch $@ $(VENV)/.installed

demo: $(VENV)/.installed
	$(BIN)/portfolio solve inputs/example.xlsx -o outputs/example-portfolio.xlsx

test: $(VENV)/.installed-dev
	$(BIN)/python -m pytest -q

lint: $(VENV)/.installed-dev
	$(BIN)/ruff check portfolio tests benchmarks
	$(BIN)/mypy portfolio benchmarks

# Stage timings on synthetic pipelines of 30 to 5,000 projects (prints a Markdown table).
bench: $(VENV)/.installed-dev
	$(BIN)/python -m benchmarks.run

# Regenerate the committed worked example from portfolio/example.py.
example: $(VENV)/.installed
	$(BIN)/portfolio template inputs/example.xlsx --example --force

clean:
	rm -rf $(VENV) .pytest_cache .mypy_cache .ruff_cache
	find outputs -mindepth 1 ! -name .gitkeep -delete
