# Every target does its own set-up: a fresh machine needs only Python 3.11+.
PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin

# Versions are pinned, with hashes, in requirements/run.txt (what `portfolio` needs) and
# requirements/dev.txt (that plus the test and lint extras); `make lock` regenerates both.
PIP := $(BIN)/python -m pip install --quiet --disable-pip-version-check
UV_VERSION := 0.13.9
# `make lock UPGRADE=--upgrade` moves every pin to the newest version the bounds allow,
# `make lock UPGRADE="--upgrade-package highspy"` only that one; plain `make lock` keeps every
# pin the bounds in pyproject.toml still allow.
UPGRADE ?=
LOCK := $(BIN)/python -m uv pip compile pyproject.toml --universal --python-version 3.11 \
	--generate-hashes --quiet --custom-compile-command "make lock"

.PHONY: demo test lint lock bench example libreoffice pictures clean

$(BIN)/python:
	$(PYTHON) -c 'import sys; sys.exit(sys.version_info < (3, 11))' || \
		{ echo "portfolio needs Python 3.11 or newer"; exit 1; }
	$(PYTHON) -m venv $(VENV)

# The locked versions, every file checked against its hash, then the project itself without
# resolving anything; pip check fails if pyproject.toml wants what the lock does not give.
$(VENV)/.installed: requirements/run.txt pyproject.toml | $(BIN)/python
	$(PIP) --require-hashes -r requirements/run.txt
	$(PIP) --no-deps -e .
	$(BIN)/python -m pip check --disable-pip-version-check
	touch $@

$(VENV)/.installed-dev: requirements/dev.txt requirements/run.txt pyproject.toml | $(BIN)/python
	$(PIP) --require-hashes -r requirements/dev.txt
	$(PIP) --no-deps -e .
	$(BIN)/python -m pip check --disable-pip-version-check
	touch $@ $(VENV)/.installed

demo: $(VENV)/.installed
	$(BIN)/portfolio solve inputs/example.xlsx -o outputs/example-portfolio.xlsx

test: $(VENV)/.installed-dev
	$(BIN)/python -m pytest -q

lint: $(VENV)/.installed-dev
	$(BIN)/ruff check portfolio tests benchmarks
	$(BIN)/mypy portfolio benchmarks

# Regenerate both lock files from the bounds in pyproject.toml (needs the package index);
# the run lock takes the dev lock's versions, so `make demo` and `make test` run the same ones.
lock: | $(BIN)/python
	$(BIN)/python -m uv --version >/dev/null 2>&1 || $(PIP) "uv==$(UV_VERSION)"
	mkdir -p requirements
	$(LOCK) $(UPGRADE) --extra test --extra lint -o requirements/dev.txt
	$(LOCK) --upgrade -c requirements/dev.txt -o requirements/run.txt

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
