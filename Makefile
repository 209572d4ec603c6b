# The two Quick-start commands: `make run` (install + demo console) and `make test` (install + every check).
PYTHON ?= python3
VENV ?= .venv
BIN := $(VENV)/bin

.PHONY: install run test lint bench

$(BIN)/hogo: pyproject.toml
	$(PYTHON) -m venv $(VENV)
	$(BIN)/pip install --quiet --upgrade pip
	$(BIN)/pip install --quiet -e ".[dev,spark]"
	$(BIN)/pip install --quiet --no-deps "pycanon==1.3.6"
	touch $(BIN)/hogo

install: $(BIN)/hogo

run: install
	$(BIN)/hogo serve --demo

lint: install
	$(BIN)/ruff check src tests benchmarks
	$(BIN)/ruff format --check src tests benchmarks
	$(BIN)/mypy
	$(BIN)/lint-imports

test: lint
	$(BIN)/pytest -n 2 -p no:cacheprovider

bench: install
	$(BIN)/pip install --quiet "anonypy>=0.2,<0.3"
	$(BIN)/python benchmarks/foundation.py
	$(BIN)/python benchmarks/matching.py
	$(BIN)/python benchmarks/anonymization.py
