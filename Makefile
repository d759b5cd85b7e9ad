# The two commands of the README: `make run` and `make test`.
PYTHON ?= python3
VENV   ?= .venv
BIN    := $(VENV)/bin
STORE  ?= var/store
HOST   ?= 127.0.0.1
PORT   ?= 5000

.PHONY: run test lint install install-test build serve bench clean

$(BIN)/python:
	$(PYTHON) -m venv $(VENV)
	$(BIN)/pip install --quiet --upgrade pip

install: $(BIN)/python
	$(BIN)/pip install --quiet -e .

install-test: $(BIN)/python
	$(BIN)/pip install --quiet -e '.[test]'

build: install
	$(BIN)/coopgraph build --store $(STORE)

run: build
	$(BIN)/coopgraph serve --store $(STORE) --host $(HOST) --port $(PORT)

# `make test` checks the architecture (import-linter contracts in pyproject.toml), then lints,
# then runs the tests. The full ruff rule set and `ruff format --check` are enabled once the
# tree has been formatted (one `ruff format` + `ruff check --fix` commit); until then only the
# checks for real faults (syntax errors, undefined names) run.
test: install-test
	$(BIN)/lint-imports
	$(BIN)/ruff check --select E9,F63,F7,F82 src tests benchmarks
	# enabled after formatting: $(BIN)/ruff check src tests benchmarks
	# enabled after formatting: $(BIN)/ruff format --check src tests benchmarks
	$(BIN)/python -m pytest

bench: install-test
	$(BIN)/python benchmarks/run.py

clean:
	rm -rf $(VENV) var build dist src/*.egg-info .pytest_cache
