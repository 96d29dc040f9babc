# Steward: two commands on a fresh machine with only Python.
#   make run   set up and run Steward on its embedded default (SQLite, demo data, web + worker)
#   make test  set up and run everything that must stay green

PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
STAMP_RUN := $(VENV)/.installed-run
STAMP_DEV := $(VENV)/.installed-dev

.PHONY: run test lint typecheck test-sqlite test-postgres clean

$(BIN)/python:
	$(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade pip

$(STAMP_RUN): pyproject.toml | $(BIN)/python
	$(BIN)/python -m pip install --quiet -e .
	touch $@

$(STAMP_DEV): pyproject.toml | $(BIN)/python
	$(BIN)/python -m pip install --quiet -e ".[dev]"
	touch $@ $(STAMP_RUN)

run: $(STAMP_RUN)
	$(BIN)/steward run

test: $(STAMP_DEV)
	$(BIN)/python scripts/test.py

lint: $(STAMP_DEV)
	$(BIN)/ruff format --check .
	$(BIN)/ruff check .

typecheck: $(STAMP_DEV)
	$(BIN)/mypy

clean:
	rm -rf $(VENV) .mypy_cache .ruff_cache .pytest_cache
