# The two commands of the README: `make run` and `make test`.
# Each step runs only when what it depends on changed, so a warm `make run` starts serving at once.
PYTHON ?= python3
VENV   ?= .venv
BIN    := $(VENV)/bin
STORE  ?= var/store
HOST   ?= 127.0.0.1
PORT   ?= 5000
# mimalloc, when installed, serves queries faster than glibc's malloc (docs/serving.md)
MIMALLOC ?= $(firstword $(wildcard /usr/lib/*/libmimalloc.so.2))

SHELL       := /bin/bash
.SHELLFLAGS := -o pipefail -c

# Stamps: when the package was installed (per extra), when the graph was built (beside the store).
INSTALLED      := $(VENV)/.installed
TEST_INSTALLED := $(VENV)/.installed-test
BUILT          := $(STORE).built
KNOWLEDGE      := $(wildcard ontology/* shapes/* data/* queries/*.rq queries/checks/*.rq)
CODE           := $(shell find src/coopgraph -name '*.py' -o -name '*.rq' 2>/dev/null)
# pip's own lines, without the ones that say nothing changed
PIP_QUIETER    := grep -v -e '^Requirement already satisfied' -e '^Obtaining file' || true

.PHONY: run test lint install install-test build serve bench clean

$(BIN)/python:
	@echo "==> Creating the virtual environment $(VENV)"
	$(PYTHON) -m venv $(VENV)
	@$(BIN)/pip install --quiet --upgrade pip

$(INSTALLED): pyproject.toml | $(BIN)/python
	@echo "==> Installing coopgraph and its dependencies into $(VENV) (about a minute the first time)"
	@$(BIN)/pip install --progress-bar off -e . | $(PIP_QUIETER)
	@touch $@

$(TEST_INSTALLED): pyproject.toml | $(BIN)/python
	@echo "==> Installing coopgraph with its test tools into $(VENV) (a minute or two the first time)"
	@$(BIN)/pip install --progress-bar off -e '.[test]' | $(PIP_QUIETER)
	@touch $@ $(INSTALLED)

install: $(INSTALLED)

install-test: $(TEST_INSTALLED)

$(BUILT): $(INSTALLED) $(KNOWLEDGE) $(CODE)
	@echo "==> Building the graph into $(STORE)"
	$(BIN)/coopgraph build --store $(STORE)
	@touch $@

build: $(BUILT)

run: build
	@echo "==> Writing a release of the graph for /download (skipped when one of this graph exists)"
	@$(BIN)/coopgraph release --store $(STORE) --unless-current
	@echo "==> Serving"
	$(if $(MIMALLOC),LD_PRELOAD=$(MIMALLOC) )$(BIN)/coopgraph serve --store $(STORE) --host $(HOST) --port $(PORT)

# `make test` checks the architecture (import-linter contracts in pyproject.toml), the style
# (ruff: lint rules and formatting, configured in pyproject.toml), then runs the tests.
test: install-test
	$(BIN)/lint-imports
	$(BIN)/ruff check src tests benchmarks
	$(BIN)/ruff format --check src tests benchmarks
	$(BIN)/python -m pytest

bench: install-test
	$(BIN)/python benchmarks/run.py

clean:
	rm -rf $(VENV) var build dist src/*.egg-info .pytest_cache
