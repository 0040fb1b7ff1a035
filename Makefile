# Every target does its own set-up: a fresh machine needs only Python 3.11+.
PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin

.PHONY: demo test lint bench example libreoffice pictures clean

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

# Regenerate the committed worked example from portfolio/inputs/example.py.
example: $(VENV)/.installed
	$(BIN)/portfolio template inputs/example.xlsx --example --force

# LibreOffice Calc and poppler from Debian's packages (about 280 MB): the test suite then also
# converts a results workbook to PDF headless, and `make pictures` can run.
libreoffice:
	@if command -v soffice >/dev/null; then echo "LibreOffice is already installed"; else \
		sudo=$$([ "$$(id -u)" = 0 ] || echo sudo); \
		$$sudo apt-get update && $$sudo apt-get install -y --no-install-recommends \
			libreoffice-calc-nogui poppler-utils; fi

# Re-render the README's pictures (docs/images) from the worked example, through LibreOffice.
pictures: demo
	$(BIN)/python docs/pictures.py outputs/example-portfolio.xlsx

clean:
	rm -rf $(VENV) .pytest_cache .mypy_cache .ruff_cache
	find outputs -mindepth 1 ! -name .gitkeep -delete
